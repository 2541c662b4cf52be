/**
 * Opening audio files: path checks, container detection by magic bytes, the channel-format
 * decision, and the streaming pipeline  decode → NaN/Inf check → ACN/SN3D conversion → resample.
 *
 * `openAudioStream` reads WAV/RF64 by seeking (one block in memory), FLAC/Ogg Vorbis/MP3 by
 * feeding 256 KiB file chunks to the incremental wasm decoders; no format is loaded whole.
 * `probeAudio` reads only headers (and, for Ogg, the last page) unless `hint` is asked for.
 * `readAudio` collects the stream into whole arrays (for small files: metrics, evaluation).
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import type { AudioInfo, ChannelFormat } from '../../shared/audio';
import { CHANNEL_FORMAT_NAMES } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import { convertFoaInto, FormatHintMeter, hintFromMeasurement, isFoaFormat, measurementOf } from './channels';
import { createResampler, DEFAULT_QUALITY, outputLength, type ResampleQuality, type Resampler } from './resample';
import { ACCEPTED_RATES, SAMPLE_RATE_RANGE, SNIFF_BYTES, id3v2Length, sniffContainer } from './sniff';
import { openWavSource, readAt, type DecoderSource, type SourceHeader } from './source';

export const DEFAULT_BLOCK_FRAMES = 65536;

export { SAMPLE_RATE_RANGE };

export interface ReadOptions {
  /** Declared channel format; omitted = ACN/SN3D for 4 channels, mono for 1, other otherwise. */
  channelFormat?: ChannelFormat;
  /** Resample to this rate (Hz). */
  targetRate?: number;
  /** Resampler quality (default 'medium', see resample.ts for the measurements). */
  quality?: ResampleQuality;
}

export interface StreamOptions extends ReadOptions {
  /** Frames per decoded block before resampling (default 65536). */
  blockFrames?: number;
}

export interface DecodedAudio {
  info: AudioInfo;
  /** Rate of `data` (the target rate when one was given). */
  sampleRate: number;
  /** Planar channels; ACN/SN3D for FOA input. */
  data: Float32Array[];
}

export interface AudioStream extends AsyncIterable<Float32Array[]> {
  /** What the file is. `info.frames` is an estimate for MP3 without a Xing/Info header until the
   * stream has been read to the end, when it is corrected. `formatHint` is null here (measured by
   * `openAudio`, or `probeAudio(path, { hint: true })`). */
  readonly info: AudioInfo;
  /** Rate of the yielded blocks. */
  readonly sampleRate: number;
  /** Channels of the yielded blocks. */
  readonly channels: number;
  /** Frames yielded so far (at `sampleRate`). */
  readonly framesOut: number;
  /** File frames decoded so far. */
  readonly framesIn: number;
  /** Expected total of yielded frames (exact when `framesExact`). */
  readonly expectedFrames: number;
  /** The container states the length exactly (WAV, RF64, FLAC with a STREAMINFO length). */
  readonly framesExact: boolean;
  /**
   * Set before iterating to measure the channel-format hint on the raw file channels while the
   * stream is read (openAudio does this; it sees at most its first 30 s).
   */
  hintMeter: FormatHintMeter | null;
  /**
   * Blocks of planar samples. Block sizes are ≤ blockFrames before resampling and vary after it;
   * the iterator may be consumed once. Breaking out of the loop closes the file.
   */
  [Symbol.asyncIterator](): AsyncIterator<Float32Array[]>;
  /** Closes the file and frees decoders (idempotent; automatic when iteration ends). */
  close(): Promise<void>;
}

// ------------------------------------------------------------------------------------------------

async function openChecked(path: string): Promise<{ fh: FileHandle; size: number }> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    throw fsError(e, path);
  }
  if (st.isDirectory()) throw new S5Error('bad_input', `is a folder, not an audio file`, path);
  if (!st.isFile()) throw new S5Error('bad_input', `is not a regular file (device, socket or pipe)`, path);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw fsError(e, path);
  }
  return { fh, size: st.size };
}

