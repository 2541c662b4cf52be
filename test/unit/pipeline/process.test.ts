/**
 * The streaming pipeline (pipeline/process.ts) with JavaScript stand-ins for the models, so the
 * expected output is exact: an identity separator must give back the W channel sample for sample
 * across every window join; labels appearing late, 2026 duplicates, forced labels, stale files,
 * output resampling, mono input and cancellation.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelManifestSchema, type ModelManifest } from '../../../src/shared/manifest';
import { S5_LABELS, type S5Label } from '../../../src/shared/labels';
import { S5ResultSchema } from '../../../src/shared/result';
import { readAudio, writeAudio } from '../../../src/engine/audio';
import { processRecording, windowCount } from '../../../src/engine/pipeline/process';
import { pipelineHop } from '../../../src/engine/pipeline/windower';
import type { PipelineModel } from '../../../src/engine/pipeline/runners';
import type { Tensor } from '../../../src/engine/inference/ort-client';
import { encodeFoa, noise } from '../../fixtures/models/helpers';

const RATE = 8000;
const WINDOW_S = 1;
const W = RATE * WINDOW_S;

function manifest(kind: 'tagger' | 'separator', over: Partial<ModelManifest> & { outShape?: (string | number)[] } = {}): ModelManifest {
  const { outShape, ...rest } = over;
  const slots = rest.slots ?? (kind === 'tagger' ? 3 : 1);
  return ModelManifestSchema.parse({
    schema_version: 1, id: `fake-${kind}`, name: `fake ${kind}`, kind, task: 'dcase2025t4', architecture: 'js',
    labels: S5_LABELS, sample_rate: RATE, window_seconds: WINDOW_S, channels: kind === 'tagger' ? 1 : 4,
    channel_format: kind === 'tagger' ? 'mono' : 'foa-acn-sn3d', slots,
    inputs: kind === 'tagger'
      ? [{ name: 'mixture', shape: ['batch', 1, 'samples'] }]
      : [{ name: 'mixture', shape: ['batch', 4, 'samples'] }, { name: 'label_vector', shape: ['batch', slots * 18] }],
    outputs: [{ name: 'out', shape: outShape ?? (kind === 'tagger' ? ['batch', 18] : ['batch', slots, 'samples']) }],
    decision: kind === 'tagger' ? { threshold: 0.5, min_events: 1, max_events: 3 } : undefined,
    sha256: '0'.repeat(64), params: 0, provenance: { trainer_version: 'test', created: 'now', data: 'none' }, licence: 'none',
    ...rest,
  });
}

const info = { provider: 'cpu', fallbackReason: null, createMs: 0 };

/** A tagger whose window-k output is `perWindow(k)` (multi-label probabilities or slot rows). */
function fakeTagger(m: ModelManifest, perWindow: (k: number) => Float32Array): PipelineModel {
  let k = 0;
  return {
    manifest: m,
    session: {
      info,
      run: async (feeds: Tensor[]) => {
        const out = perWindow(k++);
        return { outputs: [{ data: out, dims: m.outputs[0].shape.length === 2 ? [1, 18] : [1, 3, 19] }], inputs: feeds.map((f) => f.data), runMs: 0 };
      },
    },
  };
}

/** Slot j returns W × gain(label of slot j) (identity when the gain is 1), zeros for empty slots. */
function fakeSeparator(m: ModelManifest, gain: (label: S5Label) => number = () => 1): PipelineModel {
  return {
    manifest: m,
    session: {
      info,
      run: async (feeds: Tensor[]) => {
        const [mix, query] = feeds;
        const samples = mix.dims[2];
        const S = m.slots;
        const out = new Float32Array(S * samples);
        for (let s = 0; s < S; s++) {
          const idx = query.data.subarray(s * 18, (s + 1) * 18).indexOf(1);
          if (idx < 0) continue;
          const g = gain(S5_LABELS[idx]);
          for (let i = 0; i < samples; i++) out[s * samples + i] = mix.data[i] * g;
        }
        return { outputs: [{ data: out, dims: [1, S, samples] }], inputs: feeds.map((f) => f.data), runMs: 0 };
      },
    },
  };
}

