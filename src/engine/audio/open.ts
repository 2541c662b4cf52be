/**
 * The `openAudio` API method: one streaming pass over the file that yields its AudioInfo (with the
 * channel-format hint and all warnings), and a min/max waveform overview per converted channel
 * (channel 0 = W for FOA). When the container states the length exactly (WAV, RF64, FLAC) each
 * bucket is exact: frames [⌊bN/B⌋, ⌊(b+1)N/B⌋). Otherwise (Ogg, MP3, or a file that ends early)
 * the overview comes from at most max(4·buckets, 4096) fine buckets that merge pairwise when full,
 * folded into `buckets` at the end (a bucket may then include up to half a bucket of its
 * neighbours' frames). Memory is bounded either way.
 */
import type { OpenAudioRequest, OpenAudioResult, WaveformOverview } from '../../shared/api';
import { FormatHintMeter, hintFromMeasurement, isFoaFormat, measurementOf } from './channels';
import { openAudioStream } from './stream';

/** Files shorter than this get a warning. */
const SHORT_SECONDS = 0.1;

/** Min/max envelope accumulator with bounded memory and unknown total length. */
/** Widens bucket k of every channel's min/max to cover samples [from, to) of the block. */
function foldMinMax(block: Float32Array[], from: number, to: number, min: Float32Array[], max: Float32Array[], k: number): void {
  for (let c = 0; c < block.length; c++) {
    const s = block[c];
    let lo = min[c][k];
    let hi = max[c][k];
    for (let j = from; j < to; j++) {
      const v = s[j];
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    min[c][k] = lo;
    max[c][k] = hi;
  }
}

export class OverviewBuilder {
  private size = 1; // frames per fine bucket
  private count = 0; // fine buckets started
  private filled = 0; // frames in the current fine bucket
  private frames = 0;
  private readonly min: Float32Array[];
  private readonly max: Float32Array[];
  private readonly capacity: number;

  constructor(private readonly channels: number, capacity: number) {
    this.capacity = capacity + (capacity & 1);
    this.min = Array.from({ length: channels }, () => new Float32Array(this.capacity));
    this.max = Array.from({ length: channels }, () => new Float32Array(this.capacity));
  }

  push(block: Float32Array[]): void {
    const n = block[0].length;
    let i = 0;
    while (i < n) {
      if (this.count === 0 || this.filled === this.size) {
        // the current fine bucket is full (or none exists): start a new one, merging pairs first
        // when all are used (capacity is even and every bucket is full, so merged ones are full too)
        if (this.count === this.capacity) this.halve();
        for (let c = 0; c < this.channels; c++) {
          this.min[c][this.count] = Infinity;
          this.max[c][this.count] = -Infinity;
        }
        this.count++;
        this.filled = 0;
      }
      const k = this.count - 1;
      const run = Math.min(n - i, this.size - this.filled);
      foldMinMax(block, i, i + run, this.min, this.max, k);
      i += run;
      this.filled += run;
      this.frames += run;
    }
  }

  /** Merges neighbouring fine buckets pairwise and doubles the fine-bucket size. */
  private halve(): void {
    const half = this.count >> 1;
    for (let c = 0; c < this.channels; c++) {
      const lo = this.min[c];
      const hi = this.max[c];
      for (let k = 0; k < half; k++) {
        lo[k] = Math.min(lo[2 * k], lo[2 * k + 1]);
        hi[k] = Math.max(hi[2 * k], hi[2 * k + 1]);
      }
    }
    this.count = half;
    this.size *= 2;
  }

  /** The envelope in `buckets` buckets: bucket b covers frames [b·N/B, (b+1)·N/B). */
  finish(buckets: number): WaveformOverview {
    const min = Array.from({ length: this.channels }, () => new Float32Array(buckets));
    const max = Array.from({ length: this.channels }, () => new Float32Array(buckets));
    const N = this.frames;
    for (let c = 0; c < this.channels; c++) {
      for (let b = 0; b < buckets; b++) {
        // fine buckets whose first frame falls into [start, end); at least the one containing start
        const start = Math.floor((b * N) / buckets);
        const end = Math.max(start + 1, Math.floor(((b + 1) * N) / buckets));
        let k0 = Math.floor(start / this.size);
        let k1 = Math.ceil(end / this.size);
        k0 = Math.min(k0, this.count - 1);
        k1 = Math.max(k0 + 1, Math.min(k1, this.count));
        let lo = Infinity;
        let hi = -Infinity;
        for (let k = k0; k < k1; k++) {
          if (this.min[c][k] < lo) lo = this.min[c][k];
          if (this.max[c][k] > hi) hi = this.max[c][k];
        }
        min[c][b] = Number.isFinite(lo) ? lo : 0;
        max[c][b] = Number.isFinite(hi) ? hi : 0;
      }
    }
    return { buckets, min, max };
  }
}

/** Exact min/max per bucket for a stream of known length `frames`. */
export class ExactOverview {
  private pos = 0;
  private b = 0;
  /** starts[b] = first frame of bucket b = ⌊bN/B⌋; starts[B] = N. */
  private readonly starts: Float64Array;
  private readonly min: Float32Array<ArrayBuffer>[];
  private readonly max: Float32Array<ArrayBuffer>[];

  constructor(private readonly channels: number, private readonly frames: number, private readonly buckets: number) {
    this.starts = Float64Array.from({ length: buckets + 1 }, (_, k) => Math.floor((k * frames) / buckets));
    this.min = Array.from({ length: channels }, () => new Float32Array(buckets).fill(Infinity));
    this.max = Array.from({ length: channels }, () => new Float32Array(buckets).fill(-Infinity));
  }

  push(block: Float32Array[]): void {
    const n = block[0].length;
    let i = 0;
    while (i < n && this.pos < this.frames) {
      // a frame belongs to the last bucket starting at or before it
      while (this.b + 1 < this.buckets && this.starts[this.b + 1] <= this.pos) this.b++;
      const k = this.b;
      const run = Math.min(n - i, this.starts[k + 1] - this.pos);
      foldMinMax(block, i, i + run, this.min, this.max, k);
      i += run;
      this.pos += run;
    }
    if (i < n) this.pos += n - i; // more frames than announced: finish() refuses
  }

  /** The overview, or null when the stream did not have exactly `frames` frames. */
  finish(): WaveformOverview | null {
    if (this.pos !== this.frames) return null;
    // A bucket that starts where the next one starts (fewer frames than buckets) is that one
    // frame, which the later bucket received: copy it down.
    for (let c = 0; c < this.channels; c++) {
      for (let k = this.buckets - 2; k >= 0; k--) {
        if (this.min[c][k] === Infinity) {
          this.min[c][k] = this.min[c][k + 1];
          this.max[c][k] = this.max[c][k + 1];
        }
      }
    }
    return { buckets: this.buckets, min: this.min, max: this.max };
  }
}

export async function openAudio(req: OpenAudioRequest): Promise<OpenAudioResult> {
  const buckets = req.overviewBuckets ?? 1024;
  const stream = await openAudioStream(req.path, { channelFormat: req.channelFormat });
  const info = stream.info;
  const measureHint = info.channels === 4 && isFoaFormat(info.channelFormat) && info.channelFormat !== 'a-format-tetra';
  if (measureHint) stream.hintMeter = new FormatHintMeter(info.sampleRate);
  const overview = new OverviewBuilder(stream.channels, Math.max(4 * buckets, 4096));
  const exact = stream.framesExact && info.frames > 0 ? new ExactOverview(stream.channels, info.frames, buckets) : null;
  for await (const block of stream) {
    overview.push(block);
    exact?.push(block);
  }

  if (measureHint && stream.hintMeter) {
    const m = measurementOf(stream.hintMeter);
    if (m === null) {
      info.warnings.push('channel-format hint unavailable: the W channel has no energy in 300–3000 Hz');
    } else {
      info.formatHint = hintFromMeasurement(m, info.channelFormat, info.channelFormatDeclared);
      if (info.formatHint.level !== 'ok') info.warnings.push(info.formatHint.message);
    }
  }
  if (info.durationSec < SHORT_SECONDS) {
    const ms = (info.durationSec * 1000).toPrecision(3);
    info.warnings.push(`very short: ${info.frames} frame${info.frames === 1 ? '' : 's'} (${ms} ms)${measureHint ? '; the channel-format hint is unreliable' : ''}`);
  }
  return { info, overview: exact?.finish() ?? overview.finish(buckets) };
}
