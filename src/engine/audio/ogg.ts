/**
 * Ogg reading: Vorbis with @wasm-audio-decoders/ogg-vorbis (libvorbis in wasm), Ogg FLAC with
 * @wasm-audio-decoders/flac; both incremental, fed 256 KiB file chunks. The header (rate,
 * channels) comes from the first packet; the length from the granule position of the last page
 * (an estimate until the stream has been decoded, since a stream may start at a non-zero granule).
 */
import type { FileHandle } from 'node:fs/promises';
import { FLACDecoder } from '@wasm-audio-decoders/flac';
import { OggVorbisDecoder } from '@wasm-audio-decoders/ogg-vorbis';
import { S5Error } from '../../shared/errors';
import { ACCEPTED_CHANNELS, ACCEPTED_RATES } from './sniff';
import { rescaleFlacSamples } from './flac';
import { readAt, readChunks, type DecoderSource, type SourceHeader } from './source';
import { WasmDecoderSource, type Decoded } from './wasm-source';

interface Decoder {
  ready: Promise<void>;
  free(): void;
  decode(d: Uint8Array): Promise<{ channelData: Float32Array[]; samplesDecoded: number; errors: { message: string }[] }>;
  flush(): Promise<{ channelData: Float32Array[]; samplesDecoded: number; errors: { message: string }[] }>;
}

/** The first page's first packet (the codec identification header). */
async function firstPacket(fh: FileHandle, file: string): Promise<Buffer> {
  const b = await readAt(fh, 0, 27 + 255 + 128);
  if (b.length < 28) throw new S5Error('bad_input', `Ogg file is truncated inside its first page`, file);
  const nseg = b[26];
  const bodyStart = 27 + nseg;
  let len = 0;
  for (let i = 0; i < nseg && 27 + i < b.length; i++) {
    len += b[27 + i];
    if (b[27 + i] < 255) break;
  }
  const body = b.subarray(bodyStart, bodyStart + Math.min(len, 128));
  if (body.length < Math.min(len, 30)) throw new S5Error('bad_input', `Ogg file is truncated inside its first packet`, file);
  return body;
}

/** Granule position of the last page, from the last 64 KiB of the file (−1 when none is found). */
async function lastGranule(fh: FileHandle, size: number): Promise<number> {
  const span = Math.min(size, 65536);
  const tail = await readAt(fh, size - span, span);
  for (let i = tail.length - 27; i >= 0; i--) {
    if (tail[i] === 0x4f && tail[i + 1] === 0x67 && tail[i + 2] === 0x67 && tail[i + 3] === 0x53 && tail[i + 4] === 0) {
      const g = tail.readBigInt64LE(i + 6);
      if (g >= 0n) return Number(g);
    }
  }
  return -1;
}

class OggSource extends WasmDecoderSource<Decoder> {
  constructor(
    header: SourceHeader,
    private readonly fh: FileHandle,
    private readonly size: number,
    file: string,
    private readonly make: () => Decoder,
    /** FLAC bit depth (Ogg FLAC only): its decoder's integer scaling is corrected. */
    private readonly flacBits: number,
  ) {
    super(header, file, 'Ogg data', 'Ogg packet(s)');
  }

  protected createDecoder(): Decoder {
    return this.make();
  }

  protected async *decode(decoder: Decoder): AsyncGenerator<Decoded> {
    for await (const chunk of readChunks(this.fh, 0, this.size)) yield await decoder.decode(chunk);
    yield await decoder.flush();
  }

  protected channels(d: Decoded): Float32Array[] {
    const nc = this.header.channels;
    if (d.channelData.length !== nc) throw new Error(`decoder produced ${d.channelData.length} channels, the header says ${nc}`);
    if (this.flacBits > 0) rescaleFlacSamples(d.channelData, d.samplesDecoded, this.flacBits);
    return d.channelData;
  }
}

export async function openOggSource(fh: FileHandle, size: number, file: string): Promise<DecoderSource> {
  const p = await firstPacket(fh, file);
  let sampleRate: number;
  let channels: number;
  let make: () => Decoder;
  let encoding: SourceHeader['encoding'];
  let flacBits = 0;
  if (p[0] === 1 && p.toString('latin1', 1, 7) === 'vorbis') {
    channels = p[11];
    sampleRate = p.readUInt32LE(12);
    make = () => new OggVorbisDecoder() as unknown as Decoder;
    encoding = 'vorbis';
  } else if (p[0] === 0x7f && p.toString('latin1', 1, 5) === 'FLAC' && p.toString('latin1', 9, 13) === 'fLaC') {
    const s = p.subarray(17); // after the 4-byte metadata block header
    if (s.length < 14) throw new S5Error('bad_input', `Ogg FLAC header is truncated`, file);
    sampleRate = (s[10] << 12) | (s[11] << 4) | (s[12] >> 4);
    channels = ((s[12] >> 1) & 7) + 1;
    flacBits = (((s[12] & 1) << 4) | (s[13] >> 4)) + 1;
    make = () => new FLACDecoder() as unknown as Decoder;
    encoding = 'flac';
  } else {
    throw new S5Error('unsupported', `Ogg stream codec is not Vorbis or FLAC`, file);
  }
  if (channels === 0) throw new S5Error('bad_input', `Ogg header declares 0 channels; ${ACCEPTED_CHANNELS}`, file);
  if (sampleRate === 0) throw new S5Error('bad_input', `Ogg header declares a sample rate of 0 Hz; ${ACCEPTED_RATES}`, file);
  const g = await lastGranule(fh, size);
  const header: SourceHeader = {
    container: 'ogg',
    encoding,
    sampleRate,
    channels,
    frames: Math.max(0, g),
    framesExact: false,
    warnings: [],
  };
  return new OggSource(header, fh, size, file, make, flacBits);
}
