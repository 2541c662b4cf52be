/**
 * The decoder-source interface every container reader implements, plus the WAV/RF64 source.
 * A source reads the file through an open FileHandle and yields planar float32 blocks of the raw
 * file channels (no channel-format conversion, no resampling: that is stream.ts's job).
 */
import type { FileHandle } from 'node:fs/promises';
import type { Container, SampleEncoding } from '../../shared/audio';
import { decodeWavSamples, parseWavHeader, type WavLayout } from './wav';

export interface SourceHeader {
  container: Container;
  encoding: SampleEncoding;
  sampleRate: number;
  channels: number;
  /** Frames in the file: exact when `framesExact`, else an estimate from the container metadata. */
  frames: number;
  framesExact: boolean;
  warnings: string[];
  /** The container itself says the channels are FuMa B-format (`.amb` WAVE_FORMAT_EXTENSIBLE). */
  declaresFuma?: boolean;
}

export interface DecoderSource {
  readonly header: SourceHeader;
  /**
   * Yields successive blocks of planar samples, each at most `blockFrames` frames (decoders of
   * compressed formats may yield shorter blocks). The arrays are fresh (callers may keep them).
   * Recoverable problems found while decoding (skipped corrupt frames) go to `warn`.
   */
  blocks(blockFrames: number, warn: (message: string) => void): AsyncGenerator<Float32Array[]>;
  /** Frees decoder memory. The FileHandle belongs to the caller. */
  close(): void;
}

/** Reads `len` bytes at `pos` (fewer at the end of the file). */
export async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return bytesRead === len ? buf : buf.subarray(0, bytesRead);
}

/** Reads the file sequentially from `start` in chunks of `chunk` bytes. */
export async function* readChunks(fh: FileHandle, start: number, end: number, chunk = 1 << 18): AsyncGenerator<Uint8Array> {
  for (let pos = start; pos < end; ) {
    const b = await readAt(fh, pos, Math.min(chunk, end - pos));
    if (b.length === 0) return;
    pos += b.length;
    yield b;
  }
}

class WavSource implements DecoderSource {
  readonly header: SourceHeader;
  constructor(private readonly fh: FileHandle, private readonly layout: WavLayout) {
    this.header = {
      container: layout.container,
      encoding: layout.encoding,
      sampleRate: layout.sampleRate,
      channels: layout.channels,
      frames: layout.frames,
      framesExact: true,
      warnings: layout.warnings,
      declaresFuma: layout.ambisonicBFormat,
    };
  }

  async *blocks(blockFrames: number, _warn: (message: string) => void): AsyncGenerator<Float32Array[]> {
    const { layout, fh } = this;
    // One reusable, 8-byte-aligned read buffer (typed-array views need alignment).
    const buf = Buffer.from(new ArrayBuffer(blockFrames * layout.blockAlign));
    for (let f = 0; f < layout.frames; ) {
      const want = Math.min(blockFrames, layout.frames - f);
      const { bytesRead } = await fh.read(buf, 0, want * layout.blockAlign, layout.dataOffset + f * layout.blockAlign);
      const got = Math.floor(bytesRead / layout.blockAlign);
      if (got === 0) return; // the file shrank while we read it
      const out = Array.from({ length: layout.channels }, () => new Float32Array(got));
      decodeWavSamples(buf, layout, got, out, 0);
      f += got;
      yield out;
    }
  }

  close(): void {}
}

export async function openWavSource(fh: FileHandle, fileSize: number, file: string): Promise<DecoderSource> {
  return new WavSource(fh, await parseWavHeader(fh, fileSize, file));
}

/**
 * Splits decoder output into blocks of at most `blockFrames` frames: views of `channelData`, which
 * must be the caller's own fresh arrays (the wasm decoders copy their output out of the wasm heap
 * already; a second copy per sample was a measurable share of FLAC/Ogg decoding).
 */
export function* splitBlocks(channelData: Float32Array[], frames: number, blockFrames: number): Generator<Float32Array[]> {
  for (let o = 0; o < frames; o += blockFrames) {
    const n = Math.min(blockFrames, frames - o);
    yield channelData.map((c) => c.subarray(o, o + n));
  }
}
