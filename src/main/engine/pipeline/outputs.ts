/**
 * The files `separate` writes next to the stems: stem names (`<Label>`, or `<Label>_<n>` for the
 * n-th instance when a 2026 model finds a label more than once), `labels.json` (the S5Result,
 * validated) and `labels.csv` (one row per stem). Text files are written to a temporary name and
 * renamed.
 */
import { randomBytes } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { S5_LABELS, type S5Label } from '../../../shared/labels';
import { S5ResultSchema, type S5Result } from '../../../shared/result';

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

export async function writeTextAtomic(file: string, text: string): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(4).toString('hex')}.part`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, file);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
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
  await writeTextAtomic(path.join(dir, LABELS_JSON), `${JSON.stringify(checked, null, 2)}\n`);
  await writeTextAtomic(path.join(dir, LABELS_CSV), labelsCsv(checked));
}
