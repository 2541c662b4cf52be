/**
 * Stem verification on Live's listen path (issue #13), in the engine with real ONNX sessions and
 * the tiny test models (8 kHz, 4-s windows): a scene holding only a Dishes tone is replayed as
 * live; the identity separator returns the whole W channel for any class it is asked for, so
 * listening to "Speech" hears the Dishes tone — until the test verifier (installed, so active by
 * default) rejects it and the Speech output fades to silence. Listening to "Dishes" is confirmed
 * and keeps sounding. The gate is the only difference between the two runs.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallReply } from '../../src/shared/api';
import { writeAudio } from '../../src/engine/audio';
import { Engine } from '../../src/engine/engine';
import { cachedTestModels, cachedVerifier, classHz, encodeFoa, sine, torchReady } from '../fixtures/models/helpers';

const RATE = 8000;
const ready = torchReady();
let dir: string;
let scene: string;
const saved = { shipped: process.env.S5_SHIPPED_MODELS, data: process.env.S5_DATA_DIR };

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

beforeAll(async () => {
  if (!ready) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-live-verify-'));
  process.env.S5_SHIPPED_MODELS = cachedTestModels(RATE, 4);
  process.env.S5_DATA_DIR = path.join(dir, 'data');
  cpSync(path.join(cachedVerifier(RATE, 4), 'test-verifier'), path.join(dir, 'data', 'models', 'test-verifier'), { recursive: true });
  scene = path.join(dir, 'dishes.wav');
  await writeAudio(scene, encodeFoa(sine(8 * RATE, classHz('Dishes', RATE), RATE, 0.1), 45), RATE, 'float32');
});
afterAll(() => {
  for (const [k, v] of [['S5_SHIPPED_MODELS', saved.shipped], ['S5_DATA_DIR', saved.data]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Replays the scene listening to `label`; returns the RMS of each output block in order. */
async function listen(label: string): Promise<number[]> {
  const events: [string, any][] = [];
  const engine = new Engine({ shell: 'inprocess', inference: { threads: 1 }, emit: (e, p) => events.push([e, p]) });
  try {
    value(await engine.dispatch('liveStart', {
      source: { kind: 'replay', path: scene, speed: 2, loop: false }, models: ['test-tagger-2025', 'test-sep-identity'],
      listen: [label], listenWindowSeconds: 1, output: { kind: 'client' },
    }));
    await until(() => events.some(([e, p]) => e === 'liveState' && (p.state === 'ended' || p.state === 'failed')), 60_000);
    value(await engine.dispatch('liveStop', {}));
  } finally {
    await engine.dispose();
  }
  return events.filter(([e]) => e === 'liveAudio').map(([, p]) => {
    const pcm = p.pcm as Float32Array;
    return Math.sqrt(pcm.reduce((s, v) => s + v * v, 0) / Math.max(1, pcm.length));
  });
}

describe.skipIf(!ready)('Live listen path with a stem verifier', () => {
  it('a listened class the verifier rejects fades to silence; a confirmed one keeps sounding', async () => {
    const dishes = await listen('Dishes');
    const speech = await listen('Speech');
    expect(dishes.length).toBeGreaterThan(8);
    expect(speech.length).toBeGreaterThan(8);
    // The tone's W at amplitude 0.1 has RMS ≈ 0.07; every block after the first check is gated for Speech.
    const tail = (x: number[]) => x.slice(Math.floor(x.length / 2));
    expect(Math.min(...tail(dishes))).toBeGreaterThan(0.03);
    expect(Math.max(...tail(speech))).toBeLessThan(1e-6);
  });
});
