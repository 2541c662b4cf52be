/**
 * The engine's own resampler for the rate pairs it meets (44.1/48/32/22.05/96 kHz ↔ 16/32 kHz and
 * any other ratio up/down with up ≤ 1024): windowed-sinc FIR filters designed at construction.
 *
 * Why hand-written: the input resampler ran at 0.12× the speed of `sox rate -v` with libsamplerate
 * (wasm), which interpolates its filter table anew for every output sample of every channel and
 * copies through an interleaved wasm heap. The other maintained wasm port on npm (the speex
 * resampler) works the same way, per output sample in a scalar loop, and was not measured; bench/
 * audio.bench.ts compares this one with libsamplerate and sox. For a fixed ratio the work splits
 * cheaply:
 *
 *   downsampling (the input path: recording → model rate), two stages
 *     A  the sharp anti-alias low-pass at the INPUT rate by FFT overlap-save (dsp/fft.ts): its cost
 *        per sample grows with log(length), not length; two channels share one complex FFT; when
 *        half the input rate is still ≥ the output rate, the spectrum is folded and one inverse
 *        FFT of half the size yields every 2nd sample (48/44.1/32 kHz → 16 kHz);
 *     B  a short polyphase interpolator to the output rate: after A nothing is left above the
 *        output Nyquist, so B only has to reject the images at its input rate − Nyquist (≈ 20–30
 *        taps; none when the rates are equal or divide: samples are taken);
 *   upsampling (stems written at a higher rate): one polyphase filter, all channels sharing the
 *     coefficient loads.
 *
 * Quality (the targets of libsamplerate's SINC_MEDIUM, which it replaces for these ratios):
 * passband 0 … 0.9 × the lower Nyquist flat to 1e-5 dB, stopband from the lower Nyquist on at
 * ≥ 120 dB (nothing aliases or images), Kaiser windows, every polyphase phase normalised to unit DC
 * gain. Measured in test/unit/audio/resample.test.ts and bench/audio.bench.ts (THD+N of a 1 kHz
 * sine −133 dB and below). Output sample j is the input at time j·from/to (no added delay; the
 * alignment of libsamplerate), streaming and one-shot give identical samples, and `flush` ends
 * with exactly ceil(n·to/from) output frames.
 */
import { Fft } from '../dsp/fft';
import type { Resampler } from './resample';

/** Largest numerator (phases) we tabulate; other ratios fall back to libsamplerate. */
const MAX_PHASES = 1024;
const MAX_TABLE = 1 << 20;
/** Passband edge and stopband attenuation of every filter here. */
const PASSBAND = 0.9;
const ATTENUATION_DB = 120;

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Zeroth-order modified Bessel function of the first kind (power series). */
function besselI0(x: number): number {
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 500; k++) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

/** Kaiser's design rules: half-length (taps on one side) for a transition width, and β. */
function kaiser(transitionRad: number, attenuationDb: number): { half: number; beta: number } {
  const half = Math.ceil((attenuationDb - 7.95) / (2.285 * transitionRad) / 2) + 1;
  const beta = attenuationDb > 50 ? 0.1102 * (attenuationDb - 8.7) : 0.5842 * (attenuationDb - 21) ** 0.4 + 0.07886 * (attenuationDb - 21);
  return { half, beta };
}

/** Windowed sinc at time t (input samples), cutoff `fc` (cycles per sample), window half-width `half`. */
function tap(t: number, fc: number, half: number, beta: number, i0Beta: number): number {
  const x = 2 * fc * t;
  const sinc = x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x);
  const u = t / half;
  return Math.abs(u) >= 1 ? 0 : 2 * fc * sinc * (besselI0(beta * Math.sqrt(1 - u * u)) / i0Beta);
}

export interface PolyphaseDesign {
  /** to/from = up/down, reduced. */
  up: number;
  down: number;
  /** Taps per phase (even): input samples each output sample reads. */
  taps: number;
  /** Coefficients, phase-major: phase p's taps at [p·taps, (p + 1)·taps). */
  coef: Float64Array;
}

