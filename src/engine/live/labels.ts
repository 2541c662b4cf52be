/**
 * On/off decisions for rolling labels: per-class exponential smoothing of the tagger's
 * probabilities, then hysteresis (a class turns on when its smoothed probability reaches `on`, and
 * off only when it falls below `off` < `on`, so it does not flicker around one threshold), and the
 * event log (class, onset, offset, peak confidence). Times are seconds of input.
 */
import type { S5Label } from '../../shared/labels';

export interface HysteresisOptions {
  /** Turn-on threshold, one for all classes or one per label (the tagger's decision thresholds). */
  on: number | readonly number[];
  /** Turn-off threshold(s) (default on − 0.15, but never less than half of on). */
  off?: number | readonly number[];
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
  /** Per-label turn-on and turn-off thresholds. */
  readonly on: Float32Array;
  readonly off: Float32Array;
  readonly alpha: number;
  /** Smoothed probability per label. */
  readonly smoothed: Float32Array;
  private readonly open: (LabelEvent | null)[];
  private started = false;
  readonly log: LabelEvent[] = [];

  constructor(readonly labels: readonly S5Label[], opts: HysteresisOptions) {
    const perLabel = (v: number | readonly number[], what: string) => {
      if (typeof v === 'number') return new Float32Array(labels.length).fill(v);
      if (v.length !== labels.length) throw new RangeError(`hysteresis: ${v.length} ${what} thresholds for ${labels.length} labels`);
      return Float32Array.from(v);
    };
    this.on = perLabel(opts.on, 'on');
    this.off = opts.off === undefined ? this.on.map((on) => on - Math.min(0.15, on / 2)) : perLabel(opts.off, 'off');
    this.on.forEach((on, i) => {
      if (!(this.off[i] < on)) throw new RangeError(`hysteresis: off (${this.off[i]}) must be below on (${on}) for ${labels[i]}`);
    });
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
        if (s < this.off[i]) {
          ev.offset = t;
          this.open[i] = null;
          changes.push({ kind: 'offset', event: { ...ev } });
        }
      } else if (s >= this.on[i]) {
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
