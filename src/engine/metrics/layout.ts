/**
 * Reader of the official evaluation layout (spec s5-task.md §1.4, s5-2026.md §3): which soundscapes
 * exist and which oracle / estimate files belong to each. Names only — no audio is read here.
 *
 *   soundscape/<name>.wav                          one per mixture (sorted by name = processing order)
 *   oracle_target/<name>_<Label>.wav               2025 and 2026
 *   estimate/<name>_<Label>.wav                    2025 and 2026
 *   estimate/<name>_<i>_<Label>.wav                2026 only (duplicates of a label; i is ignored)
 *
 * The official loaders attribute a file to every soundscape whose name is a raw prefix of it, which
 * breaks when one name is a prefix of another (`mix_1` / `mix_10`). Here each file is attributed to
 * exactly one soundscape: the LONGEST name for which `name + '_' + rest` parses with a valid label.
 * A file that starts with a soundscape name but parses for none is an error naming the file; a file
 * that starts with no soundscape name at all is ignored with a warning (the official code never
 * looks at it). Only lower-case `.wav` counts, as in the official `endswith(".wav")`.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import type { EvaluateRequest } from '../../shared/evaluate';
import { isLabel, S5_LABELS, type S5Label, type Task } from '../../shared/labels';
import { examples, plural } from './wording';

export type SourceRole = 'oracle' | 'estimate';

export interface SourceFile {
  /** Absolute or request-relative path, as joined from the request folder. */
  path: string;
  label: S5Label;
  /** The 2026 slot index `<i>` when present (ignored by the metric). */
  index: number | null;
}

export interface MixtureFiles {
  name: string;
  soundscape: string;
  /** Sorted by file name (the 2026 loader's order, which breaks permutation ties). */
  oracle: SourceFile[];
  estimates: SourceFile[];
}

export interface EvaluationLayout {
  task: Task;
  mixtures: MixtureFiles[];
  warnings: string[];
}

export type NameParse = { ok: true; label: S5Label; index: number | null } | { ok: false; problem: string };

const WAV = '.wav';
const INDEXED = /^(?:(\p{Nd}+)_)?(.+)$/u;
const ROLE_FILE: Record<SourceRole, string> = { oracle: 'oracle file', estimate: 'estimate file' };

/** Lists folders and attributes every source file; throws S5Error naming the offending path. */
export async function scanLayout(req: EvaluateRequest): Promise<EvaluationLayout> {
  // In order, so that the first missing folder is the one reported.
  const scapeFiles = await listWavFiles(req.soundscapes, 'soundscapes');
  const oracleFiles = await listWavFiles(req.oracle, 'oracle');
  const estimateFiles = await listWavFiles(req.estimates, 'estimates');
  const names = scapeFiles.map((f) => f.slice(0, -WAV.length)).sort(byCodePoint);
  if (names.length === 0) {
    throw new S5Error('bad_input', 'no soundscapes: the folder has no .wav file', req.soundscapes);
  }
  const warnings: string[] = [];
  const oracle = attributeFiles(req.task, names, oracleFiles, req.oracle, 'oracle', warnings);
  const estimates = attributeFiles(req.task, names, estimateFiles, req.estimates, 'estimate', warnings);
  checkOracleCoverage(req, names, oracle);
  warnMissingEstimates(req, names, oracle, estimates, warnings);
  return {
    task: req.task,
    mixtures: names.map((name) => ({
      name,
      soundscape: path.join(req.soundscapes, name + WAV),
      oracle: oracle.get(name) ?? [],
      estimates: estimates.get(name) ?? [],
    })),
    warnings,
  };
}

/**
 * Parses `file` as a source of soundscape `name` under the task's naming rule. Pure.
 * 2025: `<name>_<Label>.wav`; 2026: `<name>(_<i>)?_<Label>.wav` (the official regular expression).
 */
export function parseSourceName(task: Task, name: string, file: string): NameParse {
  const expected = task === 'dcase2026t4' ? `${name}_<Label>.wav or ${name}_<i>_<Label>.wav` : `${name}_<Label>.wav`;
  if (!file.endsWith(WAV) || !file.startsWith(name + '_') || file.length <= name.length + 1 + WAV.length) {
    return { ok: false, problem: `unparsable name: expected ${expected}` };
  }
  const rest = file.slice(name.length + 1, -WAV.length);
  if (task === 'dcase2025t4') {
    if (isLabel(task, rest)) return { ok: true, label: rest, index: null };
    const indexed = INDEXED.exec(rest);
    const hint =
      indexed?.[1] !== undefined && isLabel('dcase2026t4', indexed[2])
        ? ' (indexed names <name>_<i>_<Label>.wav are a DCASE 2026 convention: use --task dcase2026t4)'
        : '';
    return { ok: false, problem: `${labelProblem(task, rest)}${hint}` };
  }
  const m = INDEXED.exec(rest)!;
  const label = m[2];
  if (!isLabel(task, label)) return { ok: false, problem: labelProblem(task, label) };
  const index = m[1] === undefined ? Number.NaN : Number.parseInt(m[1], 10); // NaN for non-ASCII digits
  return { ok: true, label, index: Number.isNaN(index) ? null : index };
}

