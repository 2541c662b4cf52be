/**
 * The label timeline's resolution on a short clip (issue #16): a 6-s FOA scene synthesised here
 * from two of the demo's dry targets — Percussion from 0.1 s to 2.9 s at the left, Pour from 3 s
 * to the end at the right, over −50 dBFS white noise — analysed by the real scene engine module
 * with the shipped models. The tagger sees one window (both classes at full confidence over the
 * whole clip); the timeline built from the engine's stem and mixture PCM, as the Scene view builds
 * it, must put Pour in the second half only, and Percussion where it plays.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudio, writeAudio } from '../../../src/engine/audio';
import { Engine } from '../../../src/engine/engine';
import { SettingsStore } from '../../../src/engine/settings/settings';
import { stemActivity, thresholdFor, timelineRows } from '../../../src/renderer/lib/scene-timeline';
import { SCENE_AUDIO_MAX_FRAMES, type SceneAnalysis } from '../../../src/shared/api-scene';
import type { ModelManifest } from '../../../src/shared/manifest';

const repo = path.resolve(__dirname, '../../..');
const ORACLE = path.join(repo, 'resources/demo/oracle_target');
const RATE = 32000;
const SECONDS = 6;
const POUR_START = 3;

let engine: Engine;
let tmp: string;
let analysis: SceneAnalysis;

async function call(method: string, arg: unknown): Promise<any> {
  const r = await engine.dispatch(method, arg);
  if (!r.ok) throw new Error(`${method}: ${r.error.code}: ${r.error.message}`);
  return r.value;
}

/** ACN/SN3D first-order encoding of a mono source at azimuth/elevation (degrees), added into `out` from `at`. */
function addFoa(out: Float32Array[], x: Float32Array, at: number, azDeg: number, elDeg: number): void {
  const az = (azDeg * Math.PI) / 180;
  const el = (elDeg * Math.PI) / 180;
  const g = [1, Math.sin(az) * Math.cos(el), Math.sin(el), Math.cos(az) * Math.cos(el)];
  for (let c = 0; c < 4; c++) for (let i = 0; i < x.length && at + i < out[c].length; i++) out[c][at + i] += g[c] * x[i];
}

async function scene(file: string): Promise<void> {
  const n = SECONDS * RATE;
  let seed = 0x9e3779b9;
  const noise = () => {
    // xorshift32: uniform, scaled to unit variance
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return ((seed >>> 0) / 2 ** 32 - 0.5) * Math.sqrt(12);
  };
  const out = [0, 1, 2, 3].map(() => Float32Array.from({ length: n }, () => 10 ** (-50 / 20) * noise()));
  const percussion = (await readAudio(path.join(ORACLE, 'demo_000002_Percussion.wav'))).data[0];
  const pour = (await readAudio(path.join(ORACLE, 'demo_000000_Pour.wav'))).data[0];
  expect(percussion.length / RATE).toBeGreaterThanOrEqual(2.8);
  addFoa(out, percussion.subarray(0, 2.8 * RATE), 0.1 * RATE, -60, 10);
  addFoa(out, pour.subarray(0, (SECONDS - POUR_START) * RATE), POUR_START * RATE, 60, 0);
  await writeAudio(file, out, RATE, 'pcm16');
}

async function pcm(a: SceneAnalysis, source: { kind: 'mixture' } | { kind: 'stem'; name: string }): Promise<Float32Array> {
  const x = new Float32Array(a.frames);
  for (let start = 0; start < a.frames; start += SCENE_AUDIO_MAX_FRAMES) {
    const piece = await call('sceneAudio', { analysisId: a.analysisId, source, start, frames: SCENE_AUDIO_MAX_FRAMES });
    x.set(piece.data[0], start);
  }
  return x;
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-timeline-activity-'));
  const file = path.join(tmp, 'percussion-then-pour.wav');
  await scene(file);
  engine = new Engine({
    shell: 'inprocess', inference: { threads: 1 },
    registry: { roots: [{ dir: path.join(repo, 'models'), source: 'shipped' }], settings: new SettingsStore(path.join(tmp, 'settings.json')) },
    emit: () => undefined,
  });
  analysis = await call('sceneAnalyse', { path: file, jobId: 't1' });
}, 600_000);

afterAll(async () => {
  await engine?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('label timeline on a short clip', () => {
  it('shows Pour off in the first half and on in the second, in 0.25-s cells, where the tagger has one window', async () => {
    const r = analysis.result;
    // The tagger is clip-level: one window over the whole clip, both classes found in it.
    expect(r.timeline).toHaveLength(1);
    expect(r.labels.map((l) => l.label).sort()).toEqual(['Percussion', 'Pour']);
    const { models } = await call('listModels', {});
    const tagger = models.find((m: ModelManifest) => m.id === r.models.tagger.id) as ModelManifest;
    const rule = { threshold: tagger.decision!.threshold, thresholds: tagger.decision!.thresholds };

    const mixture = await pcm(analysis, { kind: 'mixture' });
    const stems = await Promise.all(r.stems.map(async (s) => ({ label: s.label, pcm: await pcm(analysis, { kind: 'stem', name: s.name }) })));
    const activity = stemActivity(stems, mixture, analysis.rate);
    const rows = timelineRows(r.timeline_labels, r.timeline, r.labels, analysis.frames / analysis.rate, rule, false, activity);
    const pour = rows.find((x) => x.label === 'Pour')!;
    const percussion = rows.find((x) => x.label === 'Percussion')!;
    expect(pour.resolution).toBe(0.25);
    expect(pour.cells).toHaveLength(SECONDS / 0.25);

    const firstHalf = pour.cells.filter((c) => c.end <= POUR_START);
    const secondHalf = pour.cells.filter((c) => c.start >= POUR_START);
    expect(firstHalf).toHaveLength(12);
    expect(secondHalf).toHaveLength(12);
    // On after 3 s: every cell, at the class's own threshold. Off before (while the percussion plays),
    // but for what the separator leaks into the Pour stem: with the v2 pair, percussion transients show
    // in 3 of the 12 cells (0.19, 0.21, 0.56), one of them above Pour's threshold. The timeline shows
    // that leakage as activity (docs/ui.md); it must stay the exception.
    const mean = (cs: { prob: number }[]) => cs.reduce((s, c) => s + c.prob, 0) / cs.length;
    expect(Math.min(...secondHalf.map((c) => c.prob))).toBeGreaterThanOrEqual(thresholdFor(rule, 'Pour'));
    expect(firstHalf.filter((c) => c.prob >= thresholdFor(rule, 'Pour')).length).toBeLessThanOrEqual(2);
    expect(firstHalf.filter((c) => c.prob < 0.1).length).toBeGreaterThanOrEqual(8);
    expect(mean(firstHalf)).toBeLessThan(mean(secondHalf) / 5);

    // Percussion is on where it plays (most of its cells from 0.1 to 2.9 s) and, on the whole,
    // much weaker after 3 s (what the separator left of it under the pour).
    const playing = percussion.cells.filter((c) => c.start >= 0.1 && c.end <= 2.9);
    const after = percussion.cells.filter((c) => c.start >= POUR_START);
    const on = playing.filter((c) => c.prob >= thresholdFor(rule, 'Percussion')).length;
    expect(on / playing.length).toBeGreaterThanOrEqual(0.6);
    expect(mean(after)).toBeLessThan(mean(playing) / 2);
  });
});
