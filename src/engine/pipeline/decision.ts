/**
 * From tagger outputs to labels: the task table (output kind → decoder) and the recording-level
 * tally. One decoder per tagger output kind (roles.ts):
 *
 * Each class is held to its threshold: `decision.thresholds[label]` when the manifest has one (tuned
 * by `s5 models calibrate`), else `decision.threshold`.
 *
 * - multilabel [labels] (2025, sigmoid; spec s5-task.md §3.3): the classes with p ≥ threshold, the
 *   max_events most probable of them; if fewer than min_events, the most probable others are
 *   added (argmax first); listed in CLASS-INDEX order.
 * - slots [slots, labels + 1] (2026, per-slot distribution, silence last; spec-2026 §2.2): argmax
 *   per slot; silence (or a probability below the threshold) leaves the slot empty; empty slots
 *   move to the end (stable). Duplicates and zero labels are allowed (min_events 0).
 *
 * A recording longer than one window is decided window by window; the tally then keeps a label
 * (with multiplicity: the most instances any window selected) if some window selected it with
 * p ≥ threshold. Labels selected only to reach min_events ("forced") count only when no label
 * passed anywhere, and then as few as min_events needs, most confident first. For a recording of
 * exactly one window this is the official rule unchanged.
 */
import { S5_LABELS, type S5Label } from '../../shared/labels';
import { classThreshold, type ModelManifest } from '../../shared/manifest';
import { taggerOutputKind, type TaggerOutputKind } from '../models/roles';

/** Where a label came from: the tagger's decision, the user's query (`--labels`, "Separate another
 * class…"), or the verifier (a relabelled stem, or a class found in accurate mode). */
export type LabelOrigin = 'tagger' | 'user' | 'verifier';

export interface Pick {
  label: S5Label;
  confidence: number;
  /** false when the pick only exists to satisfy min_events (p below the threshold). */
  passed: boolean;
  /** Absent: 'tagger'. */
  origin?: LabelOrigin;
  /** The verifier's probability of this label on its stem, when a verifier checked it. */
  verifier?: number;
}

export interface WindowDecision {
  /** One probability per manifest label (slot taggers: the highest slot probability of the class). */
  probs: Float64Array;
  /** Selected labels in slot order. */
  picks: Pick[];
}

type Rule = NonNullable<ModelManifest['decision']>;
type Decoder = (out: Float32Array, labels: readonly S5Label[], rule: Rule) => WindowDecision;

