/**
 * Shared helpers for the audio tests: temporary folders, the Python fixture generator (libsndfile,
 * sox, flac write the files and numpy reads them back as the independent reference), and the
 * location of the real FOA recordings in ../shared/realdata.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '../../..');
export const REALDATA = path.resolve(repoRoot, '../shared/realdata');
export const realdata = (name: string) => path.join(REALDATA, name);
export const PYTHON = '/usr/bin/python3';

export function makeTmp(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), `s5-audio-${tag}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface FixtureEntry {
  file: string;
  kind: string;
  rate: number;
  channels: number;
  frames: number;
  subtype?: string;
  same_as?: string;
}

/** Runs gen_fixtures.py for `set` into `dir`; returns its manifest. */
export function generateFixtures(dir: string, set: 'pcm' | 'codecs' | 'all'): FixtureEntry[] {
  execFileSync(PYTHON, [path.join(here, 'gen_fixtures.py'), dir, set], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as FixtureEntry[];
}

/** Reads a planar little-endian float64 dump [channels][frames]. */
export function readF64(file: string, channels: number, frames: number): Float64Array[] {
  const buf = readFileSync(file);
  const all = new Float64Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.length));
  if (all.length !== channels * frames) throw new Error(`${file}: ${all.length} values, expected ${channels}×${frames}`);
  return Array.from({ length: channels }, (_, c) => all.subarray(c * frames, (c + 1) * frames));
}

/** Runs a Python snippet (numpy, scipy, soundfile available) with argv; returns stdout. */
export function python(code: string, ...args: string[]): string {
  return execFileSync(PYTHON, ['-c', code, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
}

/** Writes planar float64 data for Python to read (little-endian, [channels][frames]). */
export function f64Bytes(data: ArrayLike<number>[]): Buffer {
  const n = data[0].length;
  const out = new Float64Array(data.length * n);
  data.forEach((c, k) => {
    for (let i = 0; i < n; i++) out[k * n + i] = c[i];
  });
  return Buffer.from(out.buffer);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, n = Math.min(a.length, b.length)): number {
  let m = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** Builds a RIFF/WAVE file from chunks given as [id, body] (odd bodies are padded). */
export function riff(chunks: [string, Buffer][], opts: { magic?: string; riffSize?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const [id, body] of chunks) {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    h.writeUInt32LE(body.length, 4);
    parts.push(h, body);
    if (body.length & 1) parts.push(Buffer.alloc(1));
  }
  const payload = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.write(opts.magic ?? 'RIFF', 0, 'latin1');
  head.writeUInt32LE(opts.riffSize ?? payload.length + 4, 4);
  head.write('WAVE', 8, 'latin1');
  return Buffer.concat([head, payload]);
}

/** A PCM `fmt ` chunk body (16 bytes) or IEEE float (tag 3). */
export function fmtChunk(channels: number, rate: number, bits: number, tag = 1): Buffer {
  const b = Buffer.alloc(16);
  const block = (channels * bits) / 8;
  b.writeUInt16LE(tag, 0);
  b.writeUInt16LE(channels, 2);
  b.writeUInt32LE(rate, 4);
  b.writeUInt32LE(rate * block, 8);
  b.writeUInt16LE(block, 12);
  b.writeUInt16LE(bits, 14);
  return b;
}

/** Interleaved int16 little-endian sample bytes from planar integer codes. */
export function int16Data(planar: number[][]): Buffer {
  const n = planar[0].length;
  const b = Buffer.alloc(n * planar.length * 2);
  for (let i = 0; i < n; i++) for (let c = 0; c < planar.length; c++) b.writeInt16LE(planar[c][i], (i * planar.length + c) * 2);
  return b;
}
