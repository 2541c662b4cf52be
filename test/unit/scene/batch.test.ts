/**
 * The batch queue's pure rules (output-folder clashes, counts, ETA, remembered settings) and the
 * engine's `sceneListAudio` on real folders (audio files by extension, sorted, not recursive;
 * specific errors for a missing path and a folder without audio).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/main/engine/service';
import { SettingsStore } from '../../../src/main/engine/settings/settings';
import {
  batchCounts, batchEta, DEFAULT_BATCH_SETTINGS, parseBatchSettings, planAdd, recordingName,
} from '../../../src/renderer/lib/batch-queue';
import { formatClock } from '../../../src/renderer/lib/format';

describe('batch queue rules', () => {
  it('names the output folder like the engine (file name without its last extension)', () => {
    expect(recordingName('/a/b/room_1.wav')).toBe('room_1');
    expect(recordingName('C:\\rec\\x.take2.flac')).toBe('x.take2');
    expect(recordingName('/a/.hidden')).toBe('.hidden');
  });

  it('queues new files, skips ones already queued, refuses same-named ones', () => {
    const plan = planAdd(['/a/one.wav'], ['/a/one.wav', '/b/one.flac', '/a/two.wav', '/c/two.wav', '/a/three.wav']);
    expect(plan.add).toEqual(['/a/two.wav', '/a/three.wav']);
    expect(plan.already).toEqual(['/a/one.wav']);
    expect(plan.clashes).toEqual([{ path: '/b/one.flac', other: '/a/one.wav' }, { path: '/c/two.wav', other: '/a/two.wav' }]);
  });

  it('counts end states', () => {
    expect(batchCounts(['queued', 'running', 'done', 'failed', 'done', 'cancelled'])).toEqual({ total: 6, queued: 1, done: 2, failed: 1, cancelled: 1, finished: 4 });
  });

  it('estimates the time left from finished items, else from the running one', () => {
    expect(batchEta([], 3, null)).toBeNull();
    expect(batchEta([], 3, { elapsed: 1, fraction: null })).toBeNull();
    // 4 s and 6 s per item → 5 s each; 2 queued + 3 s left of the running one.
    expect(batchEta([4, 6], 2, { elapsed: 2, fraction: 0.4 })).toBe(13);
    // Nothing finished: the running item at 25 % after 2 s takes 8 s.
    expect(batchEta([], 1, { elapsed: 2, fraction: 0.25 })).toBe(14);
    expect(batchEta([10], 0, { elapsed: 12, fraction: 0.9 })).toBe(0);
  });

  it('reads remembered settings field by field', () => {
    expect(parseBatchSettings(null)).toEqual(DEFAULT_BATCH_SETTINGS);
    expect(parseBatchSettings('not json')).toEqual(DEFAULT_BATCH_SETTINGS);
    expect(parseBatchSettings('{"outDir":"/x","format":"flac"}')).toEqual({ outDir: '/x', format: 'flac' });
    expect(parseBatchSettings('{"outDir":3,"format":"mp3"}')).toEqual(DEFAULT_BATCH_SETTINGS);
  });

  it('formats wall time', () => {
    expect(formatClock(0)).toBe('0:00');
    expect(formatClock(75.4)).toBe('1:15');
    expect(formatClock(3725)).toBe('1:02:05');
  });
});

describe('sceneListAudio', () => {
  let tmp: string;
  let engine: Engine;

  async function call(method: string, arg: unknown): Promise<any> {
    const r = await engine.dispatch(method, arg);
    if (!r.ok) throw Object.assign(new Error(r.error.message), r.error);
    return r.value;
  }

  beforeAll(() => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 's5-batch-list-'));
    engine = new Engine({ shell: 'inprocess', inference: { threads: 1 }, registry: { roots: [], settings: new SettingsStore(path.join(tmp, 'settings.json')) }, emit: () => undefined });
  });
  afterAll(async () => {
    await engine?.dispose();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('lists a folder’s audio files sorted, not recursing, and passes a file through', async () => {
    const dir = path.join(tmp, 'recs');
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    for (const f of ['b.wav', 'a.FLAC', 'c.ogg', 'notes.txt', 'sub/d.wav']) writeFileSync(path.join(dir, f), 'x');
    expect((await call('sceneListAudio', { path: dir })).files).toEqual([path.join(dir, 'a.FLAC'), path.join(dir, 'b.wav'), path.join(dir, 'c.ogg')]);
    expect((await call('sceneListAudio', { path: path.join(dir, 'notes.txt') })).files).toEqual([path.join(dir, 'notes.txt')]);
  });

  it('says what is wrong with a missing path or a folder without audio', async () => {
    await expect(call('sceneListAudio', { path: path.join(tmp, 'nope') })).rejects.toMatchObject({ code: 'not_found' });
    const empty = path.join(tmp, 'empty');
    mkdirSync(empty);
    await expect(call('sceneListAudio', { path: empty })).rejects.toMatchObject({ code: 'bad_input', message: expect.stringContaining('holds no audio files') });
  });
});
