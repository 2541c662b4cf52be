/**
 * The listen output through PortAudio (not Web Audio), issue #17: a user-space PulseAudio daemon
 * (test/tools/live-audio-env.ts) gets a mono float null sink `s5listen` at the model rate, reached
 * from ALSA as a PCM of that name; the engine plays a replayed scene's direct-mode listen audio
 * to that device (`output: {kind: 'device'}`), `parec` records the sink's monitor, and the
 * recording must be what the Live path renders for the same input (the same session with client
 * output, which `s5 listen` writes): each stretch the sink recorded between silences, aligned by
 * cross-correlation, equals a stretch of the rendered signal to within −60 dB, in order, and
 * together they cover at least 90 % of it.
 *
 * The replay is unpaced, so the rendered signal is the same in both runs, and the device plays it
 * out in real time (a session that ends by itself drains its output). The models are the tiny test
 * models (16 kHz, 4-s windows; noise in the Dishes band at 60° is tagged and separated, so the beam steers),
 * so the render runs far ahead of real time and the device does not wait for it. A device that
 * underruns anyway (a loaded machine can hold up PortAudio's thread or the sound server) plays
 * silence and PortAudio's ALSA recovery drops what it was about to play: hence the stretches.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, mkdtempSync, openSync, readFileSync, rmSync, closeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallReply } from '../../src/shared/api';
import { writeAudio } from '../../src/engine/audio';
import { Fft } from '../../src/engine/dsp/fft';
import { cachedTestModels, classHz, encodeFoa, mixInto, noise, torchReady } from '../fixtures/models/helpers';
import { havePulse, startPulse, type PulseServer } from '../tools/live-audio-env';

const RATE = 16000;
const SECONDS = 4;
const ready = havePulse && torchReady();
const saved = { shipped: process.env.S5_SHIPPED_MODELS, data: process.env.S5_DATA_DIR };
const haveParec = spawnSync('sh', ['-c', 'command -v parec && command -v pactl'], { encoding: 'utf8' }).status === 0;
const home = mkdtempSync(path.join(os.tmpdir(), 's5-live-out-'));
const SCENE = path.join(home, 'scene.wav');
let pulse: PulseServer | null = null;
let engine: import('../../src/engine/engine').Engine | null = null;
const events: [string, any][] = [];

/** Noise in a band around `hz` (white noise smoothed over 16 samples, on a carrier): never periodic. */
function noiseBand(n: number, hz: number, seed: number): Float32Array {
  const w = noise(n + 16, seed);
  const out = new Float32Array(n);
  let acc = 0;
  for (let i = 0; i < n + 16; i++) {
    acc += w[i] - (i >= 16 ? w[i - 16] : 0);
    if (i >= 16) out[i - 16] = (0.1 * acc * Math.sin((2 * Math.PI * hz * (i - 16)) / RATE)) / 4;
  }
  return out;
}

function value<T = any>(r: CallReply): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value as T;
}

