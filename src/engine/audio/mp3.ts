/**
 * MPEG audio (MP3, and layers I/II) reading with mpg123-decoder (libmpg123 in wasm), gapless
 * (LAME/Xing encoder delay and padding trimmed). Header parsing here only finds the first frame
 * (rate, channels) and, from a Xing/Info header or the bitrate, estimates the length; the exact
 * frame count is known once the stream has been decoded. MPEG audio carries at most 2 channels.
 */
import type { FileHandle } from 'node:fs/promises';
import { MPEGDecoder } from 'mpg123-decoder';
import { S5Error } from '../../shared/errors';
import { isMpegFrameHeader } from './sniff';
import { readAt, readChunks, type DecoderSource, type SourceHeader } from './source';
import { WasmDecoderSource, type Decoded } from './wasm-source';

const BITRATES: Record<string, number[]> = {
  // kbit/s by index 1..14, per (version 1 | 2 incl. 2.5) and layer
  '1-1': [32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  '1-2': [32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  '1-3': [32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  '2-1': [32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  '2-2': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
  '2-3': [8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
};

export interface MpegFrameHeader {
  /** 1 = MPEG-1, 2 = MPEG-2, 2.5 = MPEG-2.5 */
  version: 1 | 2 | 2.5;
  layer: 1 | 2 | 3;
  sampleRate: number;
  channels: 1 | 2;
  bitrateKbps: number;
  frameBytes: number;
  samplesPerFrame: number;
}

export function parseMpegFrameHeader(b: Uint8Array, off: number): MpegFrameHeader | null {
  if (!isMpegFrameHeader(b, off)) return null;
  const vbits = (b[off + 1] >> 3) & 3;
  const version = vbits === 3 ? 1 : vbits === 2 ? 2 : 2.5;
  const layer = (4 - ((b[off + 1] >> 1) & 3)) as 1 | 2 | 3;
  const bi = (b[off + 2] >> 4) & 15;
  if (bi === 0) return null; // "free format" streams are not supported by the estimate
  const base = [44100, 48000, 32000][(b[off + 2] >> 2) & 3];
  const sampleRate = version === 1 ? base : version === 2 ? base / 2 : base / 4;
  const pad = (b[off + 2] >> 1) & 1;
  const channels = ((b[off + 3] >> 6) & 3) === 3 ? 1 : 2;
  const bitrateKbps = BITRATES[`${version === 1 ? 1 : 2}-${layer}`][bi - 1];
  const br = bitrateKbps * 1000;
  let frameBytes: number;
  let samplesPerFrame: number;
  if (layer === 1) {
    frameBytes = (Math.floor((12 * br) / sampleRate) + pad) * 4;
    samplesPerFrame = 384;
  } else if (layer === 2 || version === 1) {
    frameBytes = Math.floor((144 * br) / sampleRate) + pad;
    samplesPerFrame = 1152;
  } else {
    frameBytes = Math.floor((72 * br) / sampleRate) + pad;
    samplesPerFrame = 576;
  }
  return { version, layer, sampleRate, channels, bitrateKbps, frameBytes, samplesPerFrame };
}

class Mp3Source extends WasmDecoderSource<MPEGDecoder> {
  constructor(
    header: SourceHeader,
    private readonly fh: FileHandle,
    private readonly start: number,
    private readonly size: number,
    file: string,
  ) {
    super(header, file, 'MPEG audio', 'MPEG frame(s)');
  }

  protected createDecoder(): MPEGDecoder {
    return new MPEGDecoder({ enableGapless: true });
  }

  protected async *decode(decoder: MPEGDecoder): AsyncGenerator<Decoded> {
    for await (const chunk of readChunks(this.fh, this.start, this.size)) yield decoder.decode(chunk);
  }

  protected channels(d: Decoded): Float32Array[] {
    // mpg123 reports mono streams as mono; keep the header's channel count authoritative.
    return d.channelData.slice(0, this.header.channels);
  }
}

export async function openMp3Source(fh: FileHandle, size: number, file: string, start: number): Promise<DecoderSource> {
  // Find the first frame whose successor is also a frame header (skips junk after an ID3 tag).
  const buf = await readAt(fh, start, Math.min(size - start, 1 << 16));
  let first: MpegFrameHeader | null = null;
  let at = -1;
  for (let i = 0; i + 4 <= buf.length && first === null; i++) {
    const h = parseMpegFrameHeader(buf, i);
    if (h === null) continue;
    const next = i + h.frameBytes;
    if (next + 4 <= buf.length ? isMpegFrameHeader(buf, next) : next >= size - start - 4) {
      first = h;
      at = i;
    }
  }
  if (first === null) {
    throw new S5Error('bad_input', `no MPEG audio frame found${start > 0 ? ' after the ID3 tag' : ''} (not an MP3 file, or corrupt)`, file);
  }
  const warnings: string[] = [];
  // Xing/Info header inside the first frame: frame count (the frame itself carries no audio).
  const side = first.version === 1 ? (first.channels === 2 ? 32 : 17) : first.channels === 2 ? 17 : 9;
  const x = at + 4 + side;
  let frames = 0;
  const tag = buf.toString('latin1', x, x + 4);
  if ((tag === 'Xing' || tag === 'Info') && x + 12 <= buf.length && (buf.readUInt32BE(x + 4) & 1) !== 0) {
    frames = buf.readUInt32BE(x + 8) * first.samplesPerFrame;
    const lame = x + 120;
    if (lame + 24 <= buf.length && buf.toString('latin1', lame, lame + 4) === 'LAME') {
      const d = lame + 21;
      const delay = (buf[d] << 4) | (buf[d + 1] >> 4);
      const padding = ((buf[d + 1] & 0x0f) << 8) | buf[d + 2];
      frames = Math.max(0, frames - delay - padding);
    }
  } else {
    const audioBytes = size - start - at;
    frames = Math.round((audioBytes / first.frameBytes) * first.samplesPerFrame);
  }
  const header: SourceHeader = {
    container: 'mp3',
    encoding: 'mp3',
    sampleRate: first.sampleRate,
    channels: first.channels,
    frames,
    framesExact: false,
    warnings,
  };
  return new Mp3Source(header, fh, start + at, size, file);
}
