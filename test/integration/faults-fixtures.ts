/**
 * Shared pieces of the fault-injection and load tests (test/integration/faults-*.test.ts,
 * test/load/*): long recordings made by looping a demo scene (so the shipped tagger finds labels
 * and stems get written), an independent WAV reader (sox, a separate C implementation), the
 * resident memory of a process from /proc, and a recursive file listing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readAudio, writeAudio } from '../../src/engine/audio';

export const ROOT = path.resolve(__dirname, '../..');
export const DEMO_SCENE = path.join(ROOT, 'resources/demo/soundscape/demo_000000.wav');
export const S5_BIN = path.join(ROOT, 'bin', 's5.cjs');

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function until<T>(what: string, f: () => T | null | undefined | false | Promise<T | null | undefined | false>, ms = 300_000, stepMs = 20): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(stepMs);
  }
}

/** Writes `seconds` of the demo scene looped (4-channel FOA, 32 kHz, 16-bit); returns its planar data. */
export async function writeLoopedScene(file: string, seconds: number, source = DEMO_SCENE): Promise<Float32Array[]> {
  const demo = await readAudio(source);
  const frames = Math.round(seconds * demo.info.sampleRate);
  const data = demo.data.map((ch) => {
    const out = new Float32Array(frames);
    for (let at = 0; at < frames; at += ch.length) out.set(ch.subarray(0, Math.min(ch.length, frames - at)), at);
    return out;
  });
  await writeAudio(file, data, demo.info.sampleRate, 'pcm16');
  return data;
}

export interface SoxWav {
  channels: number;
  rate: number;
  frames: number;
  /** Interleaved 16-bit samples as sox decodes them. */
  samples: Int16Array;
}

/** Reads a WAV with sox (an independent decoder): header facts from `soxi`, samples as raw s16. */
export function soxRead(file: string): SoxWav {
  const info = (flag: string) => Number(execFileSync('soxi', [flag, file], { encoding: 'utf8' }).trim());
  const channels = info('-c');
  const rate = info('-r');
  const frames = info('-s');
  const raw = execFileSync('sox', [file, '-t', 'raw', '-e', 'signed-integer', '-b', '16', '-'], { maxBuffer: 1 << 30 });
  const samples = new Int16Array(raw.buffer, raw.byteOffset, raw.length / 2);
  return { channels, rate, frames, samples };
}

export const soxAvailable = (): boolean => spawnSync('sox', ['--version']).status === 0;

/** Resident set size of a process in bytes (Linux /proc), or null when it is gone. */
export function rssBytes(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Every file under `dir` (relative paths, '/'-separated), with its size; none when `dir` does not exist. */
export function listFiles(dir: string): { rel: string; size: number }[] {
  const out: { rel: string; size: number }[] = [];
  const walk = (d: string, prefix: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) walk(path.join(d, e.name), rel);
      else out.push({ rel, size: statSync(path.join(d, e.name)).size });
    }
  };
  if (existsSync(dir)) walk(dir, '');
  return out.sort((a, b) => a.rel.localeCompare(b.rel));
}

/** A file name the app treats as temporary (`.<name>.<random>.part`). */
export const isTempName = (rel: string): boolean => /(^|\/)\.[^/]+\.part$/.test(rel);

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
