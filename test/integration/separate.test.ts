/**
 * Separation end to end with real ONNX Runtime sessions and the tiny test models (8 kHz, 4 s
 * windows, 50 % overlap): a 10-minute recording streamed through the pipeline with an identity
 * separator comes back sample for sample (correct length, no seam at any window join); a band
 * separator's error is no larger at the joins than elsewhere; and `s5 separate` / `s5 tag` as a
 * child process write what they promise.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S5ResultSchema } from '../../src/shared/result';
import { createAudioWriter, openAudioStream, readAudio, writeAudio } from '../../src/engine/audio';
import { InferenceHost } from '../../src/engine/inference/ort-client';
import { Pipeline } from '../../src/engine/pipeline/pipeline';
import { pipelineHop } from '../../src/engine/pipeline/windower';
import { angleDiff, bandNoise, cachedTestModels, classHz, encodeFoa, mixInto, noise, sine, testRegistry, torchReady } from '../fixtures/models/helpers';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin', 's5.cjs');
const RATE = 8000;
const HOP = pipelineHop(4 * RATE); // 4 s windows
const ready = torchReady();
let models: string;
let dir: string;
let inference: InferenceHost;
let pipeline: Pipeline;

/** Speech tone from 30° plus low broadband noise from −60°, block `b` of one second. */
function longSceneBlock(b: number): Float32Array[] {
  const t0 = b * RATE;
  const tone = new Float32Array(RATE);
  const hz = classHz('Speech', RATE);
  for (let i = 0; i < RATE; i++) tone[i] = 0.1 * Math.sin((2 * Math.PI * hz * (t0 + i)) / RATE);
  const out = encodeFoa(tone, 30);
  mixInto(out, encodeFoa(noise(RATE, b + 1).map((v) => v * 0.02), -60));
  return out;
}

