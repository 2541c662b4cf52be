/**
 * Sample-rate conversion. Two engines behind one streaming interface:
 *
 *   'medium' (default): the engine's own FIR resampler (polyphase.ts) for every ratio up/down with
 *     up ≤ 1024 — all the rate pairs of real recordings and of the models; libsamplerate's
 *     SINC_MEDIUM_QUALITY for any other ratio. Same targets as SINC_MEDIUM (passband 90 % of the
 *     lower Nyquist, no aliasing, ≥ 120 dB stopband), 3–6× faster (bench/audio.bench.ts);
 *   'best' / 'fast': libsamplerate (Erik de Castro Lopo's SRC, compiled to wasm by
 *     @alexanderolsen/libsamplerate-js) SINC_BEST_QUALITY / SINC_FASTEST: exports where the top
 *     octave matters, and Live, where 'fast' keeps the per-block latency low.
 *
 * Measured (test/unit/audio/resample.test.ts, bench/audio.bench.ts):
 *                     THD+N 1 kHz 44.1→32k   15 kHz tone 48→32k   17 kHz 48→32k
 *   medium (FIR)      ≈ −120 dB or lower     in the transition    removed (< −120 dB)
 *   SRC MEDIUM        −121 dB                −13 dB, no alias     −136 dB
 *   SRC BEST          −146 dB                −0.002 dB, no alias  −149 dB
 * All are far below the −90 dB requirement; the 90 % passband (14.4 kHz at 32 kHz) costs nothing
 * the models use.
 *
 * Streaming: output is time-aligned to input (no added delay); each converter holds back what its
 * filter still needs and `flush()` pads with zeros until the output reaches exactly
 * `outputLength(total input)` = ceil(n·to/from) frames, so stream and one-shot results are
 * identical in length and content.
 */
import { create, ConverterType } from '@alexanderolsen/libsamplerate-js';
import { createFirResampler } from './polyphase';

type ConverterTypeValue = (typeof ConverterType)[keyof typeof ConverterType];

export type ResampleQuality = 'best' | 'medium' | 'fast';
export const DEFAULT_QUALITY: ResampleQuality = 'medium';

const QUALITY: Record<ResampleQuality, ConverterTypeValue> = {
  best: ConverterType.SRC_SINC_BEST_QUALITY,
  medium: ConverterType.SRC_SINC_MEDIUM_QUALITY,
  fast: ConverterType.SRC_SINC_FASTEST,
};

/** Input frames handed to libsamplerate per call (keeps its transfer buffer small). */
const CHUNK_FRAMES = 8192;
const MAX_CHANNELS = 128;

/** Output length for `frames` input frames: ceil(frames·to/from). */
export function outputLength(frames: number, fromRate: number, toRate: number): number {
  if (fromRate === toRate) return frames;
  return Math.ceil((frames * toRate) / fromRate - 1e-9);
}

export interface Resampler {
  readonly fromRate: number;
  readonly toRate: number;
  readonly channels: number;
  /** Resamples the next block (planar, equal lengths); returns what is ready (may be empty). */
  process(block: Float32Array[], frames?: number): Float32Array[];
  /** Ends the stream: returns the held-back tail so the total is ceil(inputFrames·to/from). */
  flush(): Float32Array[];
  /** Releases the wasm state (also done by flush). */
  destroy(): void;
}

function checkRates(fromRate: number, toRate: number, channels: number): void {
  for (const [name, r] of [['fromRate', fromRate], ['toRate', toRate]] as const) {
    if (!Number.isFinite(r) || r <= 0) throw new RangeError(`resampler: ${name} must be a positive number, got ${r}`);
  }
  const ratio = toRate / fromRate;
  if (ratio > 256 || ratio < 1 / 256) throw new RangeError(`resampler: ratio ${ratio} outside libsamplerate's 1/256…256`);
  if (!Number.isInteger(channels) || channels < 1 || channels > MAX_CHANNELS) {
    throw new RangeError(`resampler: channels must be 1…${MAX_CHANNELS}, got ${channels}`);
  }
}

class IdentityResampler implements Resampler {
  constructor(readonly fromRate: number, readonly toRate: number, readonly channels: number) {}
  process(block: Float32Array[], frames = block[0]?.length ?? 0): Float32Array[] {
    return block.map((c) => c.slice(0, frames));
  }
  flush(): Float32Array[] {
    return Array.from({ length: this.channels }, () => new Float32Array(0));
  }
  destroy(): void {}
}

type SrcInstance = Awaited<ReturnType<typeof create>>;

/**
 * Idle converters for reuse: `create` instantiates a fresh wasm module (10–80 ms), which would
 * dominate resampling many short files (evaluation folders). A pooled converter is reconfigured
 * and re-initialised (fresh filter state) by one property setter, which calls src_delete + init.
 */
const pool: SrcInstance[] = [];
const POOL_MAX = 4;

