/**
 * Live's direct listen mode (issue #17): one first-order beam per listened class, steered at the
 * class's direction (dsp/beam.ts), on the FOA stream at the model rate in 10 ms processing steps.
 *
 * Where the direction comes from: the separator, run on a short window (default 1 s, every 0.5 s
 * in direct mode; in clean mode every hop on the listen window), asked for the listened classes
 * and the other classes on; the stem's direction is the intensity of the mixture weighted by the
 * stem's share and the plane-wave purity of each time–frequency bin over the newest 0.25 s of
 * the window (`stemDirection`). An estimate is used only while the class is on (the tagger's
 * hysteresis, as the Live view shows it), its stem carries at least MIN_SHARE of the mixture's
 * energy in the span and the field is not diffuse (confidence ≥ MIN_CONFIDENCE); otherwise the
 * beam holds its last direction. Until a class has a first direction its beam is omni (W) and
 * morphs into the beam when one arrives. An estimate from the window ending at frame e steers the
 * beam from frame e + `delay` (one tagger hop) on: a live session that keeps up (tagger and
 * direction pass within a hop) gives exactly the offline render (`s5 listen`); a later result
 * steers from the next step after it arrives and is counted as late. With these settings a class
 * that jumps by 90° is followed to within 20° in 0.65–0.85 s (docs/live.md).
 */
import type { S5Label } from '../../shared/labels';
import { BeamBank, DEFAULT_BEAM, azimuthElevation, unitVector, type BeamPattern, type BeamStep } from '../dsp/beam';
import { DOA_BAND_HZ, frameSizeFor } from '../dsp/doa';
import { Fft, realPairSpectra } from '../dsp/fft';

/** Processing step of the beams (s): the direct path's block. */
export const DIRECT_STEP_SECONDS = 0.01;
/** Newest part of the separated window whose intensity gives the direction (s). */
export const DIRECTION_SPAN_SECONDS = 0.25;
/**
 * Stem energy / mixture W energy in the span below which the class counts as quiet (−15 dB): a
 * class that is off leaves −20…−30 dB of other sounds in its stem (which point elsewhere), a class
 * that sounds −2…−10 dB (live-direct.test.ts scenes).
 */
export const MIN_SHARE = 10 ** (-15 / 10);
/** Below this weighted intensity confidence (1 − diffuseness) an estimate is not trusted. */
export const MIN_CONFIDENCE = 0.3;

export interface StemEstimate {
  azimuth_deg: number;
  elevation_deg: number;
  confidence: number;
  /** Stem energy over mixture W energy in the span. */
  share: number;
}

/**
 * Direction of a separated stem over the newest `span` frames of its window. `mixture` is planar
 * [4 · length] (W, Y, Z, X), `stem` has `length` samples. STFT (Hann, ≈ 32 ms, 50 % overlap) of
 * the mixture's 4 channels and of the stem; per bin the stem's Wiener share
 * m = |S|² / (|S|² + |W − S|²), the active intensity I = Re{W* · (X, Y, Z)} and the field energy
 * E = ½(|W|² + |X|² + |Y|² + |Z|²); the direction is that of Σ m⁴ · (|I|/E)⁴ · I over
 * 100 Hz … 8 kHz. The fourth powers keep the bins the stem dominates and where one plane wave
 * dominates (direct sound rather than reverberation): in the rooms of live-direct.test.ts they cut
 * the median error of the plain share-weighted sum (doa.ts's weighting without onsets) from
 * 2–30° to 1–6° (docs/live.md). Null when the span has no energy.
 */
