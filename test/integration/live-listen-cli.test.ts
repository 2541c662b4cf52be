/**
 * `s5 listen` (issue #17): the command, run through the npm bin as users run it, writes what the
 * Live path plays. The Live path here is the engine's `liveStart` (the API the Live view calls)
 * with the same recording replayed unpaced and the listen audio taken from its `liveAudio` events,
 * each block placed at its input time; both must agree to 1e-6 in direct and in clean mode. Also:
 * the printed latency budget, and the command's usage errors.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallReply } from '../../src/shared/api';
import { readAudio } from '../../src/engine/audio';
import { Engine } from '../../src/engine/engine';
import { runCli } from '../../src/cli/main';
import type { CliIO } from '../../src/cli/io';

const ROOT = path.resolve(__dirname, '../..');
const SCENE = path.join(ROOT, 'resources/demo/soundscape/demo_000000.wav');
let dir: string;
let engine: Engine;
const events: [string, any][] = [];

function value<T = any>(r: CallReply): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-listen-cli-'));
  engine = new Engine({ shell: 'inprocess', inference: { threads: 2 }, emit: (e, p) => events.push([e, p]) });
});
afterAll(async () => {
  await engine?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The Live path: liveStart on an unpaced replay; the liveAudio blocks placed at their input times. */
async function live(mode: 'direct' | 'clean', labels: string[]): Promise<{ pcm: Float32Array; rate: number }> {
  events.length = 0;
  const info = value(await engine.dispatch('liveStart', {
    source: { kind: 'replay', path: SCENE, loop: false, paced: false }, listen: labels, listenMode: mode, output: { kind: 'client' },
  }));
  await new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      const end = events.find(([e, p]) => e === 'liveState' && p.sessionId === info.sessionId && p.state !== 'running');
      if (!end) return;
      clearInterval(t);
      if (end[1].state === 'ended') resolve();
      else reject(new Error(end[1].message));
    }, 50);
  });
  value(await engine.dispatch('liveStop', {}));
  const blocks = events.filter(([e, p]) => e === 'liveAudio' && p.sessionId === info.sessionId).map(([, p]) => p);
  const rate: number = info.modelRate;
  const n = (await readAudio(SCENE, { targetRate: rate })).data[0].length;
  const pcm = new Float32Array(n);
  for (const b of blocks) {
    const at = Math.round(b.t * rate);
    for (let i = 0; i < b.pcm.length; i++) if (at + i >= 0 && at + i < n) pcm[at + i] = b.pcm[i];
  }
  return { pcm, rate };
}

function cli(args: string[]): { status: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'bin/s5.cjs'), ...args], { encoding: 'utf8', timeout: 600_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('s5 listen writes what the Live path plays', () => {
  for (const mode of ['direct', 'clean'] as const) {
    it(`${mode} mode: the CLI's WAV equals the engine's live output within 1e-6`, async () => {
      const out = path.join(dir, `${mode}.wav`);
      const r = cli(['listen', SCENE, '--class', 'Pour', '--class', 'HairDryer', '--mode', mode, '-o', out, '--threads', '2']);
      expect(r.status, r.err).toBe(0);
      expect(r.out).toContain(`latency budget (${mode})`);
      expect(r.out).toMatch(mode === 'direct' ? /algorithmic delay\s+0 ms/ : /algorithmic delay\s+10\.0 ms … 260\.0 ms/);
      expect(r.out).toMatch(/processing per (block|hop)/);
      const wav = await readAudio(out);
      const ref = await live(mode, ['Pour', 'HairDryer']);
      expect(wav.info.channels).toBe(1);
      expect(wav.info.sampleRate).toBe(ref.rate);
      expect(wav.data[0].length).toBe(ref.pcm.length);
      let maxDiff = 0;
      let energy = 0;
      for (let i = 0; i < ref.pcm.length; i++) {
        maxDiff = Math.max(maxDiff, Math.abs(wav.data[0][i] - ref.pcm[i]));
        energy += ref.pcm[i] * ref.pcm[i];
      }
      expect(energy).toBeGreaterThan(0); // something was heard
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
      console.log(`s5 listen ${mode}: ${ref.pcm.length} samples, max |CLI − Live| = ${maxDiff.toExponential(2)}\n${r.out}`);
    });
  }
});

describe('s5 listen usage', () => {
  function capture(): CliIO & { out: string; err: string } {
    const io = { out: '', err: '', stderrIsTTY: false, stdout: (t: string) => void (io.out += t), stderr: (t: string) => void (io.err += t) };
    return io;
  }
  it.each([
    [['listen', SCENE, '-o', 'x.wav'], /name a class to hear with --class/],
    [['listen', SCENE, '--class', 'Speach', '-o', 'x.wav'], /--class: unknown class 'Speach' \(accepted: .*Speech/],
    [['listen', SCENE, '--class', 'Speech', '--mode', 'fast', '-o', 'x.wav'], /--mode must be one of direct, clean/],
    [['listen', SCENE, '--class', 'Speech'], /name the output file with -o OUT\.wav/],
    [['listen', SCENE, '--class', 'Speech', '-o', 'x.flac'], /-o must name a \.wav file/],
    [['listen', '--class', 'Speech', '-o', 'x.wav'], /name the recording to render/],
    [['listen', SCENE, '--class', 'Speech', '--direction-hop', '0', '-o', 'x.wav'], /--direction-hop must be a number of seconds from 0\.05 to 10/],
  ])('%j → exit 2 with a specific message', async (args, message) => {
    const io = capture();
    expect(await runCli(args, io)).toBe(2);
    expect(io.err).toMatch(message);
  });

  it('a missing recording is a data error naming the file', async () => {
    const io = capture();
    expect(await runCli(['listen', path.join(dir, 'nope.wav'), '--class', 'Speech', '-o', path.join(dir, 'x.wav')], io)).toBe(1);
    expect(io.err).toMatch(/nope\.wav/);
  });
});
