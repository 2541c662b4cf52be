/**
 * Disk faults during export (issue #9 item 4), through the engine's `separate` with the shipped
 * models, into folders on a real small tmpfs (mounted here; needs root — skipped with the reason
 * otherwise):
 *   - disk full: a first export fits; a second export of the same recording (32-bit float, twice
 *     the size) runs out of space half-way → the error names ENOSPC and the folder, no temporary
 *     or partial file is left, and the first export's files are byte-for-byte intact;
 *   - read-only folder (the tmpfs remounted read-only) → a specific error naming the folder and
 *     saying it is read-only; nothing is written.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallReply } from '../../src/shared/api';
import { Engine } from '../../src/engine/engine';
import { isTempName, listFiles, writeLoopedScene } from './faults-fixtures';

let tmp: string;
let mnt: string;
let engine: Engine;
let mountProblem: string | null = null;
const savedDataDir = process.env.S5_DATA_DIR;

function tryMount(dir: string, sizeBytes: number): string | null {
  if (process.getuid?.() !== 0) return 'not root: cannot mount a tmpfs';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes}`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? null : `mount -t tmpfs failed: ${(r.stderr || r.error?.message || '').trim()}`;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-faults-disk-'));
  process.env.S5_DATA_DIR = path.join(tmp, 'data');
  mnt = path.join(tmp, 'small-disk');
  mkdirSync(mnt);
  mountProblem = tryMount(mnt, 16 * 1024 * 1024);
  if (mountProblem) console.warn(`disk-fault tests skipped: ${mountProblem}`);
  engine = new Engine({ shell: 'inprocess', inference: { threads: 2 }, emit: () => undefined });
});

afterAll(async () => {
  await engine?.dispose();
  if (!mountProblem) spawnSync('umount', [mnt]);
  if (savedDataDir === undefined) delete process.env.S5_DATA_DIR;
  else process.env.S5_DATA_DIR = savedDataDir;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const snapshot = (dir: string) => new Map(listFiles(dir).map((f) => [f.rel, readFileSync(path.join(dir, f.rel))]));

describe('disk faults during export', () => {
  it('disk full: ENOSPC named, nothing partial, the earlier export intact', async (ctx) => {
    if (mountProblem) return ctx.skip();
    const rec = path.join(tmp, 'scene.wav');
    await writeLoopedScene(rec, 20);
    const out = path.join(mnt, 'exports');
    const first = await engine.dispatch('separate', { path: rec, outDir: out, format: 'wav16' });
    if (!first.ok) throw new Error(first.error.message);
    const before = snapshot(out);
    const stemBytes = [...before].filter(([rel]) => rel.endsWith('.wav')).reduce((a, [, b]) => a + b.length, 0);
    expect(stemBytes).toBeGreaterThan(0);
    // Leave room for about half of the float export (which is twice the 16-bit size).
    const fs = statfsSync(mnt);
    const free = fs.bavail * fs.bsize;
    const filler = path.join(mnt, 'filler.bin');
    writeFileSync(filler, Buffer.alloc(Math.max(0, free - stemBytes)));

    const second: CallReply = await engine.dispatch('separate', { path: rec, outDir: out, format: 'f32' });
    expect(second.ok).toBe(false);
    if (second.ok) return;
    expect(second.error.message).toMatch(/the disk is full \(ENOSPC\)/);
    expect(second.error.message).toContain(path.join(out, 'scene'));
    console.info(`disk full: ${second.error.message}`);
    expect(second.error.code).toBe('bad_input');
    const after = snapshot(out);
    expect([...after.keys()].filter((rel) => isTempName(rel) || rel.includes('.s5-stems-'))).toEqual([]);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [rel, bytes] of before) expect(Buffer.compare(after.get(rel)!, bytes), `${rel} changed`).toBe(0);
    rmSync(filler);
  }, 600_000);

  it('read-only output folder: a specific error naming the folder, nothing written', async (ctx) => {
    if (mountProblem) return ctx.skip();
    const short = path.join(tmp, 'short.wav');
    await writeLoopedScene(short, 6);
    const out = path.join(mnt, 'readonly');
    mkdirSync(out);
    const before = listFiles(mnt);
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    try {
      // A recording whose stems are written as it streams (scene.wav from the test above, 20 s),
      // and a short one (fewer windows: the label files are the first thing written).
      for (const rec of [path.join(tmp, 'scene.wav'), short]) {
        const reply = await engine.dispatch('separate', { path: rec, outDir: out });
        expect(reply.ok).toBe(false);
        if (reply.ok) return;
        console.info(`read-only: ${reply.error.message}`);
        expect(reply.error.code, reply.error.message).toBe('bad_input');
        expect(reply.error.message).toContain(out);
        expect(reply.error.message).toMatch(/read-only file system \(EROFS\)/);
        expect(listFiles(mnt)).toEqual(before);
      }
    } finally {
      execFileSync('mount', ['-o', 'remount,rw', mnt]);
    }
  }, 600_000);
});
