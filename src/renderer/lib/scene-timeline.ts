/**
 * Layout of the label timeline: which classes get a row (those the analysis found or whose
 * probability reaches its class's threshold anywhere, or all of them on demand), their order, and
 * what each row's cells show.
 *
 * A class with a stem is drawn in short cells (`ACTIVITY_FRAME_S`, 0.25 s): the tagger's window
 * probability times the stem's presence in that cell, measured from the separated stem's energy
 * envelope (`stemActivity`). The tagger is clip-level (10-s windows), so its probability alone
 * says whether a class is in a window, not when: a 4.5-s clip had one value over its whole length.
 * The stem says when: its level against the mixture (W) in the same cell, and against its own
 * loudest cell. Tagging shorter pieces of the window was measured as the alternative (1-s pieces
 * at 0.25-s hops, zero-padded to the window, on the demo scenes): it followed the bicycle bell
 * and the cough, but the percussion under the bell and the brass read 0.01–0.24 where it plays,
 * a scream read 0.92 Cough, and it costs a tagger run per cell (~70 ms each here: +17 s for a
 * 60-s file). The stem envelope costs one pass over PCM the view has already loaded for playback.
 *
 * A class without a stem (tag-only rows, "all 18") keeps one cell per tagger window — its real
 * start and length inside the recording — with overlapping windows drawn in two half-height lanes
 * (even windows above, odd below) instead of being cut into hop-long pieces. Clip-level labels,
 * thresholds and the rows shown are decided from the window probabilities, as before.
 *
 * One class order everywhere (chips, rows, strips): the official label order, the detected
 * classes first.
 */
import { classThreshold } from '../../shared/manifest';
import type { DetectedLabel, TimelineEntry } from '../../shared/result';

/** A tagger's decision rule as the timeline needs it: the global threshold and per-class ones. */
export interface Thresholds {
  threshold: number;
  thresholds?: Readonly<Record<string, number>>;
}

/** The threshold `label` is decided at (its own when the rule has one): the engine's own rule. */
export const thresholdFor: (rule: Thresholds, label: string) => number = classThreshold;

/** Whether any class has a threshold other than the global one. */
export function hasClassThresholds(rule: Thresholds): boolean {
  return Object.values(rule.thresholds ?? {}).some((t) => t !== rule.threshold);
}

export interface HeatCell {
  start: number;
  end: number;
  /** What the cell shows (0–1): the window probability, or in an activity cell that times the stem's presence. */
  prob: number;
  /** 0: upper half, 1: lower half (overlapping windows), null: the full row height. */
  lane: 0 | 1 | null;
  /** Activity cells: the tagger's probability here (highest window covering the cell's centre). */
  tagger?: number;
  /** Activity cells: the class's stem level re the mixture (W) in this cell, dB. */
  levelDb?: number;
}

export interface TimelineRow {
  label: string;
  /** The decision threshold of this class (its own, or the rule's global one). */
  threshold: number;
  /** Highest window probability. */
  peak: number;
  /** The analysis selected this label (recording level). */
  detected: boolean;
  /** Seconds per cell when the cells are stem activity; null: one cell per tagger window. */
  resolution: number | null;
  cells: HeatCell[];
}

/** Seconds per activity cell: 18 cells over a 4.5-s demo clip, 40 over a 10-s one. */
export const ACTIVITY_FRAME_S = 0.25;
/**
 * Presence of a stem in a cell, from two levels, each mapped linearly in dB onto 0–1 (the smaller
 * one wins): the stem against the mixture (W) in the same cell — a stem far under what is heard
 * is leakage (the demo's bicycle-bell stem carried the brass at −14…−17 dB re the mixture, the
 * bell itself read −11…−9 dB) — and the stem against its own loudest cell: over a quiet stretch
 * the separator passes other sounds through at −9…−20 dB re the mixture while the class is silent
 * (a lone target reads −1…−4 dB, two overlapping ones −3…−8 dB). Chosen on the three demo scenes
 * and three synthesised ones (9 stems, 180 cells; truth from the dry targets: "on" within 20 dB
 * of the target's loudest cell, "off" 40 dB under it): 94 % of on cells reach presence 0.5 and
 * 7 % of off cells do (tagger windows alone: 100 % and 100 %); the off cells that do are other
 * sounds the separator left in the stem (a scream in the cough's, the brass in the bell's).
 */
