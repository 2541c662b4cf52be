/**
 * Switching listen modes while listening crossfades (issue #17). With the tiny test models (16 kHz)
 * and the identity separator (the queried class's stem is the W channel) and a class the tagger
 * never turns on (so its beam stays omni, i.e. W) in a scene of one low tone, both paths play W:
 * every output block is W at
 * its input frames, except where the mode changes. The session is switched direct → clean at 1 s
 * and back at 2.5 s of output (from inside the output callback of an unpaced replay, so the points
 * are exact). The blocks, in the order a listener hears them, must be W everywhere but in two
 * 10 ms crossfades, each (1 − w)·(old path's continuation) + w·(new path) with the raised-cosine
 * w — and the largest sample-to-sample step of the heard stream stays within twice W's own (a 10 ms
 * crossfade between two phases of the tone bends it a little), while the same stream switched
 * without the crossfades steps at least 4 times W's (the check sees clicks).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudio } from '../../src/engine/audio';
import { createLiveSession } from '../../src/engine/live/module';
import { createRuntime, type Runtime } from '../../src/engine/runtime';
import { LiveStartRequestSchema } from '../../src/shared/api-live';
import { cachedTestModels, encodeFoa, sine, torchReady } from '../fixtures/models/helpers';

const RATE = 16000;
const F = 160;
const ready = torchReady();
const saved = { shipped: process.env.S5_SHIPPED_MODELS, data: process.env.S5_DATA_DIR };
let dir: string;
let scene: string;
let W: Float32Array;
let runtime: Runtime;

beforeAll(async () => {
  if (!ready) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-live-switch-'));
  process.env.S5_SHIPPED_MODELS = cachedTestModels(RATE, 4);
  process.env.S5_DATA_DIR = path.join(dir, 'data');
  // A 97.3 Hz tone at 30° (below every class band of the test tagger: no class turns on, so the beam
  // stays omni); W is the tone itself. It repeats exactly only every 10 s (a 110 Hz tone would repeat
  // every 1600 samples, and the walk below could not tell which clean frames a block carries), and
  // its period (164.4 samples) is no divisor of the 160-frame blocks, so switching paths without a
  // crossfade jumps in phase.
  const foa = encodeFoa(sine(4 * RATE, 97.3, RATE, 0.2), 30);
  W = foa[0];
  scene = path.join(dir, 'tone.wav');
  await writeAudio(scene, foa, RATE, 'float32');
  runtime = createRuntime({ inference: { threads: 1 } });
});
afterAll(async () => {
  await runtime?.dispose();
  for (const [k, v] of [['S5_SHIPPED_MODELS', saved.shipped], ['S5_DATA_DIR', saved.data]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const fade = (i: number) => 0.5 - 0.5 * Math.cos((Math.PI * (i + 0.5)) / F);

describe.skipIf(!ready)('switching listen modes', () => {
  it('direct → clean → direct: W everywhere but two 10 ms crossfades; no step larger than W’s own', async () => {
    const blocks: { t: number; pcm: Float32Array }[] = [];
    let heard = 0;
    let phase = 0;
    const req = LiveStartRequestSchema.parse({
      source: { kind: 'replay', path: scene, loop: false, paced: false }, models: ['test-tagger-2025', 'test-sep-identity'],
      listen: ['Speech'], listenMode: 'direct', listenWindowSeconds: 1, output: { kind: 'client' },
    });
    let done: () => void = () => undefined;
    const ended = new Promise<void>((r) => (done = r));
    const session = await createLiveSession({
      runtime: () => runtime,
      emit: (event, payload) => {
        const p = payload as { pcm?: Float32Array; t?: number; state?: string };
        if (event === 'liveState' && p.state && p.state !== 'running') done();
        if (event !== 'liveAudio' || !p.pcm || p.t === undefined) return;
        blocks.push({ t: p.t, pcm: Float32Array.from(p.pcm) });
        heard += p.pcm.length;
        // Switch from inside the output callback: deterministic points in an unpaced replay.
        if (phase === 0 && heard >= RATE) {
          phase = 1;
          session.setListen(['Speech'], 'clean');
        } else if (phase === 1 && heard >= 2.5 * RATE) {
          phase = 2;
          session.setListen(['Speech'], 'direct');
        }
      },
    }, req);
    await session.start();
    await ended;
    expect(phase).toBe(2);
    expect(session.stats().latencyByMode.clean.samples).toBeGreaterThan(0);
    expect(session.stats().latencyByMode.direct.samples).toBeGreaterThan(0);

    // Walk the heard stream: W at each block's frames, or a crossfade at a switch.
    const stream: number[] = [];
    const hard: number[] = [];
    const crossfades: string[] = [];
    let prevEnd = -1;
    let worst = 0;
    const at = (f: number) => (f >= 0 && f < W.length ? W[f] : 0);
    for (const b of blocks) {
      const t = Math.round(b.t * RATE);
      const n = b.pcm.length;
      let expected: (i: number) => number = (i) => at(t + i);
      let plain: (i: number) => number = expected;
      let end = t + n;
      if (prevEnd >= 0 && t !== prevEnd) {
        // A jump in input time: clean → direct: fade from the clean path's continuation (the tail
        // it had separated) into this block.
        const old = prevEnd;
        expected = (i) => (i < F ? at(old + i) * (1 - fade(i)) + at(t + i) * fade(i) : at(t + i));
        crossfades.push(`clean → direct at ${(t / RATE).toFixed(3)} s`);
      } else if (n > F && Math.abs(b.pcm[F + 5] - at(t + F + 5)) > 1e-6) {
        // direct → clean hand-over: this direct block's first F samples fade into the clean
        // block's first F, then the clean block goes on. Find where the clean part comes from.
        let c = -1;
        for (let k = Math.max(0, t - 2 * RATE); k <= t && c < 0; k++) {
          let ok = true;
          for (let j = 0; j < 40 && ok; j++) ok = Math.abs(b.pcm[F + j] - at(k + F + j)) < 1e-6;
          if (ok) c = k;
        }
        expect(c, 'the hand-over block continues with clean frames').toBeGreaterThanOrEqual(0);
        expected = (i) => (i < F ? at(t + i) * (1 - fade(i)) + at(c + i) * fade(i) : at(c + i));
        plain = (i) => (i < F ? at(t + i) : at(c + i));
        end = c + n;
        crossfades.push(`direct → clean at ${(t / RATE).toFixed(3)} s`);
      }
      for (let i = 0; i < n; i++) {
        if (t + i >= 2 * F) worst = Math.max(worst, Math.abs(b.pcm[i] - expected(i)));
        stream.push(b.pcm[i]);
        hard.push(plain(i));
      }
      prevEnd = end;
    }
    console.log(`mode switches: ${crossfades.join(', ')}; largest deviation from the crossfade model ${worst.toExponential(2)}`);
    expect(crossfades.length).toBe(2);
    expect(worst).toBeLessThan(1e-6);

    const maxStep = (x: ArrayLike<number>, from = 2 * F) => {
      let m = 0;
      for (let i = from; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]));
      return m;
    };
    const own = maxStep(W);
    const heardStep = maxStep(stream);
    const hardStep = maxStep(hard);
    console.log(`largest step: W ${own.toFixed(4)}, heard ${heardStep.toFixed(4)}, switched without crossfade ${hardStep.toFixed(4)}`);
    expect(heardStep).toBeLessThanOrEqual(own * 2);
    expect(hardStep).toBeGreaterThan(own * 4);
  });
});