/** Maps a file-system error to the S5Error vocabulary (exported for tests). */
export function fsError(e: unknown, path: string): S5Error {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new S5Error('not_found', `no such file`, path);
  if (code === 'ENOTDIR') return new S5Error('not_found', `a folder in this path is a file`, path);
  if (code === 'EACCES' || code === 'EPERM') return new S5Error('bad_input', `cannot be read (permission denied)`, path);
  if (code === 'EISDIR') return new S5Error('bad_input', `is a folder, not an audio file`, path);
  return new S5Error('bad_input', `cannot be opened (${code ?? (e instanceof Error ? e.message : String(e))})`, path);
}

async function openSource(fh: FileHandle, size: number, path: string): Promise<DecoderSource> {
  let head = await readAt(fh, 0, SNIFF_BYTES);
  let container = sniffContainer(head, path);
  const skip = id3v2Length(head);
  if (skip >= size) {
    throw new S5Error('bad_input', `its ID3v2 tag declares ${skip} bytes, beyond the end of the ${size}-byte file: there is no audio after it (truncated or corrupt tag); accepted: audio after the tag`, path);
  }
  if (skip > 0) {
    // An ID3v2 tag is used in front of MP3 and (rarely) FLAC; look at what follows it.
    head = await readAt(fh, skip, SNIFF_BYTES);
    if (head.length >= 4 && head.toString('latin1', 0, 4) === 'fLaC') container = 'flac';
    else container = sniffContainer(head, path);
  }
  switch (container) {
    case 'wav':
    case 'rf64':
      return openWavSource(fh, size, path);
    case 'flac':
      return (await import('./flac')).openFlacSource(fh, size, path, skip);
    case 'ogg':
      return (await import('./ogg')).openOggSource(fh, size, path);
    case 'mp3':
      return (await import('./mp3')).openMp3Source(fh, size, path, skip);
  }
}

interface FormatDecision {
  format: ChannelFormat;
  declared: boolean;
  warnings: string[];
}

function decideFormat(h: SourceHeader, requested: ChannelFormat | undefined, path: string): FormatDecision {
  const n = h.channels;
  const warnings: string[] = [];
  let format: ChannelFormat;
  if (requested !== undefined) {
    if (isFoaFormat(requested) && n !== 4) {
      throw new S5Error('bad_input', `declared format ${CHANNEL_FORMAT_NAMES[requested]} needs 4 channels, the file has ${n}`, path);
    }
    if (requested === 'mono' && n !== 1) {
      throw new S5Error('bad_input', `declared mono, the file has ${n} channels`, path);
    }
    format = requested;
  } else if (n === 4) {
    format = h.declaresFuma ? 'foa-fuma' : 'foa-acn-sn3d';
    if (h.declaresFuma) warnings.push('the file marks itself as AMBISONIC_B_FORMAT (.amb), which is FuMa: treated as FuMa');
  } else {
    format = n === 1 ? 'mono' : 'other';
  }
  if (n < 4) {
    warnings.push(`${n} channel${n === 1 ? '' : 's'}: spatial models expect 4 (FOA); direction and spatial separation are unavailable`);
  } else if (n > 4) {
    warnings.push(`${n} channels: spatial models expect 4 (FOA); for higher-order ambisonics in ACN order, the first 4 channels are the first-order part`);
  }
  return { format, declared: requested !== undefined, warnings };
}

function makeInfo(path: string, size: number, h: SourceHeader, d: FormatDecision): AudioInfo {
  return {
    path,
    container: h.container,
    encoding: h.encoding,
    sampleRate: h.sampleRate,
    channels: h.channels,
    frames: h.frames,
    durationSec: h.frames / h.sampleRate,
    bytes: size,
    channelFormat: d.format,
    channelFormatDeclared: d.declared,
    formatHint: null,
    warnings: [...h.warnings, ...d.warnings],
  };
}

