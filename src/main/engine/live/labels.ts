/**
 * On/off decisions for rolling labels: per-class exponential smoothing of the tagger's
 * probabilities, then hysteresis (a class turns on when its smoothed probability reaches `on`, and
 * off only when it falls below `off` < `on`, so it does not flicker around one threshold), and the
 * event log (class, onset, offset, peak confidence). Times are seconds of input.
 */
import type { S5Label } from '../../../shared/labels';

export interface HysteresisOptions {
  /** Turn-on threshold (the tagger's decision threshold by default). */
  on: number;
  /** Turn-off threshold (default on − 0.15, at least 0.05). */
  off?: number;
  /** Weight of the newest probability in the smoothing (1 = no smoothing). */
  alpha?: number;
}

export interface LabelEvent {
  label: S5Label;
  onset: number;
  offset: number | null;
  peak: number;
}

export type LabelChange = { kind: 'onset' | 'offset'; event: LabelEvent };

export class LabelTracker {
  readonly on: number;
  readonly off: number;
  readonly alpha: number;
  /** Smoothed probability per label. */
  readonly smoothed: Float32Array;
  private readonly open: (LabelEvent | null)[];
  private started = false;
  readonly log: LabelEvent[] = [];

  constructor(readonly labels: readonly S5Label[], opts: HysteresisOptions) {
    this.on = opts.on;
    this.off = opts.off ?? Math.max(0.05, opts.on - 0.15);
    if (!(this.off < this.on)) throw new RangeError(`hysteresis: off (${this.off}) must be below on (${this.on})`);
    this.alpha = opts.alpha ?? 0.6;
    this.smoothed = new Float32Array(labels.length);
    this.open = labels.map(() => null);
  }

  /** Feeds one frame of probabilities at input time `t`; returns the onsets/offsets it caused. */
  update(probs: ArrayLike<number>, t: number): LabelChange[] {
    const changes: LabelChange[] = [];
    for (let i = 0; i < this.labels.length; i++) {
      const p = probs[i];
      const s = this.started ? this.alpha * p + (1 - this.alpha) * this.smoothed[i] : p;
      this.smoothed[i] = s;
      const ev = this.open[i];
      if (ev) {
        ev.peak = Math.max(ev.peak, s);
        if (s < this.off) {
          ev.offset = t;
          this.open[i] = null;
          changes.push({ kind: 'offset', event: { ...ev } });
        }
      } else if (s >= this.on) {
        const e: LabelEvent = { label: this.labels[i], onset: t, offset: null, peak: s };
        this.open[i] = e;
        this.log.push(e);
        changes.push({ kind: 'onset', event: { ...e } });
      }
    }
    this.started = true;
    return changes;
  }

  active(): S5Label[] {
    return this.labels.filter((_, i) => this.open[i] !== null);
  }

  /** Closes every open event at `t` (session end). */
  closeAll(t: number): LabelChange[] {
    const changes: LabelChange[] = [];
    this.open.forEach((ev, i) => {
      if (!ev) return;
      ev.offset = t;
      this.open[i] = null;
      changes.push({ kind: 'offset', event: { ...ev } });
    });
    return changes;
  }

  events(): LabelEvent[] {
    return this.log.map((e) => ({ ...e }));
  }
}
