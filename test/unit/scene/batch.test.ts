/**
 * The engine's `sceneListAudio` on real folders (audio files by extension, sorted, not recursive;
 * specific errors for a missing path and a folder without audio).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from '../../../src/engine/engine';
import { SettingsStore } from '../../../src/engine/settings/settings';

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
