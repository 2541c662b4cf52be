/**
 * Random-access reads of the scene cache's float32 WAV files (stems and mixture): the header is
 * parsed once with the engine's WAV parser, then any frame range is read with one positioned read,
 * so a UI request for a few seconds of a long stem costs a few seconds of I/O.
 */
import { open, stat, type FileHandle } from 'node:fs/promises';
import { parseWavHeader, decodeWavSamples, type WavLayout } from '../audio/wav';

export class PcmFile {
  private constructor(readonly path: string, private readonly fh: FileHandle, readonly layout: WavLayout) {}

  static async open(path: string): Promise<PcmFile> {
    const size = (await stat(path)).size;
    const fh = await open(path, 'r');
    try {
      return new PcmFile(path, fh, await parseWavHeader(fh, size, path));
    } catch (e) {
      await fh.close();
      throw e;
    }
  }

  get frames(): number {
    return this.layout.frames;
  }
  get channels(): number {
    return this.layout.channels;
  }
  get sampleRate(): number {
    return this.layout.sampleRate;
  }

  /** Frames [start, start + frames) clamped to the file, planar. */
  async read(start: number, frames: number): Promise<Float32Array<ArrayBuffer>[]> {
    const from = Math.min(Math.max(0, start), this.frames);
    const n = Math.max(0, Math.min(frames, this.frames - from));
    const out = Array.from({ length: this.channels }, () => new Float32Array(n));
    if (n === 0) return out;
    const bytes = Buffer.alloc(n * this.layout.blockAlign);
    let got = 0;
    while (got < bytes.length) {
      const { bytesRead } = await this.fh.read(bytes, got, bytes.length - got, this.layout.dataOffset + from * this.layout.blockAlign + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    decodeWavSamples(bytes, this.layout, Math.floor(got / this.layout.blockAlign), out, 0);
    return out;
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }
}
