/**
 * The files `separate` writes next to the stems: stem names (`<Label>`, or `<Label>_<n>` for the
 * n-th instance when a 2026 model finds a label more than once), `labels.json` (the S5Result,
 * validated) and `labels.csv` (one row per stem). Text files are written to a temporary name and
 * renamed. Stem staging folders carry the writing process's pid, so a later run can remove the
 * ones a killed engine left behind. `outputError` turns a disk failure (full, read-only, no
 * permission) into a specific error that names the output folder and the errno.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import { S5_LABELS, type S5Label } from '../../shared/labels';
import { S5ResultSchema, type S5Result } from '../../shared/result';
import { writeFileAtomic, writeJsonAtomic } from '../atomic-write';

/** A recording's name (its output folder is `<outDir>/<name>/`): one rule for the engine and the Scene view's batch queue. */
export { recordingName } from '../../shared/recording-name';

export const LABELS_JSON = 'labels.json';
export const LABELS_CSV = 'labels.csv';

/** File name (without extension) of instance `k` (0-based) of a label found `count` times. */
export function stemName(label: S5Label, k: number, count: number): string {
  return count > 1 ? `${label}_${k + 1}` : label;
}

const STEM_FILE = new RegExp(`^(${S5_LABELS.join('|')})(_\\d+)?\\.(wav|flac)$`);

/** A file name this command writes for a stem (older ones not rewritten are stale and removed). */
export function isStemFileName(name: string): boolean {
  return STEM_FILE.test(name);
}

const STAGE_PREFIX = '.s5-stems-';
const STAGE_DIR = /^\.s5-stems-(\d+)-[0-9a-f]+$/;

/** Name of a new stem staging folder for this process (`.s5-stems-<pid>-<random>`). */
export function stageDirName(): string {
  return `${STAGE_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Removes staging folders in `dir` left by processes that no longer run (an engine killed while
 * writing stems); folders of live processes, this one included, are kept. Returns the removed names.
 */
export async function removeStaleStaging(dir: string): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(dir).catch(() => [] as string[])) {
    const m = STAGE_DIR.exec(entry);
    if (!m || Number(m[1]) === process.pid || processAlive(Number(m[1]))) continue;
    await rm(path.join(dir, entry), { recursive: true, force: true }).catch(() => undefined);
    removed.push(entry);
  }
  return removed;
}

const DISK_PROBLEMS: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the folder is on a read-only file system',
  EACCES: 'no permission to write there',
  EPERM: 'no permission to write there',
  EIO: 'the disk reported an input/output error',
  EFBIG: 'the file is larger than the file system allows',
};

/**
 * The errno behind a failed write into `dir`. Node's recursive mkdir reports ENOENT when a folder
 * cannot be created on a read-only file system; the nearest existing ancestor tells the real reason.
 */
async function diskErrno(e: unknown, dir: string): Promise<string | undefined> {
  const code = (e as NodeJS.ErrnoException | null)?.code;
  if (code !== 'ENOENT') return code;
  for (let d = dir; ; d = path.dirname(d)) {
    try {
      await access(d, constants.F_OK);
    } catch {
      if (path.dirname(d) === d) return code;
      continue;
    }
    return access(d, constants.W_OK).then(() => code, (a: NodeJS.ErrnoException) => a.code ?? code);
  }
}

/**
 * A disk failure while writing into the output folder `dir` → S5Error('bad_input') naming the
 * folder, the problem and the errno (e.g. "cannot write to /out/rec: the disk is full (ENOSPC)");
 * an S5Error about a file inside `dir` (the writers' own "cannot write here") is reworded to name
 * the folder; anything else is returned unchanged.
 */
export async function outputError(e: unknown, dir: string): Promise<unknown> {
  const code = await diskErrno(e, dir);
  if (typeof code === 'string' && code in DISK_PROBLEMS) {
    return new S5Error('bad_input', `cannot write to ${dir}: ${DISK_PROBLEMS[code]} (${code})`, dir);
  }
  if (e instanceof S5Error && e.file && e.file !== dir && e.file.startsWith(dir + path.sep) && e.code !== 'cancelled') {
    return new S5Error(e.code, `cannot write to ${dir}: ${e.message}`, dir);
  }
  return e;
}

function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? String(Number(v.toFixed(4))) : v;
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function labelsCsv(result: S5Result): string {
  const header = ['label', 'name', 'file', 'confidence', 'azimuth_deg', 'elevation_deg', 'direction_confidence', 'rms_db'];
  const rows = result.stems.map((s) =>
    [s.label, s.name, s.file, s.confidence, s.direction?.azimuth_deg ?? null, s.direction?.elevation_deg ?? null, s.direction?.confidence ?? null, s.rms_db]
      .map(csvField)
      .join(','),
  );
  return `${[header.join(','), ...rows].join('\n')}\n`;
}

export async function writeLabelFiles(dir: string, result: S5Result): Promise<void> {
  const checked = S5ResultSchema.parse(result);
  try {
    await mkdir(dir, { recursive: true }); // no stem at all: the folder holds only the label files
    await writeJsonAtomic(path.join(dir, LABELS_JSON), checked);
    await writeFileAtomic(path.join(dir, LABELS_CSV), labelsCsv(checked));
  } catch (e) {
    throw await outputError(e, dir);
  }
}
