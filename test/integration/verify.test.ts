/**
 * User label queries and stem verification (issue #13) through the real pipeline, real ONNX
 * Runtime sessions and the tiny test models (8 kHz, 4-s windows; class c ↔ a tone at
 * rate·(8 + 12c)/512 Hz): `s5 separate --labels` separates exactly the given classes (also as the
 * real bin in a child process) and refuses unknown ones; a planted false label's stem is dropped
 * by the test verifier, a clean scene loses nothing, a stem of another class is relabelled, the
 * passes are bounded, min_events holds, and accurate mode finds a class the tagger's max_events
 * left out. Expected stems are computed independently: the band-mask separator's stem of a class
 * is that class's tone (SNR against the planted tone), the identity separator's stem is W.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S5_LABELS, type S5Label } from '../../src/shared/labels';
import { S5ResultSchema, type S5Result } from '../../src/shared/result';
import { readAudio, writeAudio } from '../../src/engine/audio';
import { InferenceHost } from '../../src/engine/inference/ort-client';
import { Pipeline } from '../../src/engine/pipeline/pipeline';
import { angleDiff, cachedTestModels, cachedVerifier, classHz, encodeFoa, mixInto, sine, testRegistry, torchReady } from '../fixtures/models/helpers';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 's5.cjs');
const RATE = 8000;
const SECONDS = 9; // a few 4-s windows (the count is read from each result's timeline)
const N = SECONDS * RATE;
const ready = torchReady();
let models: string;
let verifierDir: string;
let dir: string;
let inference: InferenceHost;
let pipeline: Pipeline;

interface Tone {
  label: S5Label;
  amplitude: number;
  azimuth: number;
}

/** A scene of steady tones (one per class) from the given azimuths; returns the path and each tone's W. */
async function scene(name: string, tones: Tone[]): Promise<{ file: string; w: Map<S5Label, Float32Array> }> {
  const mix = [0, 1, 2, 3].map(() => new Float32Array(N));
  const w = new Map<S5Label, Float32Array>();
  tones.forEach((t, i) => {
    const s = sine(N, classHz(t.label, RATE), RATE, t.amplitude, i);
    w.set(t.label, s);
    mixInto(mix, encodeFoa(s, t.azimuth));
  });
  const file = path.join(dir, `${name}.wav`);
  await writeAudio(file, mix, RATE, 'float32');
  return { file, w };
}

/** SNR (dB) of `est` against `ref` over the interior (the first and last 0.1 s left out). */
function snrDb(ref: Float32Array, est: Float32Array): number {
  let s = 0;
  let e = 0;
  for (let i = RATE / 10; i < ref.length - RATE / 10; i++) {
    s += ref[i] * ref[i];
    e += (ref[i] - est[i]) ** 2;
  }
  return 10 * Math.log10(s / e);
}

async function stem(r: S5Result, name: string): Promise<Float32Array> {
  return (await readAudio(path.join(r.out_dir as string, `${name}.wav`))).data[0];
}

const models3 = (sep = 'test-sep-k3') => ['test-tagger-2025', sep];

