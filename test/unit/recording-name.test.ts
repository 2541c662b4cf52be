/**
 * The recording name (src/shared/recording-name.ts): one function for the engine's output folder
 * `<outDir>/<name>/` and the batch queue's clash check. Checked against Node's own basename rules
 * — POSIX for paths without a backslash, win32 for every path — and against the name the engine's
 * pipeline gives today, so the two cannot drift.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordingName } from '../../src/shared/recording-name';
import { recordingName as engineRecordingName } from '../../src/engine/pipeline/outputs';

const byNode = (p: path.PlatformPath, file: string) => p.basename(file).replace(/\.[^.]*$/, '') || p.basename(file);

const POSIX = ['/a/b/room_1.wav', 'room_1.wav', '/a/.hidden', '/a/b.c/x', '/a/x.take2.flac', '/a/b/', 'rel/dir//', '/a/x.', '/a/..wav', 'x'];
const WINDOWS = ['C:\\rec\\x.take2.flac', 'C:\\rec\\room.wav\\', 'D:/mixed\\sep/x.wav', '\\\\server\\share\\y.WAV'];

describe('recordingName', () => {
  it('is the file name without its last extension; a dot file keeps its name', () => {
    expect(recordingName('/a/b/room_1.wav')).toBe('room_1');
    expect(recordingName('C:\\rec\\x.take2.flac')).toBe('x.take2');
    expect(recordingName('/a/.hidden')).toBe('.hidden');
    expect(recordingName('/a/b.c/x')).toBe('x');
    expect(recordingName('/a/b/')).toBe('b');
  });

  it("agrees with Node's basename: POSIX paths as path.posix, any path as path.win32", () => {
    for (const f of POSIX) expect(recordingName(f), f).toBe(byNode(path.posix, f));
    for (const f of [...POSIX, ...WINDOWS]) expect(recordingName(f), f).toBe(byNode(path.win32, f));
  });

  it('is the rule the engine names output folders by (one function, not a copy)', () => {
    expect(engineRecordingName).toBe(recordingName);
  });
});