const multi = (values: Partial<Record<S5Label, number>>) => Float32Array.from(S5_LABELS, (l) => values[l] ?? 0.01);
const slotRows = (labels: (S5Label | null)[]) => {
  const out = new Float32Array(labels.length * 19);
  labels.forEach((l, s) => {
    out[s * 19 + (l === null ? 18 : S5_LABELS.indexOf(l))] = 0.9;
  });
  return out;
};

let dir: string;
let foaFile: string;
let foa: Float32Array[];
const N = Math.round(7.3 * RATE) + 3; // not a multiple of the hop

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-process-'));
  foa = encodeFoa(noise(N, 11).map((v) => v * 0.3), 40, 10);
  foaFile = path.join(dir, 'scene.wav');
  await writeAudio(foaFile, foa, RATE, 'float32');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('processRecording', () => {
  it('identity separator: the stem equals W at every sample, across all window joins', async () => {
    const out = path.join(dir, 'identity');
    const r = await processRecording({
      path: foaFile, tagger: fakeTagger(manifest('tagger'), () => multi({ Speech: 0.9 })),
      separator: fakeSeparator(manifest('separator')), output: { dir: out, format: 'f32' }, threads: 1,
    });
    expect(r.labels).toEqual([{ label: 'Speech', count: 1, confidence: 0.9 }]);
    expect(r.timeline).toHaveLength(windowCount(N, W, pipelineHop(W)));
    expect(r.timeline[0]).toMatchObject({ start: 0, end: 1, labels: ['Speech'] });
    expect(r.timeline.at(-1)!.end).toBeCloseTo(N / RATE, 4);
    const stem = (await readAudio(path.join(out, 'Speech.wav'))).data[0];
    expect(stem.length).toBe(N);
    let err = 0;
    for (let i = 0; i < N; i++) err = Math.max(err, Math.abs(stem[i] - foa[0][i]));
    expect(err).toBeLessThan(1e-6);
    const d = r.stems[0].direction!;
    expect(d.azimuth_deg).toBeCloseTo(40, 0);
    expect(d.elevation_deg).toBeCloseTo(10, 0);
    expect(d.windows.length).toBe(Math.ceil(N / pipelineHop(W)));
    expect(r.stems[0].rms_db).toBeCloseTo(20 * Math.log10(0.3 / Math.sqrt(3)), 0);
    const json = S5ResultSchema.parse(JSON.parse(readFileSync(path.join(out, 'labels.json'), 'utf8')));
    expect(json).toEqual(r);
    expect(readFileSync(path.join(out, 'labels.csv'), 'utf8').split('\n')[0]).toBe('label,name,file,confidence,azimuth_deg,elevation_deg,direction_confidence,rms_db');
    expect(readdirSync(out).sort()).toEqual(['Speech.wav', 'labels.csv', 'labels.json']);
  });

  it('a label that starts late gets a full-length stem, silent before its first window', async () => {
    const out = path.join(dir, 'late');
    const r = await processRecording({
      path: foaFile,
      tagger: fakeTagger(manifest('tagger'), (k) => multi(k >= 6 ? { Speech: 0.9, Dishes: 0.8 } : { Speech: 0.9 })),
      separator: fakeSeparator(manifest('separator', { slots: 3 }), (l) => (l === 'Dishes' ? 0.5 : 1)),
      output: { dir: out, format: 'f32' }, threads: 1,
    });
    expect(r.stems.map((s) => s.file)).toEqual(['Speech.wav', 'Dishes.wav']);
    const dishes = (await readAudio(path.join(out, 'Dishes.wav'))).data[0];
    expect(dishes.length).toBe(N);
    const firstWindow = 6 * pipelineHop(W);
    expect(Math.max(...dishes.subarray(0, firstWindow).map(Math.abs))).toBe(0);
    // fully inside windows 7+ (both neighbours have it): exactly half of W
    const i = firstWindow + W;
    expect(dishes[i]).toBeCloseTo(0.5 * foa[0][i], 6);
  });

  it('2026 duplicates become <Label>_1, <Label>_2; stale stems of an earlier run are removed', async () => {
    const out = path.join(dir, 'dups');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(out, { recursive: true });
    for (const f of ['Speech.wav', 'Cough.wav', 'notes.txt']) writeFileSync(path.join(out, f), 'old');
    const tagger = manifest('tagger', { task: 'dcase2026t4', channels: 4, channel_format: 'foa-acn-sn3d', inputs: [{ name: 'mixture', shape: ['batch', 4, 'samples'], dtype: 'float32' }], outShape: ['batch', 3, 19], decision: { threshold: 0, min_events: 0, max_events: 3 } });
    const r = await processRecording({
      path: foaFile, tagger: fakeTagger(tagger, () => slotRows(['Speech', null, 'Speech'])),
      separator: fakeSeparator(manifest('separator', { task: 'dcase2026t4', slots: 3 })), output: { dir: out, format: 'wav16' }, threads: 1,
    });
    expect(r.labels).toEqual([{ label: 'Speech', count: 2, confidence: 0.9 }]);
    expect(r.stems.map((s) => s.name)).toEqual(['Speech_1', 'Speech_2']);
    expect(readdirSync(out).sort()).toEqual(['Speech_1.wav', 'Speech_2.wav', 'labels.csv', 'labels.json', 'notes.txt']);
  });

  it('forced labels: only the most confident one is kept when nothing passes the threshold', async () => {
    const out = path.join(dir, 'forced');
    const r = await processRecording({
      path: foaFile, tagger: fakeTagger(manifest('tagger'), (k) => multi(k % 2 ? { Pour: 0.3 } : { Cough: 0.4 })),
      separator: fakeSeparator(manifest('separator')), output: { dir: out, format: 'wav16' }, threads: 1,
    });
    expect(r.labels.map((l) => l.label)).toEqual(['Cough']);
    expect(readdirSync(out).filter((f) => f.endsWith('.wav'))).toEqual(['Cough.wav']);
  });

  it('output resampling: 8 kHz model, 16 kHz stems of exactly twice the length', async () => {
    const out = path.join(dir, 'rate');
    const r = await processRecording({
      path: foaFile, tagger: fakeTagger(manifest('tagger'), () => multi({ Speech: 0.9 })),
      separator: fakeSeparator(manifest('separator')), output: { dir: out, format: 'wav24', sampleRate: 16000 }, threads: 1,
    });
    expect(r.output).toEqual({ format: 'wav24', sample_rate: 16000 });
    const a = await readAudio(path.join(out, 'Speech.wav'));
    expect(a.sampleRate).toBe(16000);
    expect(a.data[0].length).toBe(2 * N);
  });

  it('mono input: missing channels are zeros (warning), no direction', async () => {
    const mono = path.join(dir, 'mono.wav');
    await writeAudio(mono, [foa[0]], RATE, 'float32');
    const r = await processRecording({
      path: mono, tagger: fakeTagger(manifest('tagger'), () => multi({ Speech: 0.9 })),
      separator: fakeSeparator(manifest('separator')), output: { dir: path.join(dir, 'mono'), format: 'wav16' }, threads: 1,
    });
    expect(r.warnings.join('\n')).toMatch(/1-channel input but the models take 4 channels/);
    expect(r.stems[0].direction).toBeNull();
  });

  it('cancellation between windows: cancelled error, no stem file, no staging folder', async () => {
    const out = path.join(dir, 'cancel');
    const controller = new AbortController();
    await expect(
      processRecording({
        path: foaFile, tagger: fakeTagger(manifest('tagger'), () => multi({ Speech: 0.9 })),
        separator: fakeSeparator(manifest('separator')), output: { dir: out, format: 'wav16' }, threads: 1,
        signal: controller.signal, onProgress: (p) => p.done === 3 && controller.abort(),
      }),
    ).rejects.toMatchObject({ code: 'cancelled' });
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  });

  it('tag only: timeline and labels, no output', async () => {
    const r = await processRecording({ path: foaFile, tagger: fakeTagger(manifest('tagger'), () => multi({ Typing: 0.7 })), separator: null, threads: 1 });
    expect(r.stems).toEqual([]);
    expect(r.out_dir).toBeNull();
    expect(r.labels.map((l) => l.label)).toEqual(['Typing']);
    expect(r.timeline[0].probs).toHaveLength(18);
  });
});