beforeAll(() => {
  if (!ready) return;
  models = cachedTestModels(RATE, 4);
  verifierDir = cachedVerifier(RATE, 4);
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-verify-'));
  // The verifier with max_passes 1 (same ONNX file, so the same sha256): a relabel has no pass left.
  const onePass = path.join(dir, 'models', 'test-verifier-1pass');
  mkdirSync(onePass, { recursive: true });
  cpSync(path.join(verifierDir, 'test-verifier', 'model.onnx'), path.join(onePass, 'model.onnx'));
  const manifest = JSON.parse(readFileSync(path.join(verifierDir, 'test-verifier', 'manifest.json'), 'utf8'));
  writeFileSync(path.join(onePass, 'manifest.json'), JSON.stringify({ ...manifest, id: 'test-verifier-1pass', verification: { ...manifest.verification, max_passes: 1 } }));
  inference = new InferenceHost({ threads: 1 });
  pipeline = new Pipeline(testRegistry(models, mkdtempSync(path.join(os.tmpdir(), 's5-data-')), [verifierDir, path.join(dir, 'models')]), inference);
});
afterAll(async () => {
  await inference?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)('s5 separate --labels (the user query, no tagger)', () => {
  it('separates exactly the given classes, several passes when they outnumber the slots (real bin, child process)', async () => {
    const { file, w } = await scene('five', [
      { label: 'Blender', amplitude: 0.05, azimuth: 20 },
      { label: 'Dishes', amplitude: 0.05, azimuth: -40 },
      { label: 'Speech', amplitude: 0.05, azimuth: 90 },
      { label: 'Typing', amplitude: 0.05, azimuth: 150 },
      { label: 'Cough', amplitude: 0.05, azimuth: -120 },
    ]);
    const out = path.join(dir, 'cli-labels');
    const env = { ...process.env, S5_SHIPPED_MODELS: models, S5_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 's5-data-')) };
    // Four of the five classes (more than the 3 slots), one of them spelled in lower case.
    const r = spawnSync(process.execPath, [BIN, 'separate', file, '-o', out, '--json', '--format', 'f32', '--models', 'test-tagger-2025,test-sep-k3', '--labels', 'Speech,dishes,Blender,Cough', '--threads', '1'], { encoding: 'utf8', env, timeout: 600_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const result = S5ResultSchema.parse(JSON.parse(r.stdout));
    expect(readdirSync(path.join(out, 'five')).sort()).toEqual(['Blender.wav', 'Cough.wav', 'Dishes.wav', 'Speech.wav', 'labels.csv', 'labels.json']);
    expect(result.labels.map((l) => [l.label, l.origin, l.confidence])).toEqual([['Blender', 'user', 1], ['Cough', 'user', 1], ['Dishes', 'user', 1], ['Speech', 'user', 1]]);
    expect(result.timeline_labels).toEqual([]); // the tagger did not run
    expect(result.timeline.every((t) => t.probs.length === 0)).toBe(true);
    expect(result.timings.tag_s).toBe(0);
    const written = S5ResultSchema.parse(JSON.parse(readFileSync(path.join(out, 'five', 'labels.json'), 'utf8')));
    // Stems in the order first separated (the query's), labels in class order.
    expect(written.stems.map((s) => [s.name, s.origin])).toEqual([['Speech', 'user'], ['Dishes', 'user'], ['Blender', 'user'], ['Cough', 'user']]);
    // Each stem is its own tone (the band-mask separator's promise), from its own direction.
    for (const s of result.stems) {
      expect(snrDb(w.get(s.label) as Float32Array, await stem(result, s.name))).toBeGreaterThan(20);
    }
    expect(angleDiff(result.stems.find((s) => s.label === 'Speech')!.direction!.azimuth_deg, 90)).toBeLessThan(2);
  });

  it('refuses an unknown class with the accepted list (exit 2, nothing written)', () => {
    const out = path.join(dir, 'cli-unknown');
    const env = { ...process.env, S5_SHIPPED_MODELS: models, S5_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 's5-data-')) };
    const r = spawnSync(process.execPath, [BIN, 'separate', path.join(dir, 'five.wav'), '-o', out, '--labels', 'Speech,Dogbark'], { encoding: 'utf8', env, timeout: 600_000 });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("unknown class 'Dogbark'");
    expect(r.stderr).toContain(`accepted: ${S5_LABELS.join(', ')}`);
    expect(() => readdirSync(out)).toThrow();
  });

  it('usage errors: --labels with --labels-from, accurate mode with a given query', async () => {
    const { runCli } = await import('../../src/cli/main');
    const io = { err: '', stdout() {}, stderr(t: string) { io.err += t; }, stderrIsTTY: false };
    expect(await runCli(['separate', 'x.wav', '-o', dir, '--labels', 'Speech', '--labels-from', dir], io)).toBe(2);
    expect(io.err).toMatch(/--labels and --labels-from both name the classes/);
    io.err = '';
    expect(await runCli(['separate', 'x.wav', '-o', dir, '--labels', 'Speech', '--mode', 'accurate'], io)).toBe(2);
    expect(io.err).toMatch(/--mode accurate searches for classes the tagger missed/);
    io.err = '';
    expect(await runCli(['separate', 'x.wav', '-o', dir, '--mode', 'best'], io)).toBe(2);
    expect(io.err).toMatch(/--mode must be one of fast, accurate/);
  });

  it('--labels-from takes each recording\'s classes from an official-layout oracle folder', async () => {
    const { file } = await scene('oracle_mix', [
      { label: 'Speech', amplitude: 0.05, azimuth: 30 },
      { label: 'Typing', amplitude: 0.05, azimuth: -30 },
    ]);
    const oracle = path.join(dir, 'oracle_target');
    mkdirSync(oracle, { recursive: true });
    for (const l of ['Typing', 'Pour']) await writeAudio(path.join(oracle, `oracle_mix_${l}.wav`), [new Float32Array(16)], RATE, 'pcm16');
    const { runCli } = await import('../../src/cli/main');
    let stdout = '';
    const io = { err: '', stdout(t: string) { stdout += t; }, stderr(t: string) { io.err += t; }, stderrIsTTY: false };
    process.env.S5_SHIPPED_MODELS = models;
    process.env.S5_DATA_DIR = mkdtempSync(path.join(os.tmpdir(), 's5-data-'));
    try {
      const code = await runCli(['separate', file, '-o', path.join(dir, 'from-oracle'), '--models', 'test-tagger-2025,test-sep-k3', '--labels-from', oracle, '--json', '--threads', '1'], io);
      expect(io.err).toBe('');
      expect(code).toBe(0);
    } finally {
      delete process.env.S5_SHIPPED_MODELS;
      delete process.env.S5_DATA_DIR;
    }
    const result = S5ResultSchema.parse(JSON.parse(stdout));
    expect(result.labels.map((l) => [l.label, l.origin])).toEqual([['Pour', 'user'], ['Typing', 'user']]);
    expect(readdirSync(path.join(dir, 'from-oracle', 'oracle_mix')).filter((f) => f.endsWith('.wav')).sort()).toEqual(['Pour.wav', 'Typing.wav']);
  });
});