async function acquire(channels: number, fromRate: number, toRate: number, type: ConverterTypeValue): Promise<SrcInstance> {
  const src = pool.pop();
  if (!src) return create(channels, fromRate, toRate, { converterType: type });
  src._nChannels = channels;
  src._inputSampleRate = fromRate;
  src._outputSampleRate = toRate;
  src.ratio = toRate / fromRate; // the library's setters do not update it; its chunking uses it
  src.converterType = type; // the setter re-initialises the converter with all four values
  return src;
}

function release(src: SrcInstance): void {
  if (pool.length < POOL_MAX) pool.push(src);
  else src.destroy();
}

class SincResampler implements Resampler {
  private inFrames = 0;
  private outFrames = 0;
  private destroyed = false;
  private readonly interleaved: Float32Array;

  constructor(
    private readonly src: SrcInstance,
    readonly fromRate: number,
    readonly toRate: number,
    readonly channels: number,
  ) {
    this.interleaved = new Float32Array(CHUNK_FRAMES * channels);
  }

  process(block: Float32Array[], frames = block[0]?.length ?? 0): Float32Array[] {
    if (this.destroyed) throw new Error('resampler: process() after flush()/destroy()');
    if (block.length !== this.channels) throw new RangeError(`resampler: expected ${this.channels} channels, got ${block.length}`);
    const pieces: Float32Array[] = [];
    const nc = this.channels;
    for (let off = 0; off < frames; off += CHUNK_FRAMES) {
      const n = Math.min(CHUNK_FRAMES, frames - off);
      const buf = this.interleaved.subarray(0, n * nc);
      for (let c = 0; c < nc; c++) {
        const s = block[c];
        for (let i = 0, p = c; i < n; i++, p += nc) buf[p] = s[off + i];
      }
      pieces.push(this.src.full(buf));
    }
    this.inFrames += frames;
    return this.deinterleave(pieces, Infinity);
  }

  flush(): Float32Array[] {
    if (this.destroyed) throw new Error('resampler: flush() called twice');
    const want = outputLength(this.inFrames, this.fromRate, this.toRate);
    const nc = this.channels;
    const pieces: Float32Array[] = [];
    let have = this.outFrames;
    const zeros = new Float32Array(1024 * nc);
    // The filter's held-back half-length is well under 64 blocks of 1024 at any supported ratio.
    for (let guard = 0; have < want && guard < 4096; guard++) {
      const o = this.src.full(zeros);
      pieces.push(o);
      have += o.length / nc;
    }
    const out = this.deinterleave(pieces, want - this.outFrames);
    this.destroy();
    return out;
  }

  destroy(): void {
    if (!this.destroyed) {
      this.destroyed = true;
      release(this.src);
    }
  }

  /** Planar copy of the interleaved pieces, capped at `limit` frames. */
  private deinterleave(pieces: Float32Array[], limit: number): Float32Array[] {
    const nc = this.channels;
    let total = 0;
    for (const p of pieces) total += p.length / nc;
    total = Math.max(0, Math.min(total, limit));
    const out = Array.from({ length: nc }, () => new Float32Array(total));
    let o = 0;
    for (const p of pieces) {
      const n = Math.min(p.length / nc, total - o);
      for (let c = 0; c < nc; c++) {
        const d = out[c];
        for (let i = 0, q = c; i < n; i++, q += nc) d[o + i] = p[q];
      }
      o += n;
      if (o >= total) break;
    }
    this.outFrames += total;
    return out;
  }
}

/**
 * A streaming resampler for `channels` planar channels. Equal rates give a pass-through copy.
 * Async because the wasm module is instantiated per converter.
 */
export async function createResampler(
  fromRate: number, toRate: number, channels: number, quality: ResampleQuality = DEFAULT_QUALITY,
): Promise<Resampler> {
  checkRates(fromRate, toRate, channels);
  if (fromRate === toRate) return new IdentityResampler(fromRate, toRate, channels);
  const fir = quality === 'medium' ? createFirResampler(fromRate, toRate, channels) : null;
  if (fir) return fir;
  return createLibsamplerateResampler(fromRate, toRate, channels, quality);
}

/** libsamplerate at `quality` whatever the ratio (the benchmark compares it with the FIR 'medium'). */
export async function createLibsamplerateResampler(
  fromRate: number, toRate: number, channels: number, quality: ResampleQuality,
): Promise<Resampler> {
  checkRates(fromRate, toRate, channels);
  const src = await acquire(channels, fromRate, toRate, QUALITY[quality]);
  return new SincResampler(src, fromRate, toRate, channels);
}

/** One-shot resampling of planar channels; output length ceil(n·to/from). */
export async function resample(
  data: Float32Array[], fromRate: number, toRate: number, quality: ResampleQuality = DEFAULT_QUALITY,
): Promise<Float32Array[]> {
  if (data.length === 0) return [];
  const r = await createResampler(fromRate, toRate, data.length, quality);
  const head = r.process(data);
  const tail = r.flush();
  return head.map((h, c) => {
    const out = new Float32Array(h.length + tail[c].length);
    out.set(h);
    out.set(tail[c], h.length);
    return out;
  });
}