export const PRESENCE_MIX_DB: readonly [number, number] = [-18, -8];
export const PRESENCE_SELF_DB: readonly [number, number] = [-25, -10];

/** Per class with a stem: its presence (0–1) and level re the mixture (dB) in cells of `frameS`. */
export interface StemActivity {
  frameS: number;
  /** Cells covering the recording (the last may be partial). */
  frames: number;
  presence: Map<string, Float32Array>;
  levelDb: Map<string, Float32Array>;
}

/** Mean square per cell of `n` samples (the last cell over the samples it has). */
export function cellEnergies(x: Float32Array, n: number, frames: number): Float64Array {
  const e = new Float64Array(frames);
  for (let f = 0; f < frames; f++) {
    const a = f * n;
    const b = Math.min(x.length, a + n);
    let s = 0;
    for (let i = a; i < b; i++) s += x[i] * x[i];
    e[f] = b > a ? s / (b - a) : 0;
  }
  return e;
}

const ramp = (db: number, [lo, hi]: readonly [number, number]) => Math.min(1, Math.max(0, (db - lo) / (hi - lo)));
const dB = (e: number) => 10 * Math.log10(Math.max(e, 1e-20));

/**
 * Activity of each class that has a stem, from the stems' and the mixture's PCM at `rate` (the
 * Scene cache's: mixture channel 0 is W). Several stems of one class (2026: `Label_1`, `Label_2`)
 * count as one: their energies add. A cell where the mixture is digitally silent has presence 0.
 */
export function stemActivity(
  stems: readonly { label: string; pcm: Float32Array }[],
  mixture: Float32Array,
  rate: number,
  frameS = ACTIVITY_FRAME_S,
): StemActivity {
  const n = Math.max(1, Math.round(frameS * rate));
  const frames = Math.ceil(mixture.length / n);
  const mix = cellEnergies(mixture, n, frames);
  const byLabel = new Map<string, Float64Array>();
  for (const s of stems) {
    const e = cellEnergies(s.pcm, n, frames);
    const sum = byLabel.get(s.label);
    if (sum) sum.forEach((v, f) => (sum[f] = v + e[f]));
    else byLabel.set(s.label, e);
  }
  const presence = new Map<string, Float32Array>();
  const levelDb = new Map<string, Float32Array>();
  for (const [label, e] of byLabel) {
    const peak = e.reduce((m, v) => Math.max(m, v), 0);
    const g = new Float32Array(frames);
    const lv = new Float32Array(frames);
    for (let f = 0; f < frames; f++) {
      lv[f] = Math.max(-120, dB(e[f]) - dB(mix[f]));
      g[f] = mix[f] < 1e-12 || peak <= 0 ? 0 : Math.min(ramp(lv[f], PRESENCE_MIX_DB), ramp(dB(e[f]) - dB(peak), PRESENCE_SELF_DB));
    }
    presence.set(label, g);
    levelDb.set(label, lv);
  }
  return { frameS: n / rate, frames, presence, levelDb };
}

/**
 * Activity cells of class `k`: each cell's window probability (the highest of the tagger windows
 * covering the cell's centre; windows come in start order) times its stem presence.
 */
function activityCells(entries: readonly TimelineEntry[], k: number, presence: Float32Array, levelDb: Float32Array, frameS: number, duration: number): HeatCell[] {
  const cells: HeatCell[] = [];
  let first = 0;
  for (let f = 0; f < presence.length; f++) {
    const start = f * frameS;
    if (start >= duration) break;
    const end = Math.min(duration, start + frameS);
    const t = (start + end) / 2;
    while (first < entries.length && entries[first].end <= t) first++;
    let tagger = 0;
    for (let i = first; i < entries.length && entries[i].start <= t; i++) if (t < entries[i].end) tagger = Math.max(tagger, entries[i].probs[k] ?? 0);
    cells.push({ start, end, prob: tagger * presence[f], lane: null, tagger, levelDb: levelDb[f] });
  }
  return cells;
}

