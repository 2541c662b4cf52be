/**
 * File names of a Scene export: stems named by label (`HairDryer.wav`, as `s5 separate` writes
 * them) or by the DCASE estimate convention (`<soundscape>_<Label>.wav` for 2025,
 * `<soundscape>_<slot>_<Label>.wav` for 2026, slot = the stem's position in the result, as
 * `s5 submission` names them), with the extension of the chosen format.
 */
import type { Task } from '../../shared/labels';
import { S5_LABELS, type S5Label } from '../../shared/labels';
import { STEM_FORMAT_EXTENSION, type StemFormat } from '../../shared/result';
import { estimateName } from '../pipeline/submission';

export type ExportNaming = 'label' | 'dcase';

/** Splits a stem name `<Label>` / `<Label>_<n>` into its label and 0-based instance index. */
export function parseStemName(name: string): { label: S5Label; index: number } | null {
  const m = /^([A-Za-z]+)(?:_(\d+))?$/.exec(name);
  if (!m || !(S5_LABELS as readonly string[]).includes(m[1])) return null;
  return { label: m[1] as S5Label, index: m[2] ? Number(m[2]) - 1 : 0 };
}

export function exportFileName(stem: string, slot: number, recording: string, task: Task, format: StemFormat, naming: ExportNaming): string {
  const ext = STEM_FORMAT_EXTENSION[format];
  if (naming === 'label') return `${stem}${ext}`;
  const parsed = parseStemName(stem);
  if (!parsed) throw new Error(`not a stem name: ${stem}`);
  return estimateName(task, recording, slot, parsed.label).replace(/\.wav$/, ext);
}
