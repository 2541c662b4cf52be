/**
 * Run an ONNX model with onnxruntime-node on inputs stored as .npy files and write the outputs
 * as .npy, so that the Python trainer can compare them with PyTorch (export parity) without a
 * Python onnxruntime.
 *
 *   npx tsx test/tools/onnx-parity.ts --model model.onnx --in IN_DIR --out OUT_DIR
 *        [--threads 1] [--repeat 1]
 *
 * IN_DIR holds one `<input name>.npy` per model input (or raw little-endian float32
 * `<input name>.f32` plus `<input name>.json` = {"shape": [...]}); several input sets can be given as
 * sub-folders `IN_DIR/<set>/` (outputs go to `OUT_DIR/<set>/<output name>.npy`).
 * OUT_DIR/report.json records the session-creation time and the per-run wall times (ms).
 * Exit codes: 0 ok, 2 usage or input error.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { readNpy, writeNpy, type NpyArray } from './npy';

function arg(name: string, def?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : def;
}

function toTensor(a: NpyArray): ort.Tensor {
  return new ort.Tensor(a.dtype, a.data as never, a.shape);
}

async function main(): Promise<number> {
  const model = arg('model');
  const inDir = arg('in');
  const outDir = arg('out');
  const threads = Number(arg('threads', '1'));
  const repeat = Math.max(1, Number(arg('repeat', '1')));
  if (!model || !inDir || !outDir || !existsSync(model) || !existsSync(inDir)) {
    console.error('usage: onnx-parity.ts --model M.onnx --in DIR --out DIR [--threads N] [--repeat R]');
    return 2;
  }
  const t0 = performance.now();
  const session = await ort.InferenceSession.create(model, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
  });
  const createMs = performance.now() - t0;
  const sets = readdirSync(inDir).filter((d) => statSync(join(inDir, d)).isDirectory());
  const setDirs = sets.length ? sets.map((s) => [s, join(inDir, s)]) : [['', inDir]];
  const report: Record<string, unknown> = { create_ms: createMs, threads, inputs: session.inputNames, outputs: session.outputNames, runs: {} };
  for (const [name, dir] of setDirs) {
    const feeds: Record<string, ort.Tensor> = {};
    for (const inp of session.inputNames) {
      const f = join(dir, `${inp}.npy`);
      const raw = join(dir, `${inp}.f32`);
      if (existsSync(f)) {
        feeds[inp] = toTensor(readNpy(f));
      } else if (existsSync(raw) && existsSync(join(dir, `${inp}.json`))) {
        const shape = (JSON.parse(readFileSync(join(dir, `${inp}.json`), 'utf8')) as { shape: number[] }).shape;
        const bytes = new Uint8Array(readFileSync(raw)).buffer;
        feeds[inp] = new ort.Tensor('float32', new Float32Array(bytes), shape);
      } else {
        console.error(`missing input ${f} (or ${raw} + ${inp}.json)`);
        return 2;
      }
    }
    const times: number[] = [];
    let result: ort.InferenceSession.OnnxValueMapType = {};
    for (let r = 0; r < repeat; r++) {
      const t = performance.now();
      result = await session.run(feeds);
      times.push(performance.now() - t);
    }
    const od = name ? join(outDir, name) : outDir;
    mkdirSync(od, { recursive: true });
    for (const out of session.outputNames) {
      const t = result[out] as ort.Tensor;
      writeNpy(join(od, `${out}.npy`), { dtype: t.type as NpyArray['dtype'], shape: [...t.dims], data: t.data as Float32Array });
    }
    (report.runs as Record<string, number[]>)[name || '.'] = times;
  }
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'report.json'), JSON.stringify(report, null, 2));
  return 0;
}

main().then((c) => process.exit(c), (e) => {
  console.error(String(e?.stack ?? e));
  process.exit(1);
});