/**
 * The cells to draw inside `view`: those overlapping it; when more than `max`, runs of adjacent
 * full-height cells are merged (highest value) so a zoomed-out long recording stays a few hundred
 * elements per row. Window cells in lanes are never merged (a long file has few windows).
 */
export function visibleCells(cells: readonly HeatCell[], view: { start: number; end: number }, max = 480): HeatCell[] {
  const shown = cells.filter((c) => c.end > view.start && c.start < view.end && c.end > c.start);
  if (shown.length <= max || shown.some((c) => c.lane !== null)) return shown;
  const k = Math.ceil(shown.length / max);
  const out: HeatCell[] = [];
  for (let i = 0; i < shown.length; i += k) {
    const run = shown.slice(i, i + k);
    const top = run.reduce((a, b) => (b.prob > a.prob ? b : a));
    out.push({ ...top, start: run[0].start, end: run[run.length - 1].end });
  }
  return out;
}

/**
 * Where window `i` of `entries` is drawn: its own span clipped to [0, duration], in the upper or
 * lower half when windows overlap (alternating), else over the full height.
 */
export function windowCells(entries: readonly Pick<TimelineEntry, 'start' | 'end'>[], duration: number): Omit<HeatCell, 'prob'>[] {
  const overlapping = entries.some((e, i) => i > 0 && e.start < entries[i - 1].end - 1e-9);
  return entries.map((e, i) => ({
    start: Math.max(0, e.start),
    end: Math.max(Math.max(0, e.start), Math.min(duration, e.end)),
    lane: overlapping ? ((i % 2) as 0 | 1) : null,
  }));
}

/** Compares class names by their position in `order` (the official label list); unknown ones last. */
export function byClassOrder(order: readonly string[]): (a: string, b: string) => number {
  const rank = (l: string) => {
    const i = order.indexOf(l);
    return i < 0 ? order.length : i;
  };
  return (a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0);
}

export function timelineRows(
  labels: readonly string[],
  entries: readonly TimelineEntry[],
  detected: readonly DetectedLabel[],
  duration: number,
  rule: Thresholds,
  showAll: boolean,
  activity: StemActivity | null = null,
): TimelineRow[] {
  const spans = windowCells(entries, duration);
  const found = new Set(detected.map((d) => d.label as string));
  const rows = labels.map((label, k): TimelineRow => {
    const windows = entries.map((e, i) => ({ ...spans[i], prob: e.probs[k] ?? 0 }));
    const peak = windows.reduce((m, c) => Math.max(m, c.prob), 0);
    const presence = activity?.presence.get(label);
    const levelDb = activity?.levelDb.get(label);
    const fine = presence && levelDb && activity && entries.length > 0;
    return {
      label, threshold: thresholdFor(rule, label), peak, detected: found.has(label),
      resolution: fine ? activity.frameS : null,
      cells: fine ? activityCells(entries, k, presence, levelDb, activity.frameS, duration) : windows,
    };
  });
  const shown = showAll ? rows : rows.filter((r) => r.detected || r.peak >= r.threshold);
  // Detected first, each group in the official order (the order of `labels`), as chips and strips.
  return shown.sort((a, b) => Number(b.detected) - Number(a.detected) || labels.indexOf(a.label) - labels.indexOf(b.label));
}

/** Heat colour of a probability: dark blue (0) → accent → warm (1), as an `rgb()` string. */
export function heatColor(p: number): string {
  const x = Math.min(1, Math.max(0, p));
  const stops = [
    [22, 27, 34],
    [29, 78, 137],
    [76, 158, 232],
    [240, 190, 80],
    [250, 240, 200],
  ];
  const f = x * (stops.length - 1);
  const i = Math.min(stops.length - 2, Math.floor(f));
  const t = f - i;
  const c = stops[i].map((v, j) => Math.round(v + (stops[i + 1][j] - v) * t));
  return `rgb(${c[0]} ${c[1]} ${c[2]})`;
}

/** Estimated seconds left from elapsed time and fraction done; null until something is done. */
export function etaSeconds(elapsed: number, done: number, total: number): number | null {
  if (done <= 0 || total <= 0 || done > total) return null;
  return (elapsed * (total - done)) / done;
}
