/**
 * FLAC reading: STREAMINFO parsing for the header (rate, channels, bit depth, total samples), and
 * streaming decode with @wasm-audio-decoders/flac (libFLAC in wasm) fed 256 KiB file chunks, so
 * memory stays at one chunk's worth of samples whatever the file's length.
 */
import type { FileHandle } from 'node:fs/promises';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { S5Error } from '../../shared/errors';
import { ACCEPTED_CHANNELS, ACCEPTED_RATES } from './sniff';
import { readAt, readChunks, type DecoderSource, type SourceHeader } from './source';
import { WasmDecoderSource, type Decoded } from './wasm-source';

export interface FlacStreamInfo {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  /** 0 = unknown (allowed by the format for streamed encodes). */
  totalSamples: number;
}

/** Parses the STREAMINFO block that must follow the "fLaC" marker at `start`. */
export async function readFlacStreamInfo(fh: FileHandle, start: number, file: string): Promise<FlacStreamInfo> {
  const b = await readAt(fh, start, 4 + 4 + 34);
  if (b.length < 42) throw new S5Error('bad_input', `FLAC file is truncated inside its STREAMINFO header`, file);
  const type = b[4] & 0x7f;
  const len = (b[5] << 16) | (b[6] << 8) | b[7];
  if (type !== 0 || len < 34) {
    throw new S5Error('bad_input', `FLAC file does not start with a STREAMINFO block (corrupt header)`, file);
  }
  const s = b.subarray(8);
  const sampleRate = (s[10] << 12) | (s[11] << 4) | (s[12] >> 4);
  const channels = ((s[12] >> 1) & 7) + 1;
  const bitsPerSample = (((s[12] & 1) << 4) | (s[13] >> 4)) + 1;
  const totalSamples = (s[13] & 0x0f) * 2 ** 32 + s.readUInt32BE(14);
  if (sampleRate === 0) throw new S5Error('bad_input', `FLAC STREAMINFO declares a sample rate of 0 Hz; ${ACCEPTED_RATES}`, file);
  return { sampleRate, channels, bitsPerSample, totalSamples };
}

/**
 * The wasm FLAC decoder scales integers by 1/(2^(bits−1) − 1); the WAV convention (and libsndfile,
 * numpy/soundfile, sox) is 1/2^(bits−1), with full-scale negative exactly −1. Recover the integer
 * (the float32 error is ≤ 0.25 LSB up to 24 bits, so rounding is exact) and rescale, in place.
 */
export function rescaleFlacSamples(channelData: Float32Array[], frames: number, bits: number): void {
  if (bits < 2 || bits > 24) return;
  const full = 2 ** (bits - 1);
  const dec = full - 1;
  const inv = 1 / full;
  // Round to the nearest integer by adding and removing 1.5·2^52 (the double's unit then is 1):
  // branch-free and several times faster than Math.round per sample; no ties occur (≤ 0.25 LSB off).
  const MAGIC = 6755399441055744;
  for (let c = 0; c < channelData.length; c++) {
    const ch = channelData[c];
    for (let i = 0; i < frames; i++) ch[i] = (ch[i] * dec + MAGIC - MAGIC) * inv;
  }
}

class FlacSource extends WasmDecoderSource<FLACDecoder> {
  constructor(
    header: SourceHeader,
    private readonly fh: FileHandle,
    private readonly start: number,
    private readonly end: number,
    file: string,
    private readonly bits: number,
  ) {
    super(header, file, 'FLAC data', 'FLAC frame(s)');
  }

  protected createDecoder(): FLACDecoder {
    return new FLACDecoder();
  }

  protected async *decode(decoder: FLACDecoder): AsyncGenerator<Decoded> {
    for await (const chunk of readChunks(this.fh, this.start, this.end)) yield await decoder.decode(chunk);
    yield await decoder.flush();
  }

  protected channels(d: Decoded): Float32Array[] {
    const nc = this.header.channels;
    if (d.channelData.length !== nc) throw new Error(`decoder produced ${d.channelData.length} channels, STREAMINFO says ${nc}`);
    rescaleFlacSamples(d.channelData, d.samplesDecoded, this.bits);
    return d.channelData;
  }
}

export async function openFlacSource(fh: FileHandle, size: number, file: string, start: number): Promise<DecoderSource> {
  const si = await readFlacStreamInfo(fh, start, file);
  const warnings: string[] = [];
  if (si.totalSamples === 0) warnings.push('FLAC STREAMINFO does not state the length; it is counted while decoding');
  const header: SourceHeader = {
    container: 'flac',
    encoding: 'flac',
    sampleRate: si.sampleRate,
    channels: si.channels,
    frames: si.totalSamples,
    framesExact: si.totalSamples > 0,
    warnings,
  };
  return new FlacSource(header, fh, start, size, file, si.bitsPerSample);
}
