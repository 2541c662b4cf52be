/**
 * Writing audio: WAV (16/24-bit PCM, 32-bit float; RF64 beyond 4 GiB) and FLAC (16/24-bit, via
 * libFLAC compiled to wasm, package libflacjs). Both are streamed block by block to a temporary
 * file in the destination folder (`.<name>.<random>.part`), synced, and renamed over the final name
 * only when complete; on any error the temporary file is removed, so a reader never sees a partial
 * file under the final name and an existing file is only replaced by a complete one.
 *
 * Clipping policy: PCM and FLAC store round(x·2^(bits−1)) clamped to [−2^(bits−1), 2^(bits−1)−1]
 * (the exact inverse of the reader, so 16/24-bit material round-trips bit-exactly; +1.0 becomes
 * the largest code). Samples outside [−1, 1] are clamped, NaN becomes 0, and their number is
 * returned as `clippedSamples` so callers can warn. float32 WAV stores values unchanged (> 1
 * included); NaN/±Inf are refused with an error instead, since float files would keep them.
 */
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import libFactory from 'libflacjs';
import type { WriteEncoding } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import { tempPathFor } from '../atomic-write';
import { buildWavHeader, encodeWavSamples, quantize, WAV_HEADER_BYTES, type WavSampleFormat } from './wav';

export interface WriteReport {
  frames: number;
  /** Samples outside [−1, 1] that were clamped (always 0 for float32). */
  clippedSamples: number;
}

export interface AudioWriter {
  readonly path: string;
  readonly framesWritten: number;
  /** Appends a block (planar, `channels` arrays of equal length). */
  write(block: Float32Array[]): Promise<void>;
  /** Finishes the file and renames it to its final name. */
  close(): Promise<WriteReport>;
  /** Discards everything written (removes the temporary file). */
  abort(): Promise<void>;
}

type Flac = ReturnType<typeof libFactory>;
let flacLib: Promise<Flac> | null = null;

/**
 * Loads libFLAC (wasm build) once. Its emscripten loader (2021) takes "fetch exists" to mean "a
 * browser", and Node ≥ 18 has a global fetch that cannot read file paths; hiding fetch while the
 * module initialises (synchronously, inside require) makes it read the .wasm with fs instead.
 */
function loadFlac(): Promise<Flac> {
  if (!flacLib) {
    flacLib = new Promise<Flac>((resolve, reject) => {
      const g = globalThis as { fetch?: unknown };
      const saved = g.fetch;
      let Flac: Flac;
      try {
        g.fetch = undefined;
        Flac = libFactory('release.wasm');
      } catch (e) {
        flacLib = null;
        reject(e);
        return;
      } finally {
        g.fetch = saved;
      }
      if (Flac.isReady()) resolve(Flac);
      else Flac.on('ready', () => resolve(Flac));
    });
  }
  return flacLib;
}

function checkArgs(path: string, channels: number, sampleRate: number, encoding: WriteEncoding): void {
  if (!Number.isInteger(channels) || channels < 1 || channels > (encoding.startsWith('flac') ? 8 : 65535)) {
    throw new S5Error('invalid_request', `cannot write ${channels} channels as ${encoding}${encoding.startsWith('flac') ? ' (FLAC holds 1–8)' : ''}`, path);
  }
  const maxRate = encoding.startsWith('flac') ? 655350 : 0xffffffff;
  if (!Number.isInteger(sampleRate) || sampleRate < 1 || sampleRate > maxRate) {
    throw new S5Error('invalid_request', `sample rate must be a positive integer (≤ ${maxRate}), got ${sampleRate}`, path);
  }
}

function checkBlock(block: Float32Array[], channels: number, path: string, frameOffset: number, float: boolean): number {
  if (block.length !== channels) {
    throw new S5Error('invalid_request', `block has ${block.length} channels, the file ${channels}`, path);
  }
  const n = block[0].length;
  for (let c = 1; c < channels; c++) {
    if (block[c].length !== n) throw new S5Error('invalid_request', `channels of a block differ in length`, path);
  }
  if (float) {
    for (let c = 0; c < channels; c++) {
      const s = block[c];
      for (let i = 0; i < n; i++) {
        if (s[i] - s[i] !== 0) {
          throw new S5Error('invalid_request', `refusing to write non-finite sample ${s[i]} at frame ${frameOffset + i}, channel ${c + 1}`, path);
        }
      }
    }
  }
  return n;
}