describe.skipIf(!ready)('s5 models: the verifier role', () => {
  it('list shows it as a verifier; activate --verifier none / ID is saved in settings.json', async () => {
    const { runCli } = await import('../../src/cli/main');
    const data = mkdtempSync(path.join(os.tmpdir(), 's5-data-'));
    cpSync(path.join(verifierDir, 'test-verifier'), path.join(data, 'models', 'test-verifier'), { recursive: true });
    let out = '';
    const io = { err: '', stdout(t: string) { out += t; }, stderr(t: string) { io.err += t; }, stderrIsTTY: false };
    process.env.S5_SHIPPED_MODELS = models;
    process.env.S5_DATA_DIR = data;
    try {
      expect(await runCli(['models', 'list'], io)).toBe(0);
      expect(out).toMatch(/\* test-verifier\s+verifier\s+dcase2025t4/); // active by default
      out = '';
      expect(await runCli(['models', 'activate', '--verifier', 'none'], io)).toBe(0);
      expect(out).toMatch(/verifier none/);
      expect(JSON.parse(readFileSync(path.join(data, 'settings.json'), 'utf8')).active_models.verifier).toBeNull();
      out = '';
      expect(await runCli(['models', 'activate', 'test-verifier'], io)).toBe(0);
      expect(out).toMatch(/verifier test-verifier/);
      expect(JSON.parse(readFileSync(path.join(data, 'settings.json'), 'utf8')).active_models.verifier).toBe('test-verifier');
      expect(io.err).toBe('');
    } finally {
      delete process.env.S5_SHIPPED_MODELS;
      delete process.env.S5_DATA_DIR;
    }
  });
});