beforeAll(() => {
  if (!ready) return;
  models = cachedTestModels(RATE, 4);
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-separate-'));
  inference = new InferenceHost({ threads: 1 });
  pipeline = new Pipeline(testRegistry(models), inference);
});
afterAll(async () => {
  await inference?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)('streaming separation', () => {
  it('a 10-minute recording: full-length stem, identical to W at every window join', async () => {
    const seconds = 600;
    const input = path.join(dir, 'long.wav');
    const w = await createAudioWriter(input, 4, RATE, 'pcm16', seconds * RATE + 1234);
    for (let b = 0; b < seconds; b++) await w.write(longSceneBlock(b));
    await w.write(longSceneBlock(seconds).map((c) => c.subarray(0, 1234))); // not a multiple of the hop
    await w.close();
    const n = seconds * RATE + 1234;

    const r = await pipeline.separate({ path: input, outDir: dir, format: 'f32', models: ['test-tagger-2025', 'test-sep-identity'] });
    expect(r.labels.map((l) => l.label)).toEqual(['Speech']);
    expect(r.timeline).toHaveLength(Math.ceil((n - 4 * RATE) / HOP) + 1);
    expect(r.recording.duration_s).toBeCloseTo(n / RATE, 3);
    // The identity "stem" is the whole mixture: the tone from 30° and the noise from −60° (−20 dB)
    // it carries pulls the direction a few degrees (docs/direction.md, onset weighting).
    expect(angleDiff(r.stems[0].direction!.azimuth_deg, 30)).toBeLessThan(5);

    // Compare stem and W block by block (neither file is read whole).
    const a = await openAudioStream(input);
    const s = await openAudioStream(path.join(r.out_dir!, 'Speech.wav'));
    const ai = a[Symbol.asyncIterator]();
    const si = s[Symbol.asyncIterator]();
    let aBuf: Float32Array = new Float32Array(0);
    let sBuf: Float32Array = new Float32Array(0);
    let pos = 0;
    let maxErr = 0;
    let maxJoinErr = 0;
    for (;;) {
      if (aBuf.length === 0) {
        const x = await ai.next();
        if (!x.done) aBuf = x.value[0];
      }
      if (sBuf.length === 0) {
        const y = await si.next();
        if (!y.done) sBuf = y.value[0];
      }
      const m = Math.min(aBuf.length, sBuf.length);
      if (m === 0) break;
      for (let i = 0; i < m; i++) {
        const e = Math.abs(aBuf[i] - sBuf[i]);
        maxErr = Math.max(maxErr, e);
        const fromJoin = (pos + i) % HOP;
        if (fromJoin < 64 || fromJoin > HOP - 64) maxJoinErr = Math.max(maxJoinErr, e);
      }
      aBuf = aBuf.subarray(m);
      sBuf = sBuf.subarray(m);
      pos += m;
    }
    expect(pos).toBe(n);
    expect(aBuf.length + sBuf.length).toBe(0);
    expect(s.framesOut).toBe(n);
    expect(maxErr).toBeLessThan(1e-5);
    expect(maxJoinErr).toBeLessThan(1e-5);
  });

  it('a band separator: the error is no larger at window joins than between them', async () => {
    const n = 60 * RATE + 777;
    const hz = classHz('Speech', RATE);
    const tone = sine(n, hz, RATE, 0.1);
    const mix = encodeFoa(tone, 30);
    mixInto(mix, encodeFoa(noise(n, 3).map((v) => v * 0.02), -60));
    const input = path.join(dir, 'band.wav');
    await writeAudio(input, mix, RATE, 'float32');
    const r = await pipeline.separate({ path: input, outDir: dir, format: 'f32', models: ['test-tagger-2025', 'test-sep-1'] });
    const stem = (await readAudio(path.join(r.out_dir!, 'Speech.wav'))).data[0];
    expect(stem.length).toBe(n);
    // error energy per 1/16 s block, at joins vs. mid-hop
    const block = RATE / 16;
    const errAt = (start: number) => {
      let e = 0;
      for (let i = start; i < start + block; i++) e += (stem[i] - tone[i]) ** 2;
      return e / block;
    };
    const joins: number[] = [];
    const mids: number[] = [];
    for (let j = HOP; j + HOP < n; j += HOP) {
      joins.push(errAt(j - block / 2));
      mids.push(errAt(j + HOP / 2 - block / 2));
    }
    const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
    const snr = 10 * Math.log10((0.1 ** 2 / 2) / mean(mids));
    expect(snr).toBeGreaterThan(25);
    expect(Math.max(...joins)).toBeLessThan(2 * Math.max(...mids));
  });
});

describe.skipIf(!ready)('s5 separate / s5 tag (child process)', () => {
  it('writes stems, labels.json and labels.csv; one JSON line per recording', () => {
    const n = 12 * RATE;
    const blender = bandNoise(n, classHz('Blender', RATE), 50, RATE, 0.2, 1);
    const dishes = sine(n, classHz('Dishes', RATE), RATE, 0.1);
    const mix = encodeFoa(blender, 60, 10);
    mixInto(mix, encodeFoa(dishes, -100));
    const scene = path.join(dir, 'scene.wav');
    const out = path.join(dir, 'cli-out');
    const env = { ...process.env, S5_SHIPPED_MODELS: models, S5_DATA_DIR: mkdtempSync(path.join(os.tmpdir(), 's5-data-')) };
    return writeAudio(scene, mix, RATE, 'pcm24').then(() => {
      const r = spawnSync(process.execPath, [BIN, 'separate', scene, '-o', out, '--json', '--format', 'flac', '--models', 'test-tagger-2025,test-sep-k3', '--threads', '1'], { encoding: 'utf8', env, timeout: 600_000 });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines).toHaveLength(1);
      const result = S5ResultSchema.parse(JSON.parse(lines[0]));
      expect(result.stems.map((s) => [s.file, s.label])).toEqual([['Blender.flac', 'Blender'], ['Dishes.flac', 'Dishes']]);
      expect(angleDiff(result.stems[0].direction!.azimuth_deg, 60)).toBeLessThan(3);
      expect(Math.abs(result.stems[0].direction!.elevation_deg - 10)).toBeLessThan(3);
      expect(angleDiff(result.stems[1].direction!.azimuth_deg, -100)).toBeLessThan(3);
      expect(result.models.separator?.id).toBe('test-sep-k3');
      expect(result.models.tagger.provider).toMatch(/cpu|cuda/);
      expect(readdirSync(path.join(out, 'scene')).sort()).toEqual(['Blender.flac', 'Dishes.flac', 'labels.csv', 'labels.json']);
      const csv = readFileSync(path.join(out, 'scene', 'labels.csv'), 'utf8').trim().split('\n');
      expect(csv).toHaveLength(3);
      expect(csv[1]).toMatch(/^Blender,Blender,Blender\.flac,1,/);

      const t = spawnSync(process.execPath, [BIN, 'tag', scene, '--models', 'test-tagger-2025'], { encoding: 'utf8', env, timeout: 600_000 });
      expect(t.status).toBe(0);
      expect(t.stdout).toBe(`${scene}: Blender 1.00, Dishes 1.00\n`);
    });
  });

  it('usage and data errors (in-process)', async () => {
    const { runCli } = await import('../../src/cli/main');
    const io = { err: '', stdout() {}, stderr(t: string) { io.err += t; }, stderrIsTTY: false };
    expect(await runCli(['separate', path.join(dir, 'missing.wav'), '-o', dir], io)).toBe(1);
    expect(io.err).toMatch(/s5: error: .*missing\.wav: no such file or folder/);
    io.err = '';
    expect(await runCli(['separate', path.join(dir, 'scene.wav')], io)).toBe(2);
    expect(io.err).toMatch(/missing required option --out/);
    io.err = '';
    expect(await runCli(['separate', 'x.wav', '-o', dir, '--format', 'mp3'], io)).toBe(2);
    expect(io.err).toMatch(/--format must be one of wav16, wav24, f32, flac/);
  });
});