abstract class TempFileWriter implements AudioWriter {
  framesWritten = 0;
  protected clipped = 0;
  protected pos = 0;
  private done = false;

  constructor(
    readonly path: string,
    protected readonly tmp: string,
    protected readonly fh: FileHandle,
    protected readonly channels: number,
    protected readonly sampleRate: number,
  ) {}

  protected async append(bytes: Uint8Array): Promise<void> {
    let off = 0;
    while (off < bytes.length) {
      const { bytesWritten } = await this.fh.write(bytes, off, bytes.length - off, this.pos);
      off += bytesWritten;
      this.pos += bytesWritten;
    }
  }

  protected abstract encode(block: Float32Array[], frames: number): Promise<void>;
  protected abstract finish(): Promise<void>;

  /** Any error (bad block, encoder, disk) aborts the writer: the temporary file is removed. */
  async write(block: Float32Array[]): Promise<void> {
    if (this.done) throw new Error(`${this.path}: write() after close()/abort()`);
    try {
      const float = this instanceof WavWriter && this.fmt === 'float32';
      const n = checkBlock(block, this.channels, this.path, this.framesWritten, float);
      if (n === 0) return;
      await this.encode(block, n);
      this.framesWritten += n;
    } catch (e) {
      await this.abort();
      throw e;
    }
  }

  async close(): Promise<WriteReport> {
    if (this.done) throw new Error(`${this.path}: close() called twice`);
    try {
      await this.finish();
      await this.fh.datasync();
      await this.fh.close();
      await rename(this.tmp, this.path);
    } catch (e) {
      await this.abort();
      throw e;
    }
    this.done = true;
    return { frames: this.framesWritten, clippedSamples: this.clipped };
  }

  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.fh.close().catch(() => undefined);
    await unlink(this.tmp).catch(() => undefined);
  }
}

class WavWriter extends TempFileWriter {
  constructor(path: string, tmp: string, fh: FileHandle, channels: number, sampleRate: number, readonly fmt: WavSampleFormat) {
    super(path, tmp, fh, channels, sampleRate);
    this.pos = WAV_HEADER_BYTES;
  }

  async start(): Promise<void> {
    await this.fh.write(buildWavHeader(this.fmt, this.channels, this.sampleRate, 0), 0, WAV_HEADER_BYTES, 0);
  }

  protected async encode(block: Float32Array[], frames: number): Promise<void> {
    const { bytes, clipped } = encodeWavSamples(block, 0, frames, this.fmt);
    this.clipped += clipped;
    await this.append(bytes);
  }

  protected async finish(): Promise<void> {
    if ((this.pos & 1) === 1) await this.append(new Uint8Array(1)); // RIFF pad byte
    const h = buildWavHeader(this.fmt, this.channels, this.sampleRate, this.framesWritten);
    await this.fh.write(h, 0, h.length, 0);
  }
}

class FlacWriter extends TempFileWriter {
  private enc = 0;
  private pending: Uint8Array[] = [];
  private streamInfo: Buffer | null = null;
  private readonly buffers: Int32Array<ArrayBuffer>[];

  constructor(
    path: string, tmp: string, fh: FileHandle, channels: number, sampleRate: number,
    private readonly Flac: Flac, private readonly bits: 16 | 24, totalFrames: number,
  ) {
    super(path, tmp, fh, channels, sampleRate);
    this.buffers = Array.from({ length: channels }, () => new Int32Array(0) as Int32Array<ArrayBuffer>);
    this.enc = Flac.create_libflac_encoder(sampleRate, channels, bits, 5, totalFrames, false);
    if (this.enc === 0) throw new S5Error('internal', `libFLAC could not create an encoder`, path);
    const status = Flac.init_encoder_stream(
      this.enc,
      (data) => {
        this.pending.push(data.slice());
      },
      (meta) => {
        if (meta) this.streamInfo = streamInfoBytes(meta);
      },
    );
    if (status !== 0) {
      Flac.FLAC__stream_encoder_delete(this.enc);
      throw new S5Error('internal', `libFLAC encoder init failed (status ${status})`, path);
    }
  }

  private async drain(): Promise<void> {
    const chunks = this.pending;
    this.pending = [];
    if (chunks.length === 0) return;
    await this.append(Buffer.concat(chunks));
  }