/**
 * Attributes each file to one soundscape (longest valid name wins). Returns name → files sorted by
 * file name. Throws on the first file that claims a soundscape but does not parse, counting the rest.
 */
export function attributeFiles(
  task: Task,
  names: readonly string[],
  files: readonly string[],
  dir: string,
  role: SourceRole,
  warnings: string[],
): Map<string, SourceFile[]> {
  const known = new Set(names);
  const bySoundscape = new Map<string, SourceFile[]>();
  const ignored: string[] = [];
  const problems: { file: string; problem: string }[] = [];
  for (const file of [...files].sort(byCodePoint)) {
    const candidates = prefixNames(file, known);
    if (candidates.length === 0) {
      ignored.push(file);
      continue;
    }
    const valid: { name: string; label: S5Label; index: number | null }[] = [];
    let firstProblem: string | null = null;
    for (const name of candidates) {
      const parse = parseSourceName(task, name, file);
      if (parse.ok) valid.push({ name, label: parse.label, index: parse.index });
      else firstProblem ??= parse.problem;
    }
    if (valid.length === 0) {
      problems.push({ file, problem: firstProblem! });
      continue;
    }
    const chosen = valid[0];
    if (valid.length > 1) {
      warnings.push(
        `${path.join(dir, file)}: name fits soundscapes ${valid.map((v) => `"${v.name}"`).join(' and ')}; attributed to "${chosen.name}"`,
      );
    }
    const list = bySoundscape.get(chosen.name) ?? [];
    list.push({ path: path.join(dir, file), label: chosen.label, index: chosen.index });
    bySoundscape.set(chosen.name, list);
  }
  if (problems.length > 0) {
    const more = problems.length > 1 ? ` (and ${plural(problems.length - 1, 'more file')} with a bad name in this folder)` : '';
    throw new S5Error('bad_input', `${problems[0].problem}${more}`, path.join(dir, problems[0].file));
  }
  if (ignored.length > 0) {
    warnings.push(`${dir}: ${plural(ignored.length, ROLE_FILE[role])} matching no soundscape ignored: ${examples(ignored)}`);
  }
  return bySoundscape;
}

/** A soundscape with targets but no estimate file is legal (scored as no labels) but worth a warning. */
function warnMissingEstimates(
  req: EvaluateRequest,
  names: readonly string[],
  oracle: Map<string, SourceFile[]>,
  estimates: Map<string, SourceFile[]>,
  warnings: string[],
): void {
  if (estimates.size === 0) {
    warnings.push(`${req.estimates}: no estimate file matches any soundscape; every mixture is scored as "no estimated labels"`);
    return;
  }
  // Zero-target scenes (2026) without estimates are correct answers, not omissions.
  const missing = names.filter((n) => oracle.has(n) && !estimates.has(n));
  if (missing.length > 0) {
    warnings.push(
      `${plural(missing.length, 'mixture')} without any estimate file (scored as no estimated labels): ${examples(missing)}`,
    );
  }
}

/** Every soundscape needs oracle files in 2025; 2026 allows zero-target scenes but not an empty folder. */
function checkOracleCoverage(req: EvaluateRequest, names: readonly string[], oracle: Map<string, SourceFile[]>): void {
  if (oracle.size === 0) {
    throw new S5Error('bad_input', 'no oracle file matches any soundscape (is this the oracle_target folder?)', req.oracle);
  }
  if (req.task !== 'dcase2025t4') return;
  const missing = names.find((n) => !oracle.has(n));
  if (missing !== undefined) {
    throw new S5Error(
      'bad_input',
      `soundscape has no oracle file ${missing}_<Label>.wav in ${req.oracle} (DCASE 2025 scenes have 1–3 targets; zero-target scenes exist only in dcase2026t4)`,
      path.join(req.soundscapes, missing + WAV),
    );
  }
}

/** Names of the `.wav` entries of a folder (files or links); S5Error when the folder is unusable. */
async function listWavFiles(dir: string, what: string): Promise<string[]> {
  let info;
  try {
    info = await stat(dir);
  } catch {
    throw new S5Error('not_found', `${what} folder does not exist`, dir);
  }
  if (!info.isDirectory()) throw new S5Error('bad_input', `${what} path is not a folder`, dir);
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && e.name.endsWith(WAV)).map((e) => e.name);
}

/** Soundscape names that are a raw prefix of `file`, longest first. */
function prefixNames(file: string, known: ReadonlySet<string>): string[] {
  const stem = file.slice(0, -WAV.length);
  const found: string[] = [];
  for (let end = stem.length; end > 0; end--) {
    const prefix = stem.slice(0, end);
    if (known.has(prefix)) found.push(prefix);
  }
  return found;
}

function labelProblem(task: Task, label: string): string {
  return `label "${label}" is not one of the ${S5_LABELS.length} ${task} labels`;
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
