/**
 * Pure rules of the Scene view's batch queue (no Svelte, no engine): which added files clash with
 * the queue (two files with the same recording name, `src/shared/recording-name.ts`, would write
 * to the same `<outDir>/<recording name>/`), the overall count and ETA, and the remembered
 * settings (output folder, format).
 */
import { recordingName } from '../../shared/recording-name';
import { STEM_FORMATS, type StemFormat } from '../../shared/result';

export type BatchItemState = 'queued' | 'running' | 'done' | 'failed' | 'cancelled';

export interface AddPlan {
  /** Paths to queue, in order. */
  add: string[];
  /** Paths already in the queue (skipped silently). */
  already: string[];
  /** Paths refused: another file with the same recording name would write to the same output folder. */
  clashes: { path: string; other: string }[];
}

/** Splits `incoming` into what to queue, what is already there and what would share an output folder. */
export function planAdd(queued: readonly string[], incoming: readonly string[]): AddPlan {
  const byName = new Map<string, string>();
  const paths = new Set(queued);
  for (const p of queued) byName.set(recordingName(p), p);
  const plan: AddPlan = { add: [], already: [], clashes: [] };
  for (const p of incoming) {
    if (paths.has(p)) {
      plan.already.push(p);
      continue;
    }
    const other = byName.get(recordingName(p));
    if (other !== undefined) {
      plan.clashes.push({ path: p, other });
      continue;
    }
    paths.add(p);
    byName.set(recordingName(p), p);
    plan.add.push(p);
  }
  return plan;
}

export interface BatchCounts {
  total: number;
  queued: number;
  done: number;
  failed: number;
  cancelled: number;
  /** Items that reached an end state (done, failed or cancelled). */
  finished: number;
}

export function batchCounts(states: readonly BatchItemState[]): BatchCounts {
  const c: BatchCounts = { total: states.length, queued: 0, done: 0, failed: 0, cancelled: 0, finished: 0 };
  for (const s of states) {
    if (s === 'queued') c.queued++;
    else if (s === 'done') c.done++;
    else if (s === 'failed') c.failed++;
    else if (s === 'cancelled') c.cancelled++;
  }
  c.finished = c.done + c.failed + c.cancelled;
  return c;
}

/**
 * Seconds left for the run: the mean wall time of the items this run finished, times the items
 * still to do (the running one counted by what is left of it). null before any item finished and
 * before the running one reports progress.
 */
export function batchEta(finishedSeconds: readonly number[], queued: number, running: { elapsed: number; fraction: number | null } | null): number | null {
  let perItem: number | null = null;
  if (finishedSeconds.length > 0) perItem = finishedSeconds.reduce((a, b) => a + b, 0) / finishedSeconds.length;
  else if (running && running.fraction !== null && running.fraction > 0.05) perItem = running.elapsed / running.fraction;
  if (perItem === null) return null;
  const left = running ? Math.max(0, perItem - running.elapsed) : 0;
  return queued * perItem + left;
}

export interface BatchSettings {
  outDir: string;
  format: StemFormat;
}

export const BATCH_SETTINGS_KEY = 's5.batch.v1';
export const DEFAULT_BATCH_SETTINGS: BatchSettings = { outDir: '', format: 'wav16' };

/** Parses remembered settings; anything malformed falls back to the defaults field by field. */
export function parseBatchSettings(raw: string | null): BatchSettings {
  if (!raw) return { ...DEFAULT_BATCH_SETTINGS };
  try {
    const v: unknown = JSON.parse(raw);
    if (typeof v !== 'object' || v === null) return { ...DEFAULT_BATCH_SETTINGS };
    const o = v as Record<string, unknown>;
    return {
      outDir: typeof o.outDir === 'string' ? o.outDir : DEFAULT_BATCH_SETTINGS.outDir,
      format: (STEM_FORMATS as readonly unknown[]).includes(o.format) ? (o.format as StemFormat) : DEFAULT_BATCH_SETTINGS.format,
    };
  } catch {
    return { ...DEFAULT_BATCH_SETTINGS };
  }
}