/** up/down reduced, or null when the ratio needs more phases than we tabulate. */
export function polyphaseRatio(fromRate: number, toRate: number): { up: number; down: number } | null {
  if (!Number.isInteger(fromRate) || !Number.isInteger(toRate) || fromRate <= 0 || toRate <= 0) return null;
  const g = gcd(fromRate, toRate);
  return toRate / g <= MAX_PHASES ? { up: toRate / g, down: fromRate / g } : null;
}

/**
 * A polyphase filter from → to passing 0 … fPass and stopping fStop … (Hz), or null when the ratio
 * is not tabulated. Each phase is normalised to unit DC gain.
 */
export function designPolyphase(fromRate: number, toRate: number, fPass: number, fStop: number, attenuationDb = ATTENUATION_DB): PolyphaseDesign | null {
  const r = polyphaseRatio(fromRate, toRate);
  if (!r) return null;
  if (r.up === 1) return { up: 1, down: r.down, taps: 2, coef: Float64Array.of(1, 0) }; // pick samples (after stage A)
  const fc = (fPass + fStop) / 2 / fromRate;
  const { half, beta } = kaiser((2 * Math.PI * (fStop - fPass)) / fromRate, attenuationDb);
  const taps = 2 * half;
  if (taps * r.up > MAX_TABLE) return null;
  const i0Beta = besselI0(beta);
  const coef = new Float64Array(taps * r.up);
  for (let p = 0; p < r.up; p++) {
    let sum = 0;
    // Tap k reads input sample i0 − half + 1 + k; the output lies at i0 + p/up.
    for (let k = 0; k < taps; k++) sum += coef[p * taps + k] = tap(p / r.up + half - 1 - k, fc, half, beta, i0Beta);
    for (let k = 0; k < taps; k++) coef[p * taps + k] /= sum;
  }
  return { up: r.up, down: r.down, taps, coef };
}

const GROWTH = 1 << 14;

/** Planar sample history with an absolute index of its first sample. */
class History {
  data: Float32Array[];
  start: number;
  length: number;

  constructor(channels: number, start: number, zeros: number, capacity: number) {
    this.data = Array.from({ length: channels }, () => new Float32Array(Math.max(capacity, zeros) + GROWTH));
    this.start = start;
    this.length = zeros;
  }

  /** Drops samples below absolute index `from`. */
  discardBefore(from: number): void {
    const k = Math.min(from - this.start, this.length); // later samples have not arrived yet
    if (k <= 0) return;
    for (const h of this.data) h.copyWithin(0, k, this.length);
    this.length -= k;
    this.start += k;
  }

  append(block: Float32Array[], frames: number): void {
    const need = this.length + frames;
    if (need > this.data[0].length) {
      this.data = this.data.map((h) => {
        const n = new Float32Array(need + GROWTH);
        n.set(h.subarray(0, this.length));
        return n;
      });
    }
    for (let c = 0; c < this.data.length; c++) this.data[c].set(block[c].subarray(0, frames), this.length);
    this.length += frames;
  }
}

/** Streaming polyphase resampler over planar channels (taps of one phase run over all channels). */
export class PolyphaseResampler implements Resampler {
  private readonly half: number;
  private hist: History;
  /** Next output: integer input position i0 and phase p (position = i0 + p/up). */
  private i0 = 0;
  private phase = 0;
  private inFrames = 0;
  private outFrames = 0;
  private done = false;

  constructor(readonly fromRate: number, readonly toRate: number, readonly channels: number, private readonly design: PolyphaseDesign) {
    this.half = design.taps / 2;
    // Samples before the start are zeros: the history begins at −(half − 1).
    this.hist = new History(channels, -(this.half - 1), this.half - 1, design.taps);
  }

  process(block: Float32Array[], frames = block[0]?.length ?? 0): Float32Array[] {
    if (this.done) throw new Error('resampler: process() after flush()/destroy()');
    if (block.length !== this.channels) throw new RangeError(`resampler: expected ${this.channels} channels, got ${block.length}`);
    this.hist.discardBefore(this.i0 - this.half + 1);
    this.hist.append(block, frames);
    this.inFrames += frames;
    return this.run(Infinity);
  }

