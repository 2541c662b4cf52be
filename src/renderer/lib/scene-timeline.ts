/**
 * Layout of the label timeline: which classes get a row (those the analysis found or whose
 * probability reaches its class's threshold anywhere, or all of them on demand), their order, and
 * where each window's probability is drawn. A cell is the tagger's window itself — its real start
 * and length (the part inside the recording) — so a clip shorter than one window honestly shows
 * one value over its whole length, and a long recording's 50 %-overlapping windows are drawn in
 * two half-height lanes (even windows above, odd below) instead of being cut into hop-long pieces.
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
  prob: number;
  /** 0: upper half, 1: lower half (overlapping windows), null: the full row height. */
  lane: 0 | 1 | null;
}

export interface TimelineRow {
  label: string;
  /** The decision threshold of this class (its own, or the rule's global one). */
  threshold: number;
  /** Highest window probability. */
  peak: number;
  /** The analysis selected this label (recording level). */
  detected: boolean;
  cells: HeatCell[];
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
): TimelineRow[] {
  const spans = windowCells(entries, duration);
  const found = new Set(detected.map((d) => d.label as string));
  const rows = labels.map((label, k) => {
    const cells = entries.map((e, i) => ({ ...spans[i], prob: e.probs[k] ?? 0 }));
    const peak = cells.reduce((m, c) => Math.max(m, c.prob), 0);
    return { label, threshold: thresholdFor(rule, label), peak, detected: found.has(label), cells };
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
