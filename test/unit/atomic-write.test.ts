/**
 * The one atomic-write helper (src/engine/atomic-write.ts): a file or folder is either the old one
 * or the complete new one, and a failure leaves no temporary file behind.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempPathFor, writeDirAtomic, writeFileAtomic, writeJsonAtomic } from '../../src/engine/atomic-write';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('names temporaries .<name>.<random>.part beside the target', () => {
    const a = tempPathFor(path.join(dir, 'labels.json'));
    expect(path.dirname(a)).toBe(dir);
    expect(path.basename(a)).toMatch(/^\.labels\.json\.[0-9a-f]{8}\.part$/);
    expect(tempPathFor(path.join(dir, 'labels.json'))).not.toBe(a);
  });

  it('replaces a file with the complete new content and leaves nothing else', async () => {
    const file = path.join(dir, 'settings.json');
    writeFileSync(file, 'old');
    await writeJsonAtomic(file, { a: [1, 2] });
    expect(readFileSync(file, 'utf8')).toBe('{\n  "a": [\n    1,\n    2\n  ]\n}\n');
    await writeFileAtomic(file, new Uint8Array([104, 105]));
    expect(readFileSync(file, 'utf8')).toBe('hi');
    expect(readdirSync(dir)).toEqual(['settings.json']);
  });

  it('a failed write leaves the old file untouched and no temporary', async () => {
    const file = path.join(dir, 'keep.txt');
    writeFileSync(file, 'old');
    mkdirSync(path.join(dir, 'a-folder'));
    // renaming a file over a folder fails after the temporary was written
    await expect(writeFileAtomic(path.join(dir, 'a-folder'), 'new')).rejects.toThrow();
    await expect(writeFileAtomic(path.join(dir, 'missing', 'x.txt'), 'new')).rejects.toThrow(/ENOENT/);
    expect(readdirSync(dir).sort()).toEqual(['a-folder', 'keep.txt']);
    expect(readFileSync(file, 'utf8')).toBe('old');
  });

  it('swaps a folder in whole; a failing fill keeps the old folder and removes the temporary', async () => {
    const target = path.join(dir, 'model');
    mkdirSync(target);
    writeFileSync(path.join(target, 'old.txt'), 'old');
    await expect(
      writeDirAtomic(target, async (tmp) => {
        writeFileSync(path.join(tmp, 'half.txt'), 'half');
        throw new Error('validation failed');
      }),
    ).rejects.toThrow('validation failed');
    expect(readdirSync(dir)).toEqual(['model']);
    expect(readdirSync(target)).toEqual(['old.txt']);

    await writeDirAtomic(target, async (tmp) => writeFileSync(path.join(tmp, 'new.txt'), 'new'));
    expect(readdirSync(dir)).toEqual(['model']);
    expect(readdirSync(target)).toEqual(['new.txt']);

    await writeDirAtomic(path.join(dir, 'deep', 'fresh'), async (tmp) => writeFileSync(path.join(tmp, 'f'), ''));
    expect(readdirSync(path.join(dir, 'deep'))).toEqual(['fresh']);
  });
});
