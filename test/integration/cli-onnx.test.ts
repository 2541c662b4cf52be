/**
 * `s5 onnx-run` and `s5 onnx-bench` (the trainer's parity and speed tools) in-process on the
 * shipped models: outputs equal a direct onnxruntime-node session on the same .npy inputs, the
 * report and the JSON lines carry what the trainer reads, and bad inputs get specific errors.
 * Numerics against PyTorch: trainer/tests/test_export.py (parity through this command).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CliIO } from '../../src/cli/io';
import { runCli } from '../../src/cli/main';
import { decodeNpy, encodeNpy } from '../../src/cli/npy';
import { seededRandom } from '../tools/random';

const ROOT = path.resolve(__dirname, '../..');
const TAGGER = path.join(ROOT, 'models', 's5-tag-small-v2', 'model.onnx');
const SEPARATOR = path.join(ROOT, 'models', 's5-sep-small-16k-v2', 'model.onnx');

function capture(): CliIO & { out: string; err: string } {
  const io = { out: '', err: '', stderrIsTTY: false, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
  return io;
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-onnx-cli-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function clip(samples: number, seed: number): Float32Array {
  const rnd = seededRandom(seed);
  return Float32Array.from({ length: 4 * samples }, () => (rnd() - 0.5) * 0.2);
}

describe('s5 onnx-run', () => {
  it('runs each input set in the engine: outputs equal a direct ONNX Runtime session, report as the trainer reads it', async () => {
    const inputs = { a: clip(16000, 1), b: clip(24000, 2) };
    for (const [set, data] of Object.entries(inputs)) {
      mkdirSync(path.join(tmp, 'in', set), { recursive: true });
      writeFileSync(path.join(tmp, 'in', set, 'mixture.npy'), encodeNpy({ dtype: 'float32', shape: [1, 4, data.length / 4], data }));
    }
    const io = capture();
    const out = path.join(tmp, 'out');
    expect(await runCli(['onnx-run', '--model', TAGGER, '--in', path.join(tmp, 'in'), '--out', out, '--repeat', '2'], io), io.err).toBe(0);

    const direct = await ort.InferenceSession.create(TAGGER, { intraOpNumThreads: 1 });
    for (const [set, data] of Object.entries(inputs)) {
      const want = (await direct.run({ mixture: new ort.Tensor('float32', data, [1, 4, data.length / 4]) })).probabilities;
      const got = decodeNpy(readFileSync(path.join(out, set, 'probabilities.npy')), set);
      expect(got.dtype).toBe('float32');
      expect(got.shape).toEqual([1, 18]);
      const diff = Math.max(...Array.from(got.data as Float32Array, (v, i) => Math.abs(v - (want.data as Float32Array)[i])));
      expect(diff).toBeLessThan(1e-6);
    }
    await direct.release();
    const report = JSON.parse(readFileSync(path.join(out, 'report.json'), 'utf8'));
    expect(report).toMatchObject({ threads: 1, provider: 'cpu', inputs: ['mixture'], outputs: ['probabilities'] });
    expect(report.create_ms).toBeGreaterThan(0);
    expect(Object.keys(report.runs).sort()).toEqual(['a', 'b']);
    expect(report.runs.a).toHaveLength(2);
  }, 600_000);

  it('a missing or non-float32 input tensor is refused naming the file and what is accepted', async () => {
    const dir = path.join(tmp, 'bad');
    mkdirSync(dir, { recursive: true });
    let io = capture();
    expect(await runCli(['onnx-run', '--model', TAGGER, '--in', dir, '--out', path.join(tmp, 'o2')], io)).toBe(1);
    expect(io.err).toBe(`s5: error: ${dir}: no tensor for the model input 'mixture': expected mixture.npy (or mixture.f32 + mixture.json)\n`);
    writeFileSync(path.join(dir, 'mixture.npy'), encodeNpy({ dtype: 'int64', shape: [2], data: new BigInt64Array([1n, 2n]) }));
    io = capture();
    expect(await runCli(['onnx-run', '--model', TAGGER, '--in', dir, '--out', path.join(tmp, 'o2')], io)).toBe(1);
    expect(io.err).toMatch(/mixture\.npy: the engine feeds float32 tensors; this one is int64/);
    io = capture();
    expect(await runCli(['onnx-run', '--in', dir], io)).toBe(2);
    expect(io.err).toMatch(/missing required option --model/);
  }, 600_000);
});

describe('s5 onnx-bench', () => {
  it('times the pair and prints the JSON line the trainer parses', async () => {
    const io = capture();
    const args = ['onnx-bench', '--tagger', TAGGER, '--separator', SEPARATOR, '--seconds', '1', '--repeat', '2', '--json'];
    expect(await runCli(args, io), io.err).toBe(0);
    const res = JSON.parse(io.out.trim());
    expect(res).toMatchObject({ seconds: 1, threads: 2, repeat: 2 });
    for (const k of ['tagger_ms', 'separator_ms', 'pair_ms', 'pair_cpu_ms']) {
      expect(res[k].min).toBeGreaterThan(0);
      expect(res[k].median).toBeGreaterThanOrEqual(res[k].min);
    }
    expect(res.pair_ms.min).toBeGreaterThanOrEqual(res.tagger_ms.min);
  }, 600_000);
});