/** Throws a specific error for the earliest NaN/±Inf sample of a block (lowest channel on ties). */
function checkFinite(block: Float32Array[], frames: number, frameOffset: number, info: AudioInfo): void {
  let first = frames;
  let ch = -1;
  for (let c = 0; c < block.length; c++) {
    const s = block[c];
    // v - v is NaN for NaN and ±Inf, 0 otherwise: one subtraction and compare per sample.
    for (let i = 0; i < first; i++) {
      if (s[i] - s[i] !== 0) {
        first = i;
        ch = c;
        break;
      }
    }
  }
  if (ch < 0) return;
  const v = block[ch][first];
  const what = Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  // A float64 file's huge finite values become ±Inf in float32: say so rather than claim infinity.
  const overflow = info.encoding === 'float64' && what !== 'NaN' ? ' (infinite, or a float64 value beyond the float32 range ±3.4e38)' : '';
  const f = frameOffset + first;
  throw new S5Error(
    'bad_input',
    `sample ${what} at frame ${f} (${(f / info.sampleRate).toFixed(3)} s), channel ${ch + 1}${overflow}: audio must be finite (accepted: finite samples; denormals are read as they are)`,
    info.path,
  );
}

class FileAudioStream implements AudioStream {
  framesOut = 0;
  framesIn = 0;
  readonly sampleRate: number;
  readonly channels: number;
  readonly expectedFrames: number;
  private closed = false;
  private started = false;
  /** Hint meter fed with raw 4-channel blocks while streaming (openAudio uses it). */
  hintMeter: FormatHintMeter | null = null;