describe.skipIf(!ready)('stem verification', () => {
  it('a planted false label: its stem is dropped, the true one is unchanged', async () => {
    const { file, w } = await scene('planted', [{ label: 'Speech', amplitude: 0.05, azimuth: 30 }]);
    const plain = await pipeline.separate({ path: file, outDir: path.join(dir, 'planted-plain'), format: 'f32', models: models3(), labels: ['Speech', 'Dishes'], verifier: null });
    expect(plain.stems.map((s) => s.name)).toEqual(['Speech', 'Dishes']); // without a verifier the query is obeyed
    expect(plain.verification).toBeUndefined();
    const r = await pipeline.separate({ path: file, outDir: path.join(dir, 'planted'), format: 'f32', models: [...models3(), 'test-verifier'], labels: ['Speech', 'Dishes'] });
    expect(r.stems.map((s) => s.name)).toEqual(['Speech']);
    expect(readdirSync(r.out_dir as string).filter((f) => f.endsWith('.wav'))).toEqual(['Speech.wav']);
    expect(r.verification?.dropped).toEqual([{ label: 'Dishes', windows: r.timeline.length }]);
    expect(r.models.verifier?.id).toBe('test-verifier');
    expect(r.stems[0].verifier_confidence).toBeGreaterThan(0.99);
    expect(r.timeline.every((t) => t.labels.join() === 'Speech')).toBe(true);
    // Re-separated without the false query: the band-mask stem does not depend on the other slots.
    const a = await stem(plain, 'Speech');
    const b = await stem(r, 'Speech');
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBeLessThan(1e-6);
    expect(snrDb(w.get('Speech') as Float32Array, b)).toBeGreaterThan(20);
  });

  it('a clean scene: nothing is dropped, labels and stems as without verification (the active verifier by default)', async () => {
    const { file } = await scene('clean', [
      { label: 'Speech', amplitude: 0.05, azimuth: 30 },
      { label: 'Typing', amplitude: 0.02, azimuth: -90 },
    ]);
    const off = await pipeline.separate({ path: file, outDir: path.join(dir, 'clean-off'), format: 'f32', models: models3(), verifier: null });
    const on = await pipeline.separate({ path: file, outDir: path.join(dir, 'clean-on'), format: 'f32', models: models3() });
    expect(on.models.verifier?.id).toBe('test-verifier'); // installed, so used without being named
    expect(off.labels.map((l) => l.label)).toEqual(['Speech', 'Typing']);
    expect(on.labels.map((l) => [l.label, l.origin ?? 'tagger'])).toEqual([['Speech', 'tagger'], ['Typing', 'tagger']]);
    expect(on.verification).toMatchObject({ mode: 'fast', dropped: [], relabelled: [], separator_runs: on.timeline.length, max_passes: 1 });
    for (const name of ['Speech', 'Typing']) {
      const a = await stem(off, name);
      const b = await stem(on, name);
      expect(Math.max(...a.map((v, i) => Math.abs(v - b[i])))).toBe(0);
    }
  });

  it('relabel: a stem that holds another class becomes that class after a second pass', async () => {
    const { file, w } = await scene('relabel', [{ label: 'Dishes', amplitude: 0.05, azimuth: 60 }]);
    // The identity separator returns W whatever it is asked for: asked for Speech, it gives the Dishes tone.
    const r = await pipeline.separate({ path: file, outDir: path.join(dir, 'relabel'), format: 'f32', models: [...models3('test-sep-identity'), 'test-verifier'], labels: ['Speech'] });
    expect(r.labels.map((l) => [l.label, l.origin])).toEqual([['Dishes', 'verifier']]);
    expect(r.verification).toMatchObject({ relabelled: [{ from: 'Speech', to: 'Dishes', windows: r.timeline.length }], dropped: [], max_passes: 2, separator_runs: 2 * r.timeline.length });
    expect(r.stems.map((s) => s.file)).toEqual(['Dishes.wav']);
    expect(snrDb(w.get('Dishes') as Float32Array, await stem(r, 'Dishes'))).toBeGreaterThan(40); // = W
    expect(angleDiff(r.stems[0].direction!.azimuth_deg, 60)).toBeLessThan(2);
  });

  it('passes are bounded (max_passes 1: no pass for the relabel) and min_events keeps the best stem', async () => {
    const { file } = await scene('bounded', [{ label: 'Dishes', amplitude: 0.05, azimuth: 60 }]);
    const r = await pipeline.separate({ path: file, outDir: path.join(dir, 'bounded'), format: 'f32', models: [...models3('test-sep-identity'), 'test-verifier-1pass'], labels: ['Speech'] });
    expect(r.verification).toMatchObject({ max_passes: 1, separator_runs: r.timeline.length });
    // Speech was not confirmed and its relabel had no pass left; min_events (1) keeps it, as forced.
    expect(r.labels.map((l) => l.label)).toEqual(['Speech']);
    expect(r.stems.map((s) => s.name)).toEqual(['Speech']);
    expect(r.stems[0].verifier_confidence).toBeLessThan(0.01);
  });

  it('accurate mode finds a class the tagger left out (max_events 3) and keeps only confirmed stems', async () => {
    const tones: Tone[] = [
      { label: 'Blender', amplitude: 0.08, azimuth: 0 },
      { label: 'Dishes', amplitude: 0.06, azimuth: 90 },
      { label: 'Speech', amplitude: 0.04, azimuth: 180 },
      { label: 'Typing', amplitude: 0.02, azimuth: -90 },
    ];
    const { file, w } = await scene('accurate', tones);
    const fast = await pipeline.separate({ path: file, outDir: path.join(dir, 'acc-fast'), format: 'f32', models: models3(), mode: 'fast' });
    expect(fast.labels.map((l) => l.label)).toEqual(['Blender', 'Dishes', 'Speech']);
    const acc = await pipeline.separate({ path: file, outDir: path.join(dir, 'acc'), format: 'f32', models: models3(), mode: 'accurate' });
    expect(acc.labels.map((l) => [l.label, l.origin ?? 'tagger'])).toEqual([['Blender', 'tagger'], ['Dishes', 'tagger'], ['Speech', 'tagger'], ['Typing', 'verifier']]);
    expect(acc.verification?.mode).toBe('accurate');
    expect(acc.verification?.dropped).toEqual([]); // candidates the verifier rejects are not "dropped" labels
    // 18 classes in groups of 3, then the confirmed four again: 7 separator runs per window.
    expect(acc.verification?.separator_runs).toBe(7 * acc.timeline.length);
    expect(snrDb(w.get('Typing') as Float32Array, await stem(acc, 'Typing'))).toBeGreaterThan(20);
    expect(angleDiff(acc.stems.find((s) => s.label === 'Typing')!.direction!.azimuth_deg, -90)).toBeLessThan(2);
  });

  it('accurate mode without a verifier is refused', async () => {
    const { file } = await scene('noverifier', [{ label: 'Speech', amplitude: 0.05, azimuth: 0 }]);
    await expect(pipeline.separate({ path: file, outDir: path.join(dir, 'nov'), models: models3(), mode: 'accurate', verifier: null })).rejects.toThrow(/needs a verifier/);
  });
});