  protected async encode(block: Float32Array[], frames: number): Promise<void> {
    const step = 65536;
    for (let o = 0; o < frames; o += step) {
      const n = Math.min(step, frames - o);
      const bufs = this.buffers.map((b, c) => {
        const d = b.length >= n ? b : (this.buffers[c] = new Int32Array(step) as Int32Array<ArrayBuffer>);
        this.clipped += quantize(block[c], o, n, this.bits, d);
        return d;
      });
      if (!this.Flac.FLAC__stream_encoder_process(this.enc, bufs, n)) {
        throw new S5Error('internal', `libFLAC failed to encode (state ${this.Flac.FLAC__stream_encoder_get_state(this.enc)})`, this.path);
      }
      await this.drain();
    }
  }

  protected async finish(): Promise<void> {
    const ok = this.Flac.FLAC__stream_encoder_finish(this.enc);
    this.Flac.FLAC__stream_encoder_delete(this.enc);
    this.enc = 0;
    if (!ok) throw new S5Error('internal', `libFLAC failed to finish the stream`, this.path);
    await this.drain();
    // The encoder cannot seek back in stream mode: patch the final STREAMINFO (length, MD5,
    // frame sizes) over the one at the start of the file ("fLaC" + 4-byte block header).
    if (this.streamInfo) await this.fh.write(this.streamInfo, 0, 34, 8);
  }

  override async abort(): Promise<void> {
    if (this.enc !== 0) {
      this.Flac.FLAC__stream_encoder_delete(this.enc);
      this.enc = 0;
    }
    await super.abort();
  }
}

/** Serialises libFLAC's final STREAMINFO to its 34-byte on-disk form. */
function streamInfoBytes(m: { min_blocksize: number; max_blocksize: number; min_framesize: number; max_framesize: number; sampleRate: number; channels: number; bitsPerSample: number; total_samples: number; md5sum: string }): Buffer {
  const b = Buffer.alloc(34);
  b.writeUInt16BE(m.min_blocksize, 0);
  b.writeUInt16BE(m.max_blocksize, 2);
  b.writeUIntBE(m.min_framesize, 4, 3);
  b.writeUIntBE(m.max_framesize, 7, 3);
  const total = m.total_samples;
  const hi = Math.floor(total / 2 ** 32) & 0x0f;
  b[10] = (m.sampleRate >> 12) & 0xff;
  b[11] = (m.sampleRate >> 4) & 0xff;
  b[12] = ((m.sampleRate & 0x0f) << 4) | (((m.channels - 1) & 7) << 1) | (((m.bitsPerSample - 1) >> 4) & 1);
  b[13] = (((m.bitsPerSample - 1) & 0x0f) << 4) | hi;
  b.writeUInt32BE(total % 2 ** 32, 14);
  const md5 = Buffer.from(m.md5sum.padStart(32, '0'), 'hex');
  if (md5.length === 16) md5.copy(b, 18);
  return b;
}

/**
 * A streaming writer. `totalFrames` (optional) is written into the FLAC header up front; the
 * final header is patched in either way.
 */
export async function createAudioWriter(
  path: string, channels: number, sampleRate: number, encoding: WriteEncoding, totalFrames = 0,
): Promise<AudioWriter> {
  checkArgs(path, channels, sampleRate, encoding);
  const tmp = tempPathFor(path);
  let fh: FileHandle;
  try {
    fh = await open(tmp, 'wx');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'the folder does not exist' : code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'ENOSPC' ? 'the disk is full' : String(code ?? e);
    throw new S5Error(code === 'ENOENT' ? 'not_found' : 'bad_input', `cannot write here (${why})`, path);
  }
  try {
    if (encoding === 'flac16' || encoding === 'flac24') {
      const Flac = await loadFlac();
      return new FlacWriter(path, tmp, fh, channels, sampleRate, Flac, encoding === 'flac16' ? 16 : 24, totalFrames);
    }
    const w = new WavWriter(path, tmp, fh, channels, sampleRate, encoding);
    await w.start();
    return w;
  } catch (e) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
}

/**
 * Writes planar `data` to `path` (temporary name + rename). Resolves with the frame count and the
 * number of clamped samples.
 */
export async function writeAudio(
  path: string, data: Float32Array[], sampleRate: number, encoding: WriteEncoding,
): Promise<WriteReport> {
  if (data.length === 0) throw new S5Error('invalid_request', `nothing to write (0 channels)`, path);
  const frames = data[0].length;
  const w = await createAudioWriter(path, data.length, sampleRate, encoding, frames);
  const step = 1 << 16;
  for (let o = 0; o < frames; o += step) {
    await w.write(data.map((c) => c.subarray(o, Math.min(frames, o + step))));
  }
  return w.close();
}