export function stemDirection(mixture: Float32Array, length: number, stem: Float32Array, span: number, rate: number): StemEstimate | null {
  const n = Math.min(span, length);
  const from = length - n;
  const N = frameSizeFor(rate);
  const hop = N / 2;
  if (n < N) return null;
  const fft = new Fft(N);
  const win = new Float64Array(N);
  for (let i = 0; i < N; i++) win[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / N);
  const hz = rate / N;
  const lo = Math.max(1, Math.ceil(DOA_BAND_HZ[0] / hz));
  const hi = Math.min(N / 2, Math.floor(Math.min(DOA_BAND_HZ[1], 0.475 * rate) / hz));
  const B = N / 2 + 1;
  const [wRe, wIm, yRe, yIm, zRe, zIm, xRe, xIm, sRe, sIm, dRe, dIm] = Array.from({ length: 12 }, () => new Float64Array(B));
  const [re, im, a, b] = Array.from({ length: 4 }, () => new Float64Array(N));
  const [cw, cy, cz, cx] = [0, 1, 2, 3].map((c) => mixture.subarray(c * length + from, (c + 1) * length));
  const st = stem.subarray(from, length);
  let es = 0;
  let ewTotal = 0;
  for (let i = 0; i < n; i++) {
    es += st[i] * st[i];
    ewTotal += cw[i] * cw[i];
  }
  if (!(es > 0) || !(ewTotal > 0)) return null;
  const load = (x: Float32Array, y: Float32Array | null, o: number) => {
    for (let i = 0; i < N; i++) {
      a[i] = x[o + i] * win[i];
      b[i] = y ? y[o + i] * win[i] : 0;
    }
  };
  let ix = 0;
  let iy = 0;
  let iz = 0;
  let ew = 0;
  for (let o = 0; o + N <= n; o += hop) {
    load(cw, cy, o);
    realPairSpectra(fft, a, b, re, im, wRe, wIm, yRe, yIm);
    load(cz, cx, o);
    realPairSpectra(fft, a, b, re, im, zRe, zIm, xRe, xIm);
    load(st, null, o);
    realPairSpectra(fft, a, b, re, im, sRe, sIm, dRe, dIm);
    for (let k = lo; k <= hi; k++) {
      const ps = sRe[k] * sRe[k] + sIm[k] * sIm[k];
      if (!(ps > 0)) continue;
      const rr = wRe[k] - sRe[k];
      const ri = wIm[k] - sIm[k];
      const m = ps / (ps + rr * rr + ri * ri);
      const bx = wRe[k] * xRe[k] + wIm[k] * xIm[k];
      const by = wRe[k] * yRe[k] + wIm[k] * yIm[k];
      const bz = wRe[k] * zRe[k] + wIm[k] * zIm[k];
      const e = 0.5 * (wRe[k] ** 2 + wIm[k] ** 2 + xRe[k] ** 2 + xIm[k] ** 2 + yRe[k] ** 2 + yIm[k] ** 2 + zRe[k] ** 2 + zIm[k] ** 2);
      if (!(e > 0)) continue;
      const purity = Math.min(1, Math.hypot(bx, by, bz) / e);
      const w = (m * purity) ** 4;
      ix += w * bx;
      iy += w * by;
      iz += w * bz;
      ew += w * e;
    }
  }
  if (!(ew > 0)) return null;
  return {
    azimuth_deg: (Math.atan2(iy, ix) * 180) / Math.PI,
    elevation_deg: (Math.atan2(iz, Math.hypot(ix, iy)) * 180) / Math.PI,
    confidence: Math.min(1, Math.hypot(ix, iy, iz) / ew),
    share: es / ewTotal,
  };
}

export interface BeamState {
  label: S5Label;
  /** Look direction now (null: still omni, no direction yet). */
  azimuth_deg: number | null;
  elevation_deg: number | null;
  /** true when the latest direction pass held the direction (class quiet or off). */
  held: boolean;
}

export interface DirectOptions {
  rate: number;
  pattern: BeamPattern;
  /** Frames between a direction window's end and the step it steers from. */
  delay: number;
  smoothSeconds?: number;
}

export class DirectListener {
  readonly step: number;
  readonly bank: BeamBank<S5Label>;
  private readonly held = new Map<S5Label, boolean>();
  /** Next frame the path expects (−1: not running). */
  position = -1;
  /** Called for every beam step (tests and diagnostics). */
  onStep: ((label: S5Label, s: BeamStep) => void) | null = null;

  constructor(readonly o: DirectOptions) {
    this.step = Math.max(1, Math.round(DIRECT_STEP_SECONDS * o.rate));
    this.bank = new BeamBank<S5Label>({ ...DEFAULT_BEAM, ...(o.smoothSeconds ? { smoothSeconds: o.smoothSeconds } : {}), rate: o.rate, step: this.step, pattern: o.pattern });
  }

  /** Beams for exactly these classes: new ones fade in, dropped ones fade out. */
  setLabels(labels: readonly S5Label[]): void {
    for (const l of labels) {
      const b = this.bank.beam(l);
      b.fadeTo(1);
      if (this.onStep && !b.onStep) b.onStep = (s) => this.onStep?.(l, s);
    }
    for (const [l, b] of this.bank.beams) if (!labels.includes(l)) b.fadeTo(0);
  }

  get active(): boolean {
    return this.bank.beams.size > 0;
  }

  /**
   * Applies a direction pass's result for `label` on the window ending at frame `end`: steers the
   * beam from end + delay (or holds it when `est` is not usable). Returns whether the result came
   * too late to steer at its own frame (the path already passed it).
   */
  update(label: S5Label, est: StemEstimate | null, classOn: boolean, end: number): boolean {
    const b = this.bank.beams.get(label);
    if (!b) return false;
    const usable = classOn && est !== null && est.share >= MIN_SHARE && est.confidence >= MIN_CONFIDENCE;
    this.held.set(label, !usable);
    if (!usable || !est) return false;
    const at = end + this.o.delay;
    b.steer(unitVector(est.azimuth_deg, est.elevation_deg), at);
    return this.position > at;
  }

  /** The beams' output for frames [frame, frame + n) of `ch` (4 channels from `inOffset`). */
  process(ch: readonly Float32Array[], inOffset: number, frame: number, n: number): Float32Array {
    const out = new Float32Array(n);
    this.bank.process(ch, inOffset, frame, n, out);
    this.bank.prune();
    this.position = frame + n;
    return out;
  }

  /** The path stopped (another mode took over): the next `process` restarts it. */
  pause(): void {
    this.position = -1;
  }

  states(): BeamState[] {
    return [...this.bank.beams].filter(([, b]) => !b.fadedOut).map(([label, b]) => {
      const look = b.look ?? b.aim;
      const d = look ? azimuthElevation(look) : null;
      return { label, azimuth_deg: d?.azimuth_deg ?? null, elevation_deg: d?.elevation_deg ?? null, held: this.held.get(label) ?? true };
    });
  }
}