  flush(): Float32Array[] {
    if (this.done) throw new Error('resampler: flush() called twice');
    const want = Math.ceil((this.inFrames * this.design.up) / this.design.down - 1e-9);
    this.hist.append(Array.from({ length: this.channels }, () => new Float32Array(this.half + 1)), this.half + 1);
    const out = this.run(want - this.outFrames);
    this.destroy();
    return out;
  }

  destroy(): void {
    this.done = true;
  }

  /** Every output whose taps are all in the history (at most `limit`). */
  private run(limit: number): Float32Array[] {
    const { up, down, taps, coef } = this.design;
    const half = this.half;
    const lastInput = this.hist.start + this.hist.length - 1;
    let n = 0;
    if (lastInput - half >= this.i0) {
      // Outputs j ≥ 0 from here with i0(j) ≤ lastInput − half: position (i0·up + p + j·down)/up.
      const room = (lastInput - half - this.i0) * up + (up - 1) - this.phase;
      n = Math.min(limit, Math.floor(room / down) + 1);
    }
    const out = Array.from({ length: this.channels }, () => new Float32Array(n));
    let i0 = this.i0;
    let p = this.phase;
    const base = -this.hist.start - half + 1; // history index of tap 0 is i0 + base
    const h = this.hist.data;
    if (up === 1) {
      for (let j = 0; j < n; j++, i0 += down) for (let c = 0; c < this.channels; c++) out[c][j] = h[c][i0 + base + half - 1];
    } else if (this.channels === 4) {
      const [h0, h1, h2, h3] = h;
      const [o0, o1, o2, o3] = out;
      for (let j = 0; j < n; j++) {
        const c0 = p * taps;
        const s = i0 + base;
        let a0 = 0, a1 = 0, a2 = 0, a3 = 0;
        for (let k = 0; k < taps; k++) {
          const c = coef[c0 + k];
          a0 += c * h0[s + k];
          a1 += c * h1[s + k];
          a2 += c * h2[s + k];
          a3 += c * h3[s + k];
        }
        o0[j] = a0; o1[j] = a1; o2[j] = a2; o3[j] = a3;
        p += down;
        while (p >= up) { p -= up; i0++; }
      }
    } else {
      for (let j = 0; j < n; j++) {
        const c0 = p * taps;
        const s = i0 + base;
        for (let c = 0; c < this.channels; c++) {
          const hc = h[c];
          let a = 0;
          for (let k = 0; k < taps; k++) a += coef[c0 + k] * hc[s + k];
          out[c][j] = a;
        }
        p += down;
        while (p >= up) { p -= up; i0++; }
      }
    }
    this.i0 = i0;
    this.phase = p;
    this.outFrames += n;
    return out;
  }
}

/**
 * Linear-phase low-pass at one rate by FFT overlap-save: odd length 2·delay + 1, centred (output
 * sample n is the filtered input at n: no delay), two channels per complex FFT (z = a + i·b; the
 * filter is real, so the real and imaginary parts of the result are the two filtered channels).
 * Output comes in whole FFT blocks; `flush` returns the rest so that output length = input length.
 */
export class FftLowpass {
  private readonly fft: Fft;
  /** Inverse transform: size/fold points (folding the spectrum = taking every fold-th output). */
  private readonly ifft: Fft;
  private readonly size: number;
  /** New input samples per block. */
  private readonly block: number;
  private readonly delay: number;
  /** Filter spectrum, scaled by 1/size (folds the inverse transform's scale). */
  private readonly hRe: Float64Array;
  private readonly hIm: Float64Array;
  /** Per channel: the last `size` inputs; [0, size − block) is the overlap from earlier blocks. */
  private readonly buf: Float32Array[];
  private filled: number;
  private readonly re: Float64Array;
  private readonly im: Float64Array;
  private inFrames = 0;
  /** Outputs (at the output rate) still to drop: the filter's delay. */
  private skip: number;
  /** Outputs returned so far. */
  private emitted = 0;

