/**
 * LiveRecorder: the WAV it streams reads back (with the project's reader) equal to what was
 * written; a file cut at any point after a header fix-up (a crash) is still readable and holds
 * at least everything up to that fix-up; it never overwrites a file.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readAudio } from '../../../src/engine/audio';
import { LiveRecorder } from '../../../src/engine/live/recorder';

const dir = mkdtempSync(path.join(os.tmpdir(), 's5-live-rec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function block(n: number, start: number): Float32Array[] {
  return [0, 1, 2, 3].map((c) => Float32Array.from({ length: n }, (_, i) => Math.round(Math.sin((start + i) * 0.01 * (c + 1)) * 30000) / 32768));
}

describe('LiveRecorder', () => {
  it('streams pcm16 that reads back bit-exactly, with the events as JSON lines', async () => {
    const r = await LiveRecorder.create({ dir, name: 'a', channels: 4, sampleRate: 8000, format: 'pcm16', fixupSeconds: 0.5 });
    const all: Float32Array[][] = [];
    for (let k = 0; k < 20; k++) {
      const b = block(777, k * 777);
      all.push(b);
      r.writeAudio(b);
    }
    r.writeEvent({ type: 'onset', label: 'Speech', onset: 1 });
    const done = await r.close();
    expect(done.seconds).toBeCloseTo((20 * 777) / 8000, 9);
    const back = await readAudio(done.path);
    expect(back.info.frames).toBe(20 * 777);
    for (let c = 0; c < 4; c++) {
      const expected = Float32Array.from(all.flatMap((b) => Array.from(b[c])));
      expect(back.data[c]).toEqual(expected);
    }
    expect(readFileSync(done.eventsPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l))).toEqual([{ type: 'onset', label: 'Speech', onset: 1 }]);
  });

  it('leaves a readable file when the process dies mid-recording (file cut after a fix-up)', async () => {
    const r = await LiveRecorder.create({ dir, name: 'b', channels: 4, sampleRate: 8000, format: 'float32', fixupSeconds: 1 });
    for (let k = 0; k < 25; k++) r.writeAudio(block(800, k * 800)); // 2.5 s: fix-ups at 1 s and 2 s
    await (r as unknown as { chain: Promise<void> }).chain; // the writes reached the file
    // A crash: the file as it is now (header says 2 s, data holds 2.5 s), then cut at odd places.
    for (const cut of [0, 333, 4001]) {
      const copy = path.join(dir, `crash-${cut}.wav`);
      copyFileSync(r.path, copy);
      truncateSync(copy, statSync(copy).size - cut);
      const back = await readAudio(copy);
      expect(back.info.frames).toBe(16000);
      expect(back.data[2].subarray(0, 800)).toEqual(block(800, 0)[2]);
    }
    await r.close();
  });

  it('refuses to overwrite an existing file', async () => {
    writeFileSync(path.join(dir, 'c.wav'), 'keep');
    await expect(LiveRecorder.create({ dir, name: 'c', channels: 4, sampleRate: 8000, format: 'pcm16' })).rejects.toThrow(/never overwrite/);
    expect(readFileSync(path.join(dir, 'c.wav'), 'utf8')).toBe('keep');
  });

  it('creates a recording folder that does not exist (with its parents)', async () => {
    const nested = path.join(dir, 'new', 'takes', 'today');
    const r = await LiveRecorder.create({ dir: nested, name: 'd', channels: 4, sampleRate: 8000, format: 'float32' });
    r.writeAudio(block(800, 0));
    const done = await r.close();
    expect(done.path).toBe(path.join(nested, 'd.wav'));
    expect((await readAudio(done.path)).info.frames).toBe(800);
  });

  it('a file in the way of the folder is a specific error naming the folder', async () => {
    writeFileSync(path.join(dir, 'not-a-folder'), 'x');
    const target = path.join(dir, 'not-a-folder', 'sub');
    await expect(LiveRecorder.create({ dir: target, channels: 4, sampleRate: 8000, format: 'pcm16' }))
      .rejects.toMatchObject({ code: 'bad_input', file: target, message: expect.stringContaining('cannot create the recording folder: a file of that name is in the way') });
  });
});