function byProbability(p: ArrayLike<number>, n: number): number[] {
  return Array.from({ length: n }, (_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
}

export function decodeMultilabel(out: Float32Array, labels: readonly S5Label[], rule: Rule): WindowDecision {
  const n = labels.length;
  const probs = Float64Array.from(out.subarray(0, n));
  const order = byProbability(probs, n);
  const threshold = labels.map((l) => classThreshold(rule, l));
  const chosen = order.filter((c) => probs[c] >= threshold[c]).slice(0, rule.max_events);
  for (const c of order) {
    if (chosen.length >= rule.min_events) break;
    if (!chosen.includes(c)) chosen.push(c);
  }
  chosen.sort((a, b) => a - b);
  return { probs, picks: chosen.map((c) => ({ label: labels[c], confidence: probs[c], passed: probs[c] >= threshold[c] })) };
}

export function decodeSlots(out: Float32Array, labels: readonly S5Label[], rule: Rule): WindowDecision {
  const n = labels.length;
  const stride = n + 1;
  const slots = Math.floor(out.length / stride);
  const probs = new Float64Array(n);
  const filled: { slot: number; pick: Pick }[] = [];
  const empty: { slot: number; best: number; p: number }[] = [];
  for (let s = 0; s < slots; s++) {
    const row = out.subarray(s * stride, (s + 1) * stride);
    let arg = 0;
    for (let k = 1; k < stride; k++) if (row[k] > row[arg]) arg = k;
    let best = 0;
    for (let c = 0; c < n; c++) {
      probs[c] = Math.max(probs[c], row[c]);
      if (row[c] > row[best]) best = c;
    }
    if (arg < n && row[arg] >= classThreshold(rule, labels[arg])) filled.push({ slot: s, pick: { label: labels[arg], confidence: row[arg], passed: true } });
    else empty.push({ slot: s, best, p: row[best] });
  }
  let kept = filled;
  if (kept.length > rule.max_events) {
    kept = [...kept].sort((a, b) => b.pick.confidence - a.pick.confidence || a.slot - b.slot).slice(0, rule.max_events).sort((a, b) => a.slot - b.slot);
  }
  const picks = kept.map((k) => k.pick);
  for (const e of [...empty].sort((a, b) => b.p - a.p || a.slot - b.slot)) {
    if (picks.length >= rule.min_events) break;
    picks.push({ label: labels[e.best], confidence: e.p, passed: false });
  }
  return { probs, picks };
}

/** The task table: how each tagger output kind becomes labels. */
export const TAGGER_DECODERS: Readonly<Record<TaggerOutputKind, Decoder>> = Object.freeze({
  multilabel: decodeMultilabel,
  slots: decodeSlots,
});

export function decodeTagger(manifest: ModelManifest, out: Float32Array): WindowDecision {
  const rule = manifest.decision;
  if (!rule) throw new Error(`tagger '${manifest.id}' has no decision rule`);
  return TAGGER_DECODERS[taggerOutputKind(manifest)](out, manifest.labels, rule);
}

/** Instance key of the k-th pick of `label` within a window (k = 0, 1, …). */
export type StemKey = `${S5Label}#${number}`;

export function stemKeys(picks: readonly Pick[]): StemKey[] {
  const seen = new Map<S5Label, number>();
  return picks.map((p) => {
    const k = seen.get(p.label) ?? 0;
    seen.set(p.label, k + 1);
    return `${p.label}#${k}` as StemKey;
  });
}

export interface RecordingLabel {
  label: S5Label;
  count: number;
  confidence: number;
  /** Absent: 'tagger'. */
  origin?: LabelOrigin;
  /** Highest verifier probability of the label over the windows that selected it (absent: never verified). */
  verifier?: number;
}

/** Recording-level labels from the window decisions (see the header). */
export class LabelTally {
  private readonly passedCount = new Map<S5Label, number>();
  private readonly passedConf = new Map<S5Label, number>();
  private readonly forcedConf = new Map<S5Label, number>();
  private readonly order: S5Label[] = [];
  private readonly origin = new Map<S5Label, LabelOrigin>();
  private readonly verified = new Map<S5Label, number>();

  constructor(private readonly minEvents: number) {}

  add(picks: readonly Pick[]): void {
    const counts = new Map<S5Label, number>();
    for (const p of picks) {
      if (!this.order.includes(p.label)) this.order.push(p.label);
      // The origin of the first pick that passed (else of the first pick at all).
      if (!this.origin.has(p.label) || (p.passed && !this.passedCount.has(p.label) && !counts.has(p.label))) this.origin.set(p.label, p.origin ?? 'tagger');
      if (p.verifier !== undefined) this.verified.set(p.label, Math.max(this.verified.get(p.label) ?? 0, p.verifier));
      if (p.passed) {
        counts.set(p.label, (counts.get(p.label) ?? 0) + 1);
        this.passedConf.set(p.label, Math.max(this.passedConf.get(p.label) ?? 0, p.confidence));
      } else {
        this.forcedConf.set(p.label, Math.max(this.forcedConf.get(p.label) ?? 0, p.confidence));
      }
    }
    for (const [label, n] of counts) this.passedCount.set(label, Math.max(this.passedCount.get(label) ?? 0, n));
  }

  /** The recording's labels in class-index order. */
  result(): RecordingLabel[] {
    const extra = (l: S5Label): { origin?: LabelOrigin; verifier?: number } => {
      const origin = this.origin.get(l) ?? 'tagger';
      const v = this.verified.get(l);
      return { ...(origin !== 'tagger' ? { origin } : {}), ...(v !== undefined ? { verifier: v } : {}) };
    };
    const out: RecordingLabel[] = this.order
      .filter((l) => this.passedCount.has(l))
      .map((l) => ({ label: l, count: this.passedCount.get(l) as number, confidence: this.passedConf.get(l) as number, ...extra(l) }));
    const total = out.reduce((s, l) => s + l.count, 0);
    if (total < this.minEvents) {
      const forced = [...this.forcedConf.entries()].filter(([l]) => !this.passedCount.has(l)).sort((a, b) => b[1] - a[1]);
      for (const [label, confidence] of forced.slice(0, this.minEvents - total)) out.push({ label, count: 1, confidence, ...extra(label) });
    }
    return out.sort((a, b) => S5_LABELS.indexOf(a.label) - S5_LABELS.indexOf(b.label));
  }
}