  constructor(
    readonly info: AudioInfo,
    private readonly fh: FileHandle,
    private readonly source: DecoderSource,
    private readonly resampler: Resampler | null,
    private readonly blockFrames: number,
    readonly framesExact: boolean,
  ) {
    this.sampleRate = resampler?.toRate ?? info.sampleRate;
    this.channels = info.channels;
    this.expectedFrames = outputLength(info.frames, info.sampleRate, this.sampleRate);
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Float32Array[]> {
    if (this.started) throw new Error('AudioStream: can only be iterated once');
    this.started = true;
    const { info } = this;
    const foa = isFoaFormat(info.channelFormat) && info.channelFormat !== 'foa-acn-sn3d';
    try {
      for await (const raw of this.source.blocks(this.blockFrames, (m) => info.warnings.push(m))) {
        const n = raw[0].length;
        if (n === 0) continue;
        checkFinite(raw, n, this.framesIn, info);
        this.framesIn += n;
        if (this.hintMeter && !this.hintMeter.done) this.hintMeter.push(raw, n);
        if (foa) convertFoaInto(raw, info.channelFormat, raw, n);
        const out = this.resampler ? this.resampler.process(raw, n) : raw;
        if (out[0].length > 0) {
          this.framesOut += out[0].length;
          yield out;
        }
      }
      const declaredFrames = info.frames;
      if (!this.framesExact || this.framesIn !== info.frames) {
        if (this.framesExact && this.framesIn < info.frames) {
          info.warnings.push(`the file ended after ${this.framesIn} of the ${info.frames} frames its header declares (truncated?)`);
        }
        info.frames = this.framesIn;
        info.durationSec = this.framesIn / info.sampleRate;
      }
      if (this.framesIn === 0) {
        const declared = declaredFrames > 0 ? ` although the header declares ${declaredFrames} frames` : '';
        throw new S5Error('bad_input', `contains no decodable audio frames${declared} (truncated or corrupt ${info.container.toUpperCase()} data)`, info.path);
      }
      if (this.resampler) {
        const tail = this.resampler.flush();
        if (tail[0].length > 0) {
          this.framesOut += tail[0].length;
          yield tail;
        }
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.resampler?.destroy();
    this.source.close();
    await this.fh.close();
  }
}

/**
 * Opens a file for block-wise reading. Errors (missing file, folder, non-audio, unsupported
 * codec, broken header, wrong channel count for a declared format) are thrown here; NaN/Inf
 * samples and decode errors are thrown by the iterator at the block where they occur.
 */
export async function openAudioStream(path: string, opts: StreamOptions = {}): Promise<AudioStream> {
  const blockFrames = opts.blockFrames ?? DEFAULT_BLOCK_FRAMES;
  if (!Number.isInteger(blockFrames) || blockFrames < 1 || blockFrames > 1 << 22) {
    throw new RangeError(`openAudioStream: blockFrames must be 1…${1 << 22}, got ${blockFrames}`);
  }
  const { fh, size } = await openChecked(path);
  let source: DecoderSource | null = null;
  try {
    source = await openSource(fh, size, path);
    const h = source.header;
    if (h.sampleRate < SAMPLE_RATE_RANGE[0] || h.sampleRate > SAMPLE_RATE_RANGE[1]) {
      throw new S5Error('unsupported', `the header declares a sample rate of ${h.sampleRate} Hz; ${ACCEPTED_RATES} (a rate outside that range means a corrupt header)`, path);
    }
    const decision = decideFormat(h, opts.channelFormat, path);
    const info = makeInfo(path, size, h, decision);
    let resampler: Resampler | null = null;
    if (opts.targetRate !== undefined && opts.targetRate !== h.sampleRate) {
      const to = opts.targetRate;
      if (!Number.isInteger(to) || to <= 0) {
        throw new S5Error('invalid_request', `target rate must be a positive integer (Hz), got ${to}`, path);
      }
      if (to / h.sampleRate > 256 || h.sampleRate / to > 256) {
        throw new S5Error('unsupported', `${h.sampleRate} Hz cannot be converted to ${to} Hz (ratio beyond 1:256)`, path);
      }
      resampler = await createResampler(h.sampleRate, to, h.channels, opts.quality ?? DEFAULT_QUALITY);
    }
    return new FileAudioStream(info, fh, source, resampler, blockFrames, h.framesExact);
  } catch (e) {
    source?.close();
    await fh.close();
    throw e;
  }
}

/**
 * The file's AudioInfo from its headers. With `hint: true` (4-channel FOA only) the first 30 s
 * are decoded to measure the channel-format hint.
 */
export async function probeAudio(path: string, opts: { channelFormat?: ChannelFormat; hint?: boolean } = {}): Promise<AudioInfo> {
  const stream = await openAudioStream(path, { channelFormat: opts.channelFormat, blockFrames: 16384 });
  const info = stream.info;
  try {
    if (opts.hint && info.channels === 4 && isFoaFormat(info.channelFormat) && info.channelFormat !== 'a-format-tetra') {
      const meter = new FormatHintMeter(info.sampleRate);
      stream.hintMeter = meter;
      for await (const _ of stream) if (meter.done) break;
      const m = measurementOf(meter);
      info.formatHint = m === null ? null : hintFromMeasurement(m, info.channelFormat, info.channelFormatDeclared);
      if (info.formatHint && info.formatHint.level !== 'ok') info.warnings.push(info.formatHint.message);
    }
  } finally {
    await stream.close();
  }
  return info;
}

/** Decodes a whole file into memory (converted to ACN/SN3D, resampled when asked). */
export async function readAudio(path: string, opts: ReadOptions = {}): Promise<DecodedAudio> {
  const stream = await openAudioStream(path, opts);
  const nc = stream.channels;
  // Known length: decode straight into the result (one copy of the audio in memory).
  let data = stream.framesExact ? Array.from({ length: nc }, () => new Float32Array(stream.expectedFrames)) : null;
  const blocks: Float32Array[][] = [];
  let o = 0;
  for await (const b of stream) {
    const n = b[0].length;
    if (data && o + n <= data[0].length) {
      for (let c = 0; c < nc; c++) data[c].set(b[c], o);
    } else {
      if (data) {
        // longer than announced: keep what was placed so far as the first block
        blocks.push(data.map((d) => d.subarray(0, o)));
        data = null;
      }
      blocks.push(b);
    }
    o += n;
  }
  if (data) {
    return { info: stream.info, sampleRate: stream.sampleRate, data: o === data[0].length ? data : data.map((d) => d.slice(0, o)) };
  }
  const out = Array.from({ length: nc }, () => new Float32Array(o));
  let p = 0;
  for (const b of blocks) {
    for (let c = 0; c < nc; c++) out[c].set(b[c], p);
    p += b[0].length;
  }
  return { info: stream.info, sampleRate: stream.sampleRate, data: out };
}
