/**
 * Layout of the label timeline: which classes get a row (those the analysis found or whose
 * probability reaches its class's threshold anywhere, or all of them on demand), their order, and the
 * time span each window's probability is drawn over. Windows overlap by 50 %: each is drawn over
 * the hop-long span around its centre, so cells tile the recording without overlap.
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

/** The span [start, end) window `i` of `entries` is drawn over, clipped to [0, duration]. */
export function cellSpans(entries: readonly Pick<TimelineEntry, 'start' | 'end'>[], duration: number): { start: number; end: number }[] {
  const centres = entries.map((e) => (e.start + e.end) / 2);
  return entries.map((_, i) => ({
    start: i === 0 ? 0 : (centres[i - 1] + centres[i]) / 2,
    end: i === entries.length - 1 ? duration : (centres[i] + centres[i + 1]) / 2,
  }));
}

export function timelineRows(
  labels: readonly string[],
  entries: readonly TimelineEntry[],
  detected: readonly DetectedLabel[],
  duration: number,
  rule: Thresholds,
  showAll: boolean,
): TimelineRow[] {
  const spans = cellSpans(entries, duration);
  const found = new Set(detected.map((d) => d.label as string));
  const rows = labels.map((label, k) => {
    const cells = entries.map((e, i) => ({ ...spans[i], prob: e.probs[k] ?? 0 }));
    const peak = cells.reduce((m, c) => Math.max(m, c.prob), 0);
    return { label, threshold: thresholdFor(rule, label), peak, detected: found.has(label), cells };
  });
  const shown = showAll ? rows : rows.filter((r) => r.detected || r.peak >= r.threshold);
  // Detected first, then by peak probability; "all" keeps the official order.
  return showAll ? shown : shown.sort((a, b) => Number(b.detected) - Number(a.detected) || b.peak - a.peak);
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
