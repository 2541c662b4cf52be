/**
 * `s5 onnx-run`: runs an ONNX model in the app's own ONNX Runtime engine (the inference worker,
 * its session options and provider choice) on tensors stored as .npy files and writes the outputs
 * as .npy, with the session-creation and run times. The trainer calls it to check an export
 * against PyTorch (s5trainer/export/parity.py) without a Python onnxruntime.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import { writeFileAtomic, writeJsonAtomic } from '../../engine/atomic-write';
import { InferenceHost, type Tensor } from '../../engine/inference/ort-client';
import { PROVIDER_PREFERENCES } from '../../engine/inference/providers';
import { sha256File } from '../../engine/models/hash';
import { parseCommandArgs, requireOption } from '../args';
import { EXIT, type CliIO, type Command } from '../io';
import { decodeNpy, encodeNpy } from '../npy';
import { choice, positiveInt } from './separate';

const HELP = `Usage: s5 onnx-run --model M.onnx --in DIR --out DIR [--threads N] [--repeat R]
                   [--provider cpu|cuda|auto]

Runs an ONNX model in S5 Studio's ONNX Runtime engine (the same worker thread, session
options and provider choice as separation) on input tensors stored as .npy files, and
writes the outputs as .npy. The trainer uses it to compare an exported model with PyTorch.

Inputs:
  DIR/<input name>.npy   one per model input: float32, C order (or raw little-endian
                         float32 DIR/<input name>.f32 with DIR/<input name>.json =
                         {"shape": [...]}); several input sets as sub-folders DIR/<set>/
Outputs:
  OUT/<output name>.npy  (OUT/<set>/<output name>.npy per set), float32
  OUT/report.json        {"create_ms", "threads", "provider", "inputs", "outputs",
                         "runs": {<set or ".">: [ms per run]}}

Options:
  --threads N     ONNX Runtime intra-op threads (default 1)
  --repeat R      runs per input set, each timed (default 1); outputs are the last run's
  --provider P    cpu (default), cuda, or auto (CUDA when installed and a GPU is present)
  -h, --help      show this help

Exit status: 0 success, 1 data error (the message names the file), 2 usage error.
`;

const OPTIONS = {
  model: { type: 'string' },
  in: { type: 'string' },
  out: { type: 'string' },
  threads: { type: 'string' },
  repeat: { type: 'string' },
  provider: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const onnxRunCommand: Command = { name: 'onnx-run', summary: 'run an ONNX model on .npy tensors (export parity)', help: HELP, run: runOnnxRun };

/** The feeds of one input set, in the model's input order. */
function readInputs(dir: string, inputNames: string[]): Tensor[] {
  return inputNames.map((name) => {
    const npy = path.join(dir, `${name}.npy`);
    const raw = path.join(dir, `${name}.f32`);
    const shapeFile = path.join(dir, `${name}.json`);
    if (existsSync(npy)) {
      let a;
      try {
        a = decodeNpy(readFileSync(npy), npy);
      } catch (e) {
        throw new S5Error('bad_input', (e as Error).message.replace(`${npy}: `, ''), npy);
      }
      if (a.dtype !== 'float32') throw new S5Error('bad_input', `the engine feeds float32 tensors; this one is ${a.dtype}`, npy);
      return { data: a.data as Float32Array, dims: a.shape };
    }
    if (existsSync(raw) && existsSync(shapeFile)) {
      const shape = (JSON.parse(readFileSync(shapeFile, 'utf8')) as { shape: number[] }).shape;
      return { data: new Float32Array(new Uint8Array(readFileSync(raw)).buffer), dims: shape };
    }
    throw new S5Error('bad_input', `no tensor for the model input '${name}': expected ${name}.npy (or ${name}.f32 + ${name}.json)`, dir);
  });
}

async function runOnnxRun(args: string[], io: CliIO): Promise<number> {
  const v = parseCommandArgs(args, OPTIONS);
  if (v.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  const model = path.resolve(requireOption(v, 'model'));
  const inDir = path.resolve(requireOption(v, 'in'));
  const outDir = path.resolve(requireOption(v, 'out'));
  const threads = positiveInt('threads', v.threads, 1, 1024) ?? 1;
  const repeat = positiveInt('repeat', v.repeat, 1, 100_000) ?? 1;
  const provider = choice('provider', v.provider, PROVIDER_PREFERENCES) ?? 'cpu';
  if (!existsSync(model)) throw new S5Error('not_found', 'no such model file', model);
  if (!existsSync(inDir) || !statSync(inDir).isDirectory()) throw new S5Error('not_found', 'no such input folder', inDir);

  const inference = new InferenceHost({ threads, provider });
  try {
    const session = await inference.load(model, await sha256File(model));
    const inputNames = session.info.inputs.map((i) => i.name);
    const outputNames = session.info.outputs.map((o) => o.name);
    const sets = readdirSync(inDir).filter((d) => statSync(path.join(inDir, d)).isDirectory()).sort();
    const runs: Record<string, number[]> = {};
    for (const [name, dir] of sets.length ? sets.map((s) => [s, path.join(inDir, s)]) : [['', inDir]]) {
      let feeds = readInputs(dir, inputNames);
      const times: number[] = [];
      let outputs: Tensor[] = [];
      for (let r = 0; r < repeat; r++) {
        const result = await session.run(feeds);
        times.push(result.runMs);
        outputs = result.outputs;
        feeds = feeds.map((f, i) => ({ data: result.inputs[i], dims: f.dims })); // the transfer handed them back
      }
      const od = name ? path.join(outDir, name) : outDir;
      await mkdir(od, { recursive: true });
      for (const [i, out] of outputs.entries()) {
        await writeFileAtomic(path.join(od, `${outputNames[i]}.npy`), encodeNpy({ dtype: 'float32', shape: out.dims, data: out.data }));
      }
      runs[name || '.'] = times;
    }
    await mkdir(outDir, { recursive: true });
    await writeJsonAtomic(path.join(outDir, 'report.json'), {
      create_ms: session.info.createMs, threads, provider: session.info.provider, inputs: inputNames, outputs: outputNames, runs,
    });
  } finally {
    await inference.dispose();
  }
  return EXIT.ok;
}