  /**
   * `fold` 2: the output is the filtered signal at every 2nd input sample (rate/2; the filter must
   * leave nothing above rate/4), computed by an inverse FFT of half the size.
   */
  constructor(readonly rate: number, fPass: number, fStop: number, readonly channels: number, readonly fold: 1 | 2 = 1, attenuationDb = ATTENUATION_DB) {
    const k = kaiser((2 * Math.PI * (fStop - fPass)) / rate, attenuationDb);
    const delay = k.half + (k.half % 2); // even: output 2m is then input 2m (fold), and blocks stay even
    const length = 2 * delay + 1;
    let size = 256;
    while (size < 4 * length) size *= 2;
    this.size = size;
    this.delay = delay;
    this.block = size - length + 1;
    this.fft = new Fft(size);
    this.ifft = fold === 2 ? new Fft(size / 2) : this.fft;
    const fc = (fPass + fStop) / 2 / rate;
    const i0Beta = besselI0(k.beta);
    const h = new Float64Array(length);
    let sum = 0;
    for (let i = 0; i < length; i++) sum += h[i] = tap(i - delay, fc, delay + 1, k.beta, i0Beta);
    this.hRe = new Float64Array(size);
    this.hIm = new Float64Array(size);
    for (let i = 0; i < length; i++) this.hRe[i] = h[i] / sum;
    this.fft.forward(this.hRe, this.hIm);
    for (let i = 0; i < size; i++) {
      this.hRe[i] /= size;
      this.hIm[i] /= size;
    }
    this.buf = Array.from({ length: channels }, () => new Float32Array(size));
    this.filled = length - 1; // zeros before the start
    this.skip = delay / fold;
    this.re = new Float64Array(size);
    this.im = new Float64Array(size);
  }

  process(input: Float32Array[], frames: number): Float32Array[] {
    this.inFrames += frames;
    return this.feed(input, frames, Infinity);
  }

  /** The remaining output: in total ceil(input / fold) samples. */
  flush(): Float32Array[] {
    const pad = this.delay + this.block;
    const total = Math.ceil(this.inFrames / this.fold);
    return this.feed(Array.from({ length: this.channels }, () => new Float32Array(pad)), pad, total - this.emitted);
  }

  private feed(input: Float32Array[], frames: number, limit: number): Float32Array[] {
    const pieces: Float32Array[][] = [];
    const overlap = this.size - this.block;
    let total = 0;
    for (let i = 0; i < frames && total < limit; ) {
      const take = Math.min(frames - i, this.size - this.filled);
      for (let c = 0; c < this.channels; c++) this.buf[c].set(input[c].subarray(i, i + take), this.filled);
      this.filled += take;
      i += take;
      if (this.filled < this.size) break;
      const out = this.runBlock();
      for (const b of this.buf) b.copyWithin(0, this.block);
      this.filled = overlap;
      let from = 0;
      if (this.skip > 0) {
        from = Math.min(this.skip, out[0].length);
        this.skip -= from;
      }
      const n = Math.min(out[0].length - from, limit - total);
      if (n > 0) {
        pieces.push(out.map((o) => o.subarray(from, from + n)));
        total += n;
      }
    }
    this.emitted += total;
    if (pieces.length === 1) return pieces[0];
    const res = Array.from({ length: this.channels }, () => new Float32Array(total));
    let o = 0;
    for (const p of pieces) {
      for (let c = 0; c < this.channels; c++) res[c].set(p[c], o);
      o += p[0].length;
    }
    return res;
  }

  /** Filters the full buffer; returns the block's valid (causal) outputs per channel (every fold-th). */
  private runBlock(): Float32Array[] {
    const { size, re, im, hRe, hIm, fold } = this;
    const first = size - this.block;
    const m = size / fold;
    const count = this.block / fold;
    const out = Array.from({ length: this.channels }, () => new Float32Array(count));
    for (let c = 0; c < this.channels; c += 2) {
      const a = this.buf[c];
      const b = c + 1 < this.channels ? this.buf[c + 1] : null;
      if (b) {
        for (let i = 0; i < size; i++) {
          re[i] = a[i];
          im[i] = b[i];
        }
      } else {
        for (let i = 0; i < size; i++) {
          re[i] = a[i];
          im[i] = 0;
        }
      }
      this.fft.forward(re, im);
      // Y = Z·H; folded (Y[k] + Y[k + m]) when decimating; the inverse as conj(FFT(conj(·))).
      for (let k = 0; k < size; k++) {
        const zr = re[k];
        const zi = im[k];
        re[k] = zr * hRe[k] - zi * hIm[k];
        im[k] = -(zr * hIm[k] + zi * hRe[k]);
      }
      if (fold === 2) {
        for (let k = 0; k < m; k++) {
          re[k] += re[k + m];
          im[k] += im[k + m];
        }
      }
      this.ifft.forward(re, im); // the first m entries
      const f0 = first / fold;
      const oa = out[c];
      for (let i = 0; i < count; i++) oa[i] = re[f0 + i];
      if (b) {
        const ob = out[c + 1];
        for (let i = 0; i < count; i++) ob[i] = -im[f0 + i];
      }
    }
    return out;
  }
}