beforeAll(async () => {
  if (!ready || !haveParec) return;
  process.env.S5_SHIPPED_MODELS = cachedTestModels(RATE, 4);
  process.env.S5_DATA_DIR = path.join(home, 'data');
  const scene = encodeFoa(noiseBand(SECONDS * RATE, classHz('Dishes', RATE), 1), 60);
  mixInto(scene, encodeFoa(noiseBand(SECONDS * RATE, classHz('Speech', RATE), 2), 200));
  await writeAudio(SCENE, scene, RATE, 'float32');
  pulse = await startPulse(home, 48000);
  const load = spawnSync('pactl', ['load-module', 'module-null-sink', 'sink_name=s5listen', 'format=float32le', `rate=${RATE}`, 'channels=1', 'channel_map=mono'], { env: pulse.env, encoding: 'utf8' });
  if (load.status !== 0) throw new Error(`pactl load-module failed: ${load.stderr}`);
  appendFileSync(path.join(home, '.asoundrc'), 'pcm.s5listen { type pulse device "s5listen" hint { show on description "S5 listen sink" } }\n');
  Object.assign(process.env, { HOME: home, PULSE_SERVER: pulse.server, XDG_RUNTIME_DIR: home, PULSE_RUNTIME_PATH: home });
  const { Engine } = await import('../../src/engine/engine');
  engine = new Engine({ shell: 'inprocess', inference: { threads: 2 }, emit: (e, p) => events.push([e, p]) });
}, 60_000);
afterAll(async () => {
  await engine?.dispose();
  await pulse?.stop();
  for (const [k, v] of [['S5_SHIPPED_MODELS', saved.shipped], ['S5_DATA_DIR', saved.data]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  rmSync(home, { recursive: true, force: true });
});

async function session(output: object): Promise<{ id: string; ended: Promise<void> }> {
  const e = engine as NonNullable<typeof engine>;
  const info = value(await e.dispatch('liveStart', {
    source: { kind: 'replay', path: SCENE, loop: false, paced: false }, models: ['test-tagger-2025', 'test-sep-k3'],
    listen: ['Dishes'], listenMode: 'direct', hopSeconds: 0.25, directionWindowSeconds: 1, output,
  }));
  const ended = new Promise<void>((resolve, reject) => {
    const t = setInterval(() => {
      const end = events.find(([ev, p]) => ev === 'liveState' && p.sessionId === info.sessionId && p.state !== 'running');
      if (!end) return;
      clearInterval(t);
      if (end[1].state === 'ended') resolve();
      else reject(new Error(end[1].message));
    }, 50);
  });
  return { id: info.sessionId, ended };
}

/** Lag (samples) at which `y` best matches `x` (y[i + lag] ≈ x[i]), by FFT cross-correlation. */
function bestLag(x: Float32Array, y: Float32Array): number {
  let n = 1;
  while (n < x.length + y.length) n *= 2;
  const fft = new Fft(n);
  const xr = new Float64Array(n);
  const xi = new Float64Array(n);
  const yr = new Float64Array(n);
  const yi = new Float64Array(n);
  xr.set(x);
  yr.set(y);
  fft.forward(xr, xi);
  fft.forward(yr, yi);
  // c = IFFT(Y · conj X): forward FFT of the conjugate, conjugated back (only the real part matters).
  const cr = new Float64Array(n);
  const ci = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    cr[k] = yr[k] * xr[k] + yi[k] * xi[k];
    ci[k] = -(yi[k] * xr[k] - yr[k] * xi[k]);
  }
  fft.forward(cr, ci);
  let best = 0;
  for (let lag = 1; lag < n; lag++) if (cr[lag] > cr[best]) best = lag;
  return best > n / 2 ? best - n : best;
}

/** Stretches of `x` between runs of at least `min` exact zeros (silence from the sink), ≥ 160 samples long. */
function stretches(x: Float32Array, min = 4): Float32Array[] {
  const out: Float32Array[] = [];
  let i = 0;
  while (i < x.length) {
    if (x[i] === 0) {
      i++;
      continue;
    }
    let j = i;
    let zeros = 0;
    while (j < x.length && zeros < min) {
      zeros = x[j] === 0 ? zeros + 1 : 0;
      j++;
    }
    const end = zeros >= min ? j - zeros : j;
    if (end - i >= 160) out.push(x.subarray(i, end));
    i = j;
  }
  return out;
}

describe.skipIf(!ready || !haveParec)('listen output through PortAudio to a PulseAudio null sink', () => {
  it('what the device plays is what the Live path renders', async () => {
    const e = engine as NonNullable<typeof engine>;
    const devices = value(await e.dispatch('liveDevices', {}));
    const dev = devices.outputs.find((d: { name: string }) => d.name === 's5listen');
    expect(dev, `no s5listen device among ${devices.outputs.map((d: { name: string }) => d.name).join(', ')}`).toBeTruthy();

    // The rendered signal: the same session with client output (what `s5 listen` writes).
    events.length = 0;
    const ref = await session({ kind: 'client' });
    await ref.ended;
    value(await e.dispatch('liveStop', {}));
    const blocks = events.filter(([ev, p]) => ev === 'liveAudio' && p.sessionId === ref.id).map(([, p]) => p);
    const rendered = new Float32Array(SECONDS * RATE);
    for (const b of blocks) rendered.set(b.pcm.subarray(0, Math.max(0, rendered.length - Math.round(b.t * RATE))), Math.round(b.t * RATE));

    // Played on the device, recorded from the sink's monitor.
    const raw = path.join(home, 'played.f32');
    const fd = openSync(raw, 'w');
    // Silence played into the sink from before the start keeps it running (a sink that wakes from
    // idle leaves the first tens of ms out of its monitor); zeros do not change the mix.
    const keepAwake: ChildProcess = spawn('pacat', ['--playback', '-d', 's5listen', '--format=float32le', `--rate=${RATE}`, '--channels=1', '--raw', '/dev/zero'], { env: pulse!.env, stdio: 'ignore' });
    const rec: ChildProcess = spawn('parec', ['-d', 's5listen.monitor', '--format=float32le', `--rate=${RATE}`, '--channels=1', '--raw', '--latency-msec=20'], { env: pulse!.env, stdio: ['ignore', fd, 'ignore'] });
    await new Promise((r) => setTimeout(r, 500));
    events.length = 0;
    const played = await session({ kind: 'device', deviceId: dev.id, sampleRate: RATE });
    await played.ended; // the output drained: everything written has been played
    const { stats } = value(await e.dispatch('liveStop', {}));
    await new Promise((r) => setTimeout(r, 500));
    rec.kill('SIGINT');
    keepAwake.kill('SIGKILL');
    await new Promise((r) => rec.once('exit', r));
    closeSync(fd);
    const bytes = readFileSync(raw);
    const recorded = new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 4));
    expect(recorded.length).toBeGreaterThan(rendered.length);
    const parts = stretches(recorded);
    let covered = 0;
    let worst = Infinity;
    let last = -1;
    const where: string[] = [];
    for (const part of parts) {
      const lag = bestLag(part, rendered); // rendered[i + lag] ≈ part[i]
      let err = 0;
      let sig = 0;
      for (let i = 0; i < part.length; i++) {
        const r = rendered[i + lag] ?? 0;
        err += (part[i] - r) ** 2;
        sig += r * r;
      }
      const snr = 10 * Math.log10(sig / Math.max(err, 1e-30));
      worst = Math.min(worst, snr);
      expect(lag, 'stretches play in order').toBeGreaterThan(last);
      last = lag;
      covered += part.length;
      where.push(`${lag}+${part.length}`);
    }
    console.log(`PortAudio output: ${recorded.length} samples recorded in ${parts.length} stretch(es) [${where.join(', ')}] of the ${rendered.length} rendered; worst stretch error ${(-worst).toFixed(1)} dB; ${stats.directionPasses} direction passes`);
    expect(parts.length).toBeGreaterThan(0);
    expect(worst).toBeGreaterThan(60);
    expect(covered).toBeGreaterThanOrEqual(0.9 * rendered.length);
    expect(covered).toBeLessThanOrEqual(rendered.length);
    expect(stats.directionPasses).toBeGreaterThan(0);
  });
});
