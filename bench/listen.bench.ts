/**
 * Live listen modes (issue #17) — `npx tsx bench/listen.bench.ts` (or `npm run bench listen`).
 * One JSON line per measurement, no assertions:
 *
 *  - suppression: two sources of the same level in a simulated room (test/tools/listen_scene.py:
 *    8 × 6 × 3.5 m, T60 0.3 s, 0.75 m; A = HairDryer at 0°, B = Dishes at 120° or 180°), rendered
 *    through the live path in direct mode with each beam; A's beam frozen at its last weights and
 *    applied to each source alone: the A-to-B energy ratio over W's (dB), and A's own level
 *    through the beam relative to W (dB). Needs numpy + scipy (skipped otherwise).
 *  - latency per mode, replay: a demo scene replayed as live (real clock) for BENCH_LISTEN_SECONDS
 *    (12) per mode, client output: capture → handed to the output, p50/p95 (ms), as a ratio to the
 *    50 ms goal for direct; load, skipped passes, late direction updates.
 *  - latency per mode, devices: when PulseAudio is installed, the same through real PortAudio
 *    devices — capture from a 4-channel null sink's monitor (10 ms buffers) fed by pacat, output
 *    to a second null sink (10 ms buffers): a block's arrival in the engine → written to the device
 *    plus what waits in our output queue (naudiodon's timestamps are whole seconds, so the input
 *    device's own buffer is not in the figure, nor the sound server's).
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAudio } from '../src/engine/audio';
import type { BeamStep } from '../src/engine/dsp/beam';
import { renderListen } from '../src/engine/live/render';
import { createRuntime } from '../src/engine/runtime';
import { Engine } from '../src/engine/engine';
import { BEAM_PATTERNS, type LiveStats } from '../src/shared/api-live';
import { beamEnergy, havePulse, startPulse, writeRawPcm16 } from '../test/tools/live-audio-env';

const SECONDS = Number(process.env.BENCH_LISTEN_SECONDS ?? 12);
const ROOT = path.join(__dirname, '..');
const SCENE = path.join(ROOT, 'resources/demo/soundscape/demo_000000.wav');
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const round = (x: number | null, d = 2) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

async function suppression(): Promise<void> {
  if (spawnSync(PYTHON, ['-c', 'import numpy, scipy']).status !== 0) {
    console.log(JSON.stringify({ bench: 'listen-suppression', skipped: 'numpy/scipy not importable' }));
    return;
  }
  const cache = path.join(os.tmpdir(), 's5-listen-bench');
  mkdirSync(cache, { recursive: true });
  const runtime = createRuntime({ inference: { threads: 2 } });
  try {
    for (const azB of [120, 180]) {
      const dir = path.join(cache, `hd${azB}`);
      if (!existsSync(path.join(dir, 'scene.json'))) {
        const r = spawnSync(PYTHON, [path.join(ROOT, 'test/tools/listen_scene.py'), '--out', dir, '--rir-cache', path.join(cache, 'rirs'),
          '--rate', '16000', '--seconds', '10', '--room', '8x6x3.5', '--t60', '0.3', '--distance', '0.75', '--seed', '1',
          '--source', 'hair_dryer:0', '--source', `dishes:${azB}`], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(r.stderr);
      }
      const [a, b] = await Promise.all([0, 1].map(async (i) => (await readAudio(path.join(dir, `source_${i}.wav`))).data));
      const inW = 10 * Math.log10(beamEnergy(a, [1, 0, 0, 0]) / beamEnergy(b, [1, 0, 0, 0]));
      for (const beam of BEAM_PATTERNS) {
        let last: BeamStep | null = null;
        const r = await renderListen(() => runtime, {
          path: path.join(dir, 'mixture.wav'), labels: ['HairDryer'], mode: 'direct', beam, onBeamStep: (_l, s) => (last = s),
        });
        const w = [...(last as BeamStep | null)?.weights ?? [1, 0, 0, 0]];
        const through = 10 * Math.log10(beamEnergy(a, w) / beamEnergy(b, w));
        console.log(JSON.stringify({
          bench: 'listen-suppression', scene: `A 0°, B ${azB}°`, beam,
          improvement_db: round(through - inW), target_gain_db: round(10 * Math.log10(beamEnergy(a, w) / beamEnergy(a, [1, 0, 0, 0]))),
          render_x_realtime: round((r.pcm.length / r.rate) / (r.wallMs / 1000)),
        }));
      }
    }
  } finally {
    await runtime.dispose();
  }
}

function line(kind: string, mode: string, s: LiveStats, wall: number): string {
  const m = s.latencyByMode[mode as 'direct' | 'clean'];
  return JSON.stringify({
    bench: 'listen-latency', input: kind, mode,
    latency_p50_ms: round(m.p50Ms, 1), latency_p95_ms: round(m.p95Ms, 1),
    ...(mode === 'direct' ? { p95_vs_goal_50ms: m.p95Ms === null ? null : round(m.p95Ms / 50) } : {}),
    beam_block_ms_p95: round(s.directBlockMsP95, 4), load: round(s.load), tag_ms: round(s.tagMs, 0), separate_ms: round(s.separateMs, 0),
    direction_ms: round(s.directionMs, 0), skipped: s.skippedSeparations, late_directions: s.lateDirections, dropouts: s.dropouts, seconds: round(wall, 1),
  });
}

async function session(engine: Engine, req: object): Promise<{ stats: LiveStats; wall: number }> {
  const start = await engine.dispatch('liveStart', req);
  if (!start.ok) throw new Error(start.error.message);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const stop = await engine.dispatch('liveStop', {});
  if (!stop.ok) throw new Error(stop.error.message);
  return { stats: (stop.value as { stats: LiveStats }).stats, wall: (performance.now() - t0) / 1000 };
}

async function replayLatency(): Promise<void> {
  const engine = new Engine({ shell: 'inprocess', inference: { threads: 2 } });
  try {
    for (const mode of ['direct', 'clean'] as const) {
      const { stats, wall } = await session(engine, {
        source: { kind: 'replay', path: SCENE, speed: 1, loop: true }, listen: ['Pour', 'HairDryer'], listenMode: mode, output: { kind: 'client' },
      });
      console.log(line('replay', mode, stats, wall));
    }
  } finally {
    await engine.dispose();
  }
}

async function deviceLatency(): Promise<void> {
  if (!havePulse) {
    console.log(JSON.stringify({ bench: 'listen-latency', input: 'pulse', skipped: 'pulseaudio/pacat not installed' }));
    return;
  }
  const home = mkdtempSync(path.join(os.tmpdir(), 's5-listen-bench-pulse-'));
  const pulse = await startPulse(home, 48000);
  let engine: Engine | null = null;
  try {
    spawnSync('pactl', ['load-module', 'module-null-sink', 'sink_name=s5listen', 'format=float32le', 'rate=48000', 'channels=1', 'channel_map=mono'], { env: pulse.env });
    appendFileSync(path.join(home, '.asoundrc'), 'pcm.s5listen { type pulse device "s5listen" hint { show on description "S5 listen sink" } }\n');
    Object.assign(process.env, { HOME: home, PULSE_SERVER: pulse.server, XDG_RUNTIME_DIR: home, PULSE_RUNTIME_PATH: home });
    const scene = await readAudio(SCENE, { targetRate: 48000 });
    const rawFile = path.join(home, 'scene.raw');
    writeRawPcm16(rawFile, scene.data);
    engine = new Engine({ shell: 'inprocess', inference: { threads: 2 } });
    const dev = await engine.dispatch('liveDevices', {});
    if (!dev.ok) throw new Error(dev.error.message);
    const { inputs, outputs } = dev.value as { inputs: { id: number; name: string }[]; outputs: { id: number; name: string }[] };
    const input = inputs.find((d) => d.name === 'pulse') ?? inputs.find((d) => d.name === 'default');
    const output = outputs.find((d) => d.name === 's5listen');
    if (!input || !output) throw new Error(`pulse devices not found (inputs ${inputs.map((d) => d.name)}, outputs ${outputs.map((d) => d.name)})`);
    const outs = process.env.BENCH_LISTEN_CLIENT ? [{ kind: 'client' as const }] : [{ kind: 'device' as const, deviceId: output.id, sampleRate: 48000 }];
    for (const mode of ['direct', 'clean'] as const) {
      const player = spawn('sh', ['-c', `while true; do pacat --playback -d vsink --format=s16le --rate=48000 --channels=4 --raw ${rawFile}; done`], { env: pulse.env, stdio: 'ignore', detached: true });
      try {
        const { stats, wall } = await session(engine, {
          source: { kind: 'device', deviceId: input.id, sampleRate: 48000, sampleFormat: 'f32', channels: 4, framesPerBuffer: 480 },
          listen: ['Pour', 'HairDryer'], listenMode: mode, output: outs[0],
        });
        console.log(line('pulse devices (10 ms buffers)', mode, stats, wall));
      } finally {
        if (player.pid) process.kill(-player.pid, 'SIGKILL');
      }
    }
  } finally {
    await engine?.dispose();
    await pulse.stop();
    rmSync(home, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const only = process.env.BENCH_LISTEN_ONLY;
  if (!only || only === 'suppression') await suppression();
  if (!only || only === 'replay') await replayLatency();
  if (!only || only === 'devices') await deviceLatency();
}

// Exit explicitly: naudiodon's native threads can keep the process alive after the streams close.
void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
