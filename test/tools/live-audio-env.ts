/**
 * Test helpers for real PortAudio capture without a sound card (research/stack.md §3b):
 * - an ALSA configuration in a temporary HOME whose `file` plugin devices read raw interleaved
 *   files (unpaced: capture runs as fast as it is read; after the end the file starts again);
 * - a user-space PulseAudio daemon with a 4-channel null sink whose monitor is the default
 *   source, fed by `pacat` (real-time paced). Both are started and stopped by PID.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { classThreshold } from '../../src/shared/manifest';
import { ModelRegistry } from '../../src/engine/models/registry';

export interface FileDevice {
  /** ALSA PCM name (what PortAudio lists). */
  name: string;
  raw: string;
  format: 'S16_LE' | 'FLOAT_LE';
  rate: number;
  channels: number;
}

/** Writes `<home>/.asoundrc` with one capture device per entry; returns the HOME to use. */
export function writeAlsaFileConfig(home: string, devices: FileDevice[]): string {
  mkdirSync(home, { recursive: true });
  const lines = ['pcm.nullsink { type null }'];
  for (const d of devices) {
    lines.push(
      `pcm.${d.name}core { type file slave.pcm "nullsink" file "/dev/null" infile "${d.raw}" format "raw" }`,
      `pcm.${d.name} { type plug slave { pcm "${d.name}core" format ${d.format} channels ${d.channels} rate ${d.rate} } hint { show on description "${d.channels}ch ${d.rate} ${d.format} file capture" } }`,
    );
  }
  writeFileSync(path.join(home, '.asoundrc'), `${lines.join('\n')}\n`);
  return home;
}

export const havePulse = existsSync('/usr/bin/pulseaudio') && existsSync('/usr/bin/pacat');

export interface PulseServer {
  server: string;
  env: NodeJS.ProcessEnv;
  /** Plays raw s16le interleaved audio into the null sink (real-time). */
  play(raw: string, rate: number, channels: number): ChildProcess;
  stop(): Promise<void>;
}

async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

/** Starts `pulseaudio` with a 4-channel null sink at `rate`; `home` gets an .asoundrc routing ALSA to it. */
export async function startPulse(home: string, rate = 48000): Promise<PulseServer> {
  mkdirSync(home, { recursive: true });
  const sock = path.join(home, 'native');
  writeFileSync(
    path.join(home, 'pa.pa'),
    [
      `load-module module-native-protocol-unix socket=${sock} auth-anonymous=1`,
      `load-module module-null-sink sink_name=vsink format=s16le rate=${rate} channels=4 channel_map=front-left,front-right,rear-left,rear-right`,
      'set-default-source vsink.monitor',
      'set-default-sink vsink',
    ].join('\n'),
  );
  writeFileSync(path.join(home, '.asoundrc'), 'pcm.!default { type pulse }\nctl.!default { type pulse }\n');
  const env = { ...process.env, HOME: home, PULSE_SERVER: `unix:${sock}`, XDG_RUNTIME_DIR: home, PULSE_RUNTIME_PATH: home };
  const daemon = spawn('pulseaudio', ['-n', '--daemonize=no', '--exit-idle-time=-1', '--disable-shm=yes', '-F', path.join(home, 'pa.pa')], { env, stdio: 'ignore' });
  const up = await waitFor(() => spawnSync('pactl', ['info'], { env, stdio: 'ignore' }).status === 0 || existsSync(sock), 10_000);
  if (!up) {
    daemon.kill('SIGKILL');
    throw new Error('pulseaudio did not start within 10 s');
  }
  const players: ChildProcess[] = [];
  return {
    server: `unix:${sock}`,
    env,
    play(raw, r, channels) {
      const p = spawn('pacat', ['--playback', '-d', 'vsink', '--format=s16le', `--rate=${r}`, `--channels=${channels}`, '--raw', raw], { env, stdio: 'ignore' });
      players.push(p);
      return p;
    },
    async stop() {
      for (const p of players) if (p.exitCode === null) p.kill('SIGKILL');
      if (daemon.exitCode === null) {
        daemon.kill('SIGTERM');
        await waitFor(() => daemon.exitCode !== null || daemon.signalCode !== null, 3000);
        if (daemon.exitCode === null && daemon.signalCode === null) daemon.kill('SIGKILL');
      }
    },
  };
}

/**
 * The labels an offline `tag` result found *clearly*: confidence at least `margin` above the
 * class's own decision threshold (the shipped tagger's manifest, per-class thresholds included).
 * Live windows slide over the sound, so a detection that barely passed offline (e.g. 0.19 against
 * a calibrated 0.10) may stay just under its threshold live; a clear one must not.
 */
export async function clearOfflineLabels(
  result: { labels: { label: string; confidence: number }[]; models: { tagger: { id: string } } },
  margin = 0.15,
): Promise<string[]> {
  const { manifest } = await new ModelRegistry().require(result.models.tagger.id);
  return result.labels.filter((l) => l.confidence >= classThreshold(manifest.decision!, l.label) + margin).map((l) => l.label);
}

/** Writes planar channels as raw interleaved 16-bit PCM (what `pacat` and the ALSA file plugin read), clipped to ±1. */
export function writeRawPcm16(file: string, channels: readonly Float32Array[]): void {
  const n = channels[0].length;
  const C = channels.length;
  const raw = new Int16Array(n * C);
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) raw[i * C + c] = Math.max(-32768, Math.min(32767, Math.round(channels[c][i] * 32768)));
  writeFileSync(file, Buffer.from(raw.buffer));
}

/** Energy of a frozen first-order beam `w` (ACN weights) applied to the FOA signal `x`. */
export function beamEnergy(x: readonly Float32Array[], w: ArrayLike<number>): number {
  let e = 0;
  for (let i = 0; i < x[0].length; i++) {
    const y = w[0] * x[0][i] + w[1] * x[1][i] + w[2] * x[2][i] + w[3] * x[3][i];
    e += y * y;
  }
  return e;
}
