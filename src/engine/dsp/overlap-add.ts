/**
 * Weighted overlap-add of per-window model outputs into continuous signals, demucs `apply.py`
 * style: every window adds weight·output to a running sum and its weight to a weight sum; a sample
 * is final once no later window can reach it, and is then emitted as sum / weight-sum (asserted
 * > 0). With 50 % overlap and the triangle weight this is a linear crossfade between neighbouring
 * windows; where only one window covers a sample (the first half-window, the end) its output is
 * used unchanged. Memory: one window of accumulators per stream, whatever the file length.
 *
 * Streams ("stems") are keyed and may appear at any window: a new key starts from zeros, and a
 * key missing from a window contributes zero with that window's weight (it fades out).
 */

/**
 * Triangle weight peaking mid-window, never zero at the ends (w[i] = min(i + 1, W − i) / ⌈W/2⌉),
 * raised to `power` (1 = linear crossfade; larger = shorter transitions).
 */
export function triangleWeight(windowSamples: number, power = 1): Float32Array {
  const w = new Float32Array(windowSamples);
  const peak = Math.ceil(windowSamples / 2);
  for (let i = 0; i < windowSamples; i++) w[i] = (Math.min(i + 1, windowSamples - i) / peak) ** power;
  return w;
}

/** A finished stretch of the output: samples [start, start + length) of every stem. */
export interface Emitted<K> {
  start: number;
  length: number;
  stems: Map<K, Float32Array>;
}

export class OverlapAdd<K> {
  private readonly sums = new Map<K, Float32Array>();
  private readonly weightSum: Float64Array;
  /** Absolute sample index of accumulator index 0 (= start of the next window). */
  private base = 0;
  private pushed = 0;

  constructor(readonly windowSamples: number, readonly hopSamples: number, readonly weight: Float32Array = triangleWeight(windowSamples)) {
    if (!(hopSamples > 0 && hopSamples <= windowSamples)) throw new RangeError(`hop ${hopSamples} must be in 1…${windowSamples}`);
    if (weight.length !== windowSamples) throw new RangeError('weight length must equal the window length');
    this.weightSum = new Float64Array(windowSamples);
  }

  /** Sample index where the next window starts. */
  get nextStart(): number {
    return this.base;
  }

  /** Keys seen so far. */
  keys(): K[] {
    return [...this.sums.keys()];
  }

  /**
   * Adds the next window (starting at `nextStart`; windows are consecutive, `hopSamples` apart).
   * Each output must hold at least `windowSamples` samples. Emits the samples no later window
   * reaches, clipped to `validEnd` (the end of the input, when this window runs past it).
   */
  push(outputs: ReadonlyMap<K, Float32Array>, validEnd = Infinity): Emitted<K> {
    const W = this.windowSamples;
    const w = this.weight;
    for (let i = 0; i < W; i++) this.weightSum[i] += w[i];
    for (const [key, out] of outputs) {
      if (out.length < W) throw new RangeError(`overlap-add: output for ${String(key)} has ${out.length} samples, the window has ${W}`);
      let sum = this.sums.get(key);
      if (!sum) {
        sum = new Float32Array(W);
        this.sums.set(key, sum);
      }
      for (let i = 0; i < W; i++) sum[i] += w[i] * out[i];
    }
    this.pushed++;
    const length = Math.max(0, Math.min(this.hopSamples, validEnd - this.base));
    const emitted = this.take(length);
    this.shift(this.hopSamples);
    return emitted;
  }

  /** Emits what is left up to `totalSamples` (the input length) once the last window was pushed. */
  finish(totalSamples: number): Emitted<K> {
    const length = Math.max(0, Math.min(this.windowSamples - this.hopSamples, totalSamples - this.base));
    if (this.pushed === 0 && length > 0) throw new Error('overlap-add: finish() before any window');
    return this.take(length);
  }

  private take(length: number): Emitted<K> {
    const stems = new Map<K, Float32Array>();
    for (let i = 0; i < length; i++) {
      if (!(this.weightSum[i] > 0)) throw new Error(`overlap-add: zero weight at sample ${this.base + i}`);
    }
    for (const [key, sum] of this.sums) {
      const out = new Float32Array(length);
      for (let i = 0; i < length; i++) out[i] = sum[i] / this.weightSum[i];
      stems.set(key, out);
    }
    return { start: this.base, length, stems };
  }

  private shift(n: number): void {
    const W = this.windowSamples;
    this.weightSum.copyWithin(0, n);
    this.weightSum.fill(0, W - n);
    for (const sum of this.sums.values()) {
      sum.copyWithin(0, n);
      sum.fill(0, W - n);
    }
    this.base += n;
  }
}