interface Stage {
  process(block: Float32Array[], frames: number): Float32Array[];
  flush(): Float32Array[];
}

/** Stages in a row; the output is capped at ceil(input·to/from) frames in total. */
class ChainResampler implements Resampler {
  private done = false;
  private inFrames = 0;
  private outFrames = 0;

  constructor(readonly fromRate: number, readonly toRate: number, readonly channels: number, private readonly stages: Stage[]) {}

  process(block: Float32Array[], frames = block[0]?.length ?? 0): Float32Array[] {
    if (this.done) throw new Error('resampler: process() after flush()/destroy()');
    if (block.length !== this.channels) throw new RangeError(`resampler: expected ${this.channels} channels, got ${block.length}`);
    this.inFrames += frames;
    let x = block;
    let n = frames;
    for (const s of this.stages) {
      x = s.process(x, n);
      n = x[0].length;
    }
    this.outFrames += n;
    return x;
  }

  flush(): Float32Array[] {
    if (this.done) throw new Error('resampler: flush() called twice');
    this.done = true;
    // Each stage's tail goes through the stages after it, then those are flushed in turn.
    let pending: Float32Array[][] = [];
    for (const s of this.stages) {
      const fed = pending.map((p) => s.process(p, p[0].length));
      pending = [...fed, s.flush()];
    }
    const want = Math.max(0, Math.ceil((this.inFrames * this.toRate) / this.fromRate - 1e-9) - this.outFrames);
    const out = Array.from({ length: this.channels }, () => new Float32Array(want));
    let o = 0;
    for (const p of pending) {
      const n = Math.min(p[0].length, want - o);
      for (let c = 0; c < this.channels; c++) out[c].set(p[c].subarray(0, n), o);
      o += n;
    }
    if (o < want) throw new Error(`resampler: chain ended ${want - o} frames short`);
    return out;
  }

  destroy(): void {
    this.done = true;
  }
}

/** The FIR resampler for from → to, or null when the ratio is not tabulated (use libsamplerate). */
export function createFirResampler(fromRate: number, toRate: number, channels: number): Resampler | null {
  if (fromRate === toRate) return null;
  const nyquist = Math.min(fromRate, toRate) / 2;
  const fPass = PASSBAND * nyquist;
  if (toRate > fromRate) {
    const d = designPolyphase(fromRate, toRate, fPass, nyquist);
    return d ? new PolyphaseResampler(fromRate, toRate, channels, d) : null;
  }
  // Downsampling: the sharp low-pass at the input rate, its output folded to half the rate when
  // that is still at least the output rate (an inverse FFT of half the size), then stage B.
  const stages: Stage[] = [];
  let rate = fromRate;
  const fold = rate % 2 === 0 && rate / 2 >= toRate ? 2 : 1;
  stages.push(new FftLowpass(rate, fPass, nyquist, channels, fold));
  rate /= fold;
  if (rate !== toRate) {
    // B rejects only the images at rate − nyquist (nothing is left above nyquist); it is short,
    // so a deeper stopband is nearly free and keeps its images out of the THD+N.
    const b = designPolyphase(rate, toRate, fPass, rate - nyquist, ATTENUATION_DB + 20);
    if (!b) return null;
    stages.push(new PolyphaseResampler(rate, toRate, channels, b));
  }
  return new ChainResampler(fromRate, toRate, channels, stages);
}
