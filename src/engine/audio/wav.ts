/**
 * WAV / RF64 container: header parsing, PCM/float sample conversion and header writing.
 *
 * Handles RIFF (little-endian), RIFX (big-endian), RF64 and BW64 (64-bit sizes in a `ds64`
 * chunk), with WAVE_FORMAT_PCM (8-bit unsigned, 16/24/32-bit signed, any valid-bit count in those
 * containers), WAVE_FORMAT_IEEE_FLOAT (32/64-bit) and WAVE_FORMAT_EXTENSIBLE (PCM / IEEE float
 * sub-formats, plus the AMBISONIC_B_FORMAT GUIDs of the `.amb` convention, which is FuMa).
 * Chunks may come in any order and odd-sized chunks are padded to an even length, per the RIFF
 * specification. Inconsistent sizes are handled as follows (each adds a warning naming the problem):
 *   - RIFF size field disagrees with the file size           → warning only (the chunk walk decides);
 *   - `data` size larger than the bytes left in the file     → clamped to the whole frames present;
 *   - `data` size 0xFFFFFFFF outside RF64 (streaming writer)  → read to the end of the file;
 *   - `data` size not a multiple of the frame size           → the partial last frame is dropped.
 * Fatal problems (no `fmt `/`data` chunk, zero channels/rate, unknown codec, no frames) throw a
 * specific S5Error naming the file. WAV is the one codec written by hand here: it is a trivial
 * container around raw samples, and parsing it ourselves lets us stream any size from a file handle.
 */
import type { FileHandle } from 'node:fs/promises';
import type { SampleEncoding } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import { ACCEPTED_CHANNELS, ACCEPTED_RATES } from './sniff';

export interface WavLayout {
  container: 'wav' | 'rf64';
  /** RIFX files store samples big-endian. */
  bigEndian: boolean;
  encoding: SampleEncoding;
  /** 'int' for PCM (u8 for 8-bit), 'float' for IEEE float. */
  kind: 'int' | 'float';
  channels: number;
  sampleRate: number;
  /** Bytes of one sample in its container (1–4 for PCM, 4/8 for float). */
  bytesPerSample: number;
  /** Bytes of one frame (all channels). */
  blockAlign: number;
  dataOffset: number;
  frames: number;
  /** The file is an `.amb` (AMBISONIC_B_FORMAT sub-format GUID): FuMa B-format by definition. */
  ambisonicBFormat: boolean;
  warnings: string[];
}

/** Names of common WAVE format tags we do not decode, for the error message. */
const KNOWN_TAGS: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG audio',
  0x0055: 'MPEG Layer 3 (MP3)',
  0x0161: 'Windows Media Audio',
  0x2000: 'AC-3',
  0x674f: 'Ogg Vorbis',
  0xf1ac: 'FLAC',
};

const ACCEPTED =
  'accepted in WAV: PCM 8/16/24/32-bit, IEEE float 32/64-bit (plain or WAVE_FORMAT_EXTENSIBLE)';

/** Tail of every KSDATAFORMAT_SUBTYPE_* GUID after its 4-byte format code (bytes 4..15). */
const GUID_TAIL_STD = Buffer.from([0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]);
/** Tail of the AMBISONIC_B_FORMAT_{PCM,IEEE_FLOAT} GUIDs (…-0721-11d3-8644-c8c1ca000000). */
const GUID_TAIL_AMB = Buffer.from([0x21, 0x07, 0xd3, 0x11, 0x86, 0x44, 0xc8, 0xc1, 0xca, 0x00, 0x00, 0x00]);

const MAX_CHUNKS = 10_000;
const MAX_CHANNELS = 256;

async function readAt(fh: FileHandle, pos: number, len: number): Promise<Buffer> {
  const buf = Buffer.alloc(len);
  const { bytesRead } = await fh.read(buf, 0, len, pos);
  return bytesRead === len ? buf : buf.subarray(0, bytesRead);
}

function fourcc(buf: Buffer, off: number): string {
  return buf.toString('latin1', off, off + 4);
}

function printable(id: string): string {
  return JSON.stringify(id.replace(/[^\x20-\x7e]/g, '?'));
}

/** The file's byte order and kind, from its first 12 bytes. */
interface RiffHead {
  bigEndian: boolean;
  rf64: boolean;
  u32(b: Buffer, o: number): number;
  u16(b: Buffer, o: number): number;
}

/** Where the chunk walk found the `fmt ` body and the samples. */
interface Chunks {
  fmt: Buffer;
  dataOffset: number;
  dataSize: number; // bytes of samples (from `ds64` for RF64)
  /** The `data` chunk's own size field (0xFFFFFFFF: a streaming writer's placeholder). */
  dataSizeField: number;
}

type SampleFormat = Pick<WavLayout, 'encoding' | 'kind' | 'channels' | 'sampleRate' | 'bytesPerSample' | 'blockAlign' | 'ambisonicBFormat'>;

/**
 * Walks the chunk list of a RIFF/RIFX/RF64/BW64 WAVE file and returns where the samples are and
 * how to read them. Reads only chunk headers and the `fmt `/`ds64` bodies.
 */
export async function parseWavHeader(fh: FileHandle, fileSize: number, file: string): Promise<WavLayout> {
  const warnings: string[] = [];
  const head = await readRiffHead(fh, fileSize, file, warnings);
  const chunks = await walkChunks(fh, fileSize, file, head);
  const format = parseFmt(chunks.fmt, head, file, warnings);
  const frames = countFrames(chunks, format.blockAlign, fileSize, head.rf64, file, warnings);
  return { container: head.rf64 ? 'rf64' : 'wav', bigEndian: head.bigEndian, ...format, dataOffset: chunks.dataOffset, frames, warnings };
}

/** The RIFF/RIFX/RF64/BW64 + WAVE signature; a RIFF size that disagrees with the file is a warning. */
async function readRiffHead(fh: FileHandle, fileSize: number, file: string, warnings: string[]): Promise<RiffHead> {
  const head = await readAt(fh, 0, 12);
  if (head.length < 12) {
    throw new S5Error('bad_input', `file is ${fileSize} bytes, too short for a WAV header (12 bytes minimum)`, file);
  }
  const magic = fourcc(head, 0);
  if (magic !== 'RIFF' && magic !== 'RIFX' && magic !== 'RF64' && magic !== 'BW64') {
    throw new S5Error('bad_input', `not a WAV file (starts with ${printable(magic)}, expected "RIFF" or "RF64")`, file);
  }
  if (fourcc(head, 8) !== 'WAVE') {
    throw new S5Error('unsupported', `RIFF file of form ${printable(fourcc(head, 8))}, not "WAVE" audio`, file);
  }
  const bigEndian = magic === 'RIFX';
  const rf64 = magic === 'RF64' || magic === 'BW64';
  const u32 = (b: Buffer, o: number) => (bigEndian ? b.readUInt32BE(o) : b.readUInt32LE(o));
  const u16 = (b: Buffer, o: number) => (bigEndian ? b.readUInt16BE(o) : b.readUInt16LE(o));
  const riffSize = u32(head, 4);
  if (!rf64 && riffSize !== fileSize - 8 && riffSize !== 0xffffffff && riffSize !== 0) {
    warnings.push(`RIFF size field says ${riffSize + 8} bytes but the file has ${fileSize}`);
  }
  return { bigEndian, rf64, u32, u16 };
}

/** Finds `fmt ` (its body), `ds64` and `data`, in any order; stops once `fmt ` and `data` are known. */
async function walkChunks(fh: FileHandle, fileSize: number, file: string, head: RiffHead): Promise<Chunks> {
  let fmt: Buffer | null = null;
  let ds64Data: number | null = null;
  let dataOffset = -1;
  let dataSize = -1;
  let dataSizeField = 0;
  let pos = 12;
  for (let n = 0; pos + 8 <= fileSize; n++) {
    if (n >= MAX_CHUNKS) {
      throw new S5Error('bad_input', `more than ${MAX_CHUNKS} RIFF chunks before the audio data; the header is corrupt`, file);
    }
    const ch = await readAt(fh, pos, 8);
    if (ch.length < 8) break;
    const id = fourcc(ch, 0);
    const size = head.u32(ch, 4);
    const body = pos + 8;
    if (id === 'ds64' && head.rf64) {
      const b = await readAt(fh, body, Math.min(size, 28));
      if (b.length < 16) throw new S5Error('bad_input', `RF64 'ds64' chunk is truncated`, file);
      ds64Data = Number(b.readBigUInt64LE(8));
    } else if (id === 'fmt ') {
      if (size < 16) throw new S5Error('bad_input', `'fmt ' chunk is ${size} bytes, at least 16 are required`, file);
      fmt = await readAt(fh, body, Math.min(size, 64));
      if (fmt.length < 16) throw new S5Error('bad_input', `'fmt ' chunk is cut off by the end of the file`, file);
    } else if (id === 'data') {
      dataOffset = body;
      dataSizeField = size;
      dataSize = size;
      if (head.rf64 && size === 0xffffffff) {
        if (ds64Data === null) throw new S5Error('bad_input', `RF64 file has no 'ds64' chunk before its data`, file);
        dataSize = ds64Data;
      }
      if (fmt !== null) break; // everything needed; later chunks (LIST, id3 …) are not read
    }
    // Without a ds64, a placeholder data size means "to the end"; nothing can follow it.
    if (id === 'data' && dataSize === 0xffffffff) break;
    const effective = id === 'data' ? dataSize : size;
    pos = body + effective + (effective & 1);
  }
  if (fmt === null) {
    throw new S5Error('bad_input', `WAV has no 'fmt ' chunk${dataOffset < 0 ? ' and no data' : ''} (truncated or not a WAV file)`, file);
  }
  if (dataOffset < 0) {
    throw new S5Error('bad_input', `WAV has no 'data' chunk (the file is truncated after its header)`, file);
  }
  return { fmt, dataOffset, dataSize, dataSizeField };
}

/** The `fmt ` chunk: codec (EXTENSIBLE resolved through its sub-format GUID), channels, rate, sample size. */
function parseFmt(fmt: Buffer, head: RiffHead, file: string, warnings: string[]): SampleFormat {
  const { u16, u32 } = head;
  let tag = u16(fmt, 0);
  const channels = u16(fmt, 2);
  const sampleRate = u32(fmt, 4);
  const blockAlignField = u16(fmt, 12);
  const bits = u16(fmt, 14);
  let ambisonicBFormat = false;
  if (tag === 0xfffe) {
    if (fmt.length < 40) {
      throw new S5Error('bad_input', `WAVE_FORMAT_EXTENSIBLE 'fmt ' chunk is ${fmt.length} bytes, 40 are required`, file);
    }
    const guid = fmt.subarray(24, 40);
    // The sub-format GUID starts with the format code; writers store it in the file's byte order
    // (RIFX writers too), followed by fixed bytes. Bytes 2–3 of the code are always zero.
    const code = u16(fmt, 24);
    const zeroHigh = fmt[26] === 0 && fmt[27] === 0;
    if (zeroHigh && guid.subarray(4).equals(GUID_TAIL_STD)) {
      tag = code;
    } else if (zeroHigh && guid.subarray(4).equals(GUID_TAIL_AMB) && (code === 1 || code === 3)) {
      tag = code;
      ambisonicBFormat = true;
    } else {
      throw new S5Error('unsupported', `WAVE_FORMAT_EXTENSIBLE sub-format ${guid.toString('hex')} is not supported; ${ACCEPTED}`, file);
    }
  }
  if (channels === 0) throw new S5Error('bad_input', `WAV 'fmt ' chunk declares 0 channels; ${ACCEPTED_CHANNELS}`, file);
  if (channels > MAX_CHANNELS) {
    throw new S5Error('unsupported', `WAV declares ${channels} channels; at most ${MAX_CHANNELS} are supported`, file);
  }
  if (sampleRate === 0) throw new S5Error('bad_input', `WAV 'fmt ' chunk declares a sample rate of 0 Hz; ${ACCEPTED_RATES}`, file);

  let kind: 'int' | 'float';
  let encoding: SampleEncoding;
  let bytesPerSample: number;
  if (tag === 1) {
    if (bits < 1 || bits > 32) throw new S5Error('unsupported', `${bits}-bit PCM is not supported; ${ACCEPTED}`, file);
    kind = 'int';
    bytesPerSample = Math.ceil(bits / 8);
    // A valid-bits count below the container (e.g. 20 in 24) still reads correctly at container scale.
    if (blockAlignField !== 0 && blockAlignField % channels === 0 && blockAlignField / channels > bytesPerSample && blockAlignField / channels <= 4) {
      bytesPerSample = blockAlignField / channels;
    }
    encoding = (['pcm_u8', 'pcm_s16', 'pcm_s24', 'pcm_s32'] as const)[bytesPerSample - 1];
  } else if (tag === 3) {
    if (bits !== 32 && bits !== 64) throw new S5Error('unsupported', `${bits}-bit IEEE float is not supported; ${ACCEPTED}`, file);
    kind = 'float';
    bytesPerSample = bits / 8;
    encoding = bits === 32 ? 'float32' : 'float64';
  } else {
    const name = KNOWN_TAGS[tag] ?? 'unknown codec';
    throw new S5Error('unsupported', `WAV codec 0x${tag.toString(16).padStart(4, '0')} (${name}) is not supported; ${ACCEPTED}`, file);
  }
  const blockAlign = bytesPerSample * channels;
  if (blockAlignField !== blockAlign) {
    warnings.push(`'fmt ' block align is ${blockAlignField}, expected ${blockAlign} for ${channels} × ${bytesPerSample} bytes; using ${blockAlign}`);
  }
  return { encoding, kind, channels, sampleRate, bytesPerSample, blockAlign, ambisonicBFormat };
}

/** Whole frames in the data chunk, with the size inconsistencies of the header comment as warnings. */
function countFrames(chunks: Chunks, blockAlign: number, fileSize: number, rf64: boolean, file: string, warnings: string[]): number {
  const { dataOffset, dataSize, dataSizeField } = chunks;
  const available = Math.max(0, fileSize - dataOffset);
  let bytes = dataSize;
  if (!rf64 && dataSizeField === 0xffffffff) {
    warnings.push(`data size field is the placeholder 0xFFFFFFFF (written by a streaming tool); reading to the end of the file`);
    bytes = available;
  } else if (dataSize > available) {
    const frames = Math.floor(available / blockAlign);
    warnings.push(`data chunk declares ${dataSize} bytes but only ${available} remain in the file (truncated?); reading the ${frames} complete frames present`);
    bytes = available;
  }
  if (bytes % blockAlign !== 0) {
    warnings.push(`data size ${bytes} is not a multiple of the ${blockAlign}-byte frame; the last partial frame is ignored`);
  }
  const frames = Math.floor(bytes / blockAlign);
  if (frames === 0) {
    throw new S5Error('bad_input', `WAV contains no audio frames (data chunk of ${dataSize} bytes${available === 0 ? ', nothing after the header' : ''})`, file);
  }
  return frames;
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Converts `frames` interleaved frames from `src` (raw bytes as in the file) to planar float32,
 * writing into `out[c]` starting at `outOffset`. Integers scale by 1/2^(bits-1) (u8 is offset by
 * 128), so full-scale negative is exactly −1.
 */
export function decodeWavSamples(src: Uint8Array, layout: WavLayout, frames: number, out: Float32Array[], outOffset: number): void {
  const { channels: nc, bytesPerSample: bps, kind, bigEndian } = layout;
  const aligned = (src.byteOffset % bps) === 0 && bigEndian !== LITTLE_ENDIAN_HOST;
  if (kind === 'float') {
    if (aligned) {
      const view = bps === 4
        ? new Float32Array(src.buffer, src.byteOffset, frames * nc)
        : new Float64Array(src.buffer, src.byteOffset, frames * nc);
      deinterleave(view, nc, frames, out, outOffset, 1);
    } else {
      const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
      const le = !bigEndian;
      for (let c = 0; c < nc; c++) {
        const o = out[c];
        for (let i = 0, p = c * bps; i < frames; i++, p += nc * bps) {
          o[outOffset + i] = bps === 4 ? dv.getFloat32(p, le) : dv.getFloat64(p, le);
        }
      }
    }
    return;
  }
  if (bps === 2 && aligned) {
    deinterleave(new Int16Array(src.buffer, src.byteOffset, frames * nc), nc, frames, out, outOffset, 1 / 32768);
    return;
  }
  if (bps === 4 && aligned) {
    deinterleave(new Int32Array(src.buffer, src.byteOffset, frames * nc), nc, frames, out, outOffset, 1 / 2147483648);
    return;
  }
  const stride = nc * bps;
  for (let c = 0; c < nc; c++) {
    const o = out[c];
    let p = c * bps;
    if (bps === 1) {
      for (let i = 0; i < frames; i++, p += stride) o[outOffset + i] = (src[p] - 128) / 128;
    } else if (bps === 2) {
      const [a, b] = bigEndian ? [1, 0] : [0, 1];
      for (let i = 0; i < frames; i++, p += stride) o[outOffset + i] = (((src[p + a] | (src[p + b] << 8)) << 16) >> 16) / 32768;
    } else if (bps === 3) {
      const [a, b, d] = bigEndian ? [2, 1, 0] : [0, 1, 2];
      for (let i = 0; i < frames; i++, p += stride) {
        o[outOffset + i] = (((src[p + a] << 8) | (src[p + b] << 16) | (src[p + d] << 24)) >> 8) / 8388608;
      }
    } else {
      const [a, b, d, e] = bigEndian ? [3, 2, 1, 0] : [0, 1, 2, 3];
      for (let i = 0; i < frames; i++, p += stride) {
        o[outOffset + i] = (src[p + a] | (src[p + b] << 8) | (src[p + d] << 16) | (src[p + e] << 24)) / 2147483648;
      }
    }
  }
}

function deinterleave(
  view: ArrayLike<number>, nc: number, frames: number, out: Float32Array[], outOffset: number, scale: number,
): void {
  for (let c = 0; c < nc; c++) {
    const o = out[c];
    for (let i = 0, p = c; i < frames; i++, p += nc) o[outOffset + i] = view[p] * scale;
  }
}

// ------------------------------------------------------------------------------------------------
// Writing

export type WavSampleFormat = 'pcm16' | 'pcm24' | 'float32';

export function wavBytesPerSample(fmt: WavSampleFormat): number {
  return fmt === 'pcm16' ? 2 : fmt === 'pcm24' ? 3 : 4;
}

/**
 * Header bytes written before the samples: RIFF + a 36-byte JUNK chunk (reserved so the header
 * can become RF64's `ds64` in place when the data outgrows 4 GiB, as EBU Tech 3306 recommends) +
 * 62 bytes of format chunks + the `data` chunk header. The format part is
 *   float32: a 42-byte `fmt ` (WAVE_FORMAT_EXTENSIBLE, see below) + a `fact` chunk (sample
 *            frames; required for non-PCM data);
 *   PCM > 16 bits or > 2 channels: a 40-byte extensible `fmt ` + a 6-byte JUNK filler;
 *   PCM 16-bit mono/stereo: a 16-byte plain `fmt ` + a 30-byte JUNK filler.
 * The size is the same for every format, so the data offset never moves.
 */
export const WAV_HEADER_BYTES = 12 + 8 + 28 + 62 + 8;

/**
 * Builds the header for `frames` frames. Sizes beyond the 32-bit limit switch the file to RF64
 * (ds64 in the JUNK slot, 0xFFFFFFFF in the 32-bit fields). Following Microsoft's rule,
 * WAVE_FORMAT_EXTENSIBLE is used for more than 2 channels or more than 16 bits (valid bits =
 * container bits, channel mask 0 = no speaker assignment, right for ambisonic channels); mono and
 * stereo 16-bit files get the plain PCM header every reader understands.
 *
 * The float `fmt ` chunk is 42 bytes: the 40 of WAVEFORMATEXTENSIBLE (cbSize 22) and two zero
 * bytes. SoX reads, after the extensible part, a second cbSize for every non-PCM sub-format and
 * warns "wave header missing extended part of fmt chunk" when it is absent (it does so for
 * libsndfile's float WAVEX files too); the two bytes satisfy it, and readers that honour the chunk
 * size (libsndfile, scipy, ours) skip them.
 */
export function buildWavHeader(fmt: WavSampleFormat, channels: number, sampleRate: number, frames: number): Buffer {
  const bps = wavBytesPerSample(fmt);
  const dataBytes = frames * channels * bps;
  const pad = dataBytes & 1;
  const riffBytes = WAV_HEADER_BYTES - 8 + dataBytes + pad;
  const big = riffBytes > 0xffffffff || dataBytes > 0xffffffff;
  const float = fmt === 'float32';
  const extensible = channels > 2 || bps > 2;
  const h = Buffer.alloc(WAV_HEADER_BYTES);
  h.write(big ? 'RF64' : 'RIFF', 0, 'latin1');
  h.writeUInt32LE(big ? 0xffffffff : riffBytes, 4);
  h.write('WAVE', 8, 'latin1');
  h.write(big ? 'ds64' : 'JUNK', 12, 'latin1');
  h.writeUInt32LE(28, 16);
  if (big) {
    h.writeBigUInt64LE(BigInt(riffBytes), 20);
    h.writeBigUInt64LE(BigInt(dataBytes), 28);
    h.writeBigUInt64LE(BigInt(frames), 36);
    h.writeUInt32LE(0, 44);
  }
  let p = 48;
  const fmtBytes = float ? 42 : extensible ? 40 : 16;
  h.write('fmt ', p, 'latin1');
  h.writeUInt32LE(fmtBytes, p + 4);
  h.writeUInt16LE(extensible ? 0xfffe : float ? 3 : 1, p + 8);
  h.writeUInt16LE(channels, p + 10);
  h.writeUInt32LE(sampleRate, p + 12);
  h.writeUInt32LE(sampleRate * channels * bps, p + 16);
  h.writeUInt16LE(channels * bps, p + 20);
  h.writeUInt16LE(bps * 8, p + 22);
  if (extensible) {
    h.writeUInt16LE(22, p + 24);
    h.writeUInt16LE(bps * 8, p + 26);
    h.writeUInt32LE(0, p + 28);
    h.writeUInt32LE(float ? 3 : 1, p + 32);
    GUID_TAIL_STD.copy(h, p + 36);
  }
  p += 8 + fmtBytes; // the two bytes after a float fmt stay zero
  const rest = WAV_HEADER_BYTES - 8 - p; // bytes up to the data chunk header
  if (float) {
    h.write('fact', p, 'latin1');
    h.writeUInt32LE(4, p + 4);
    h.writeUInt32LE(big ? 0xffffffff : frames, p + 8);
    p += 12;
  } else {
    h.write('JUNK', p, 'latin1');
    h.writeUInt32LE(rest - 8, p + 4);
    p += rest;
  }
  h.write('data', p, 'latin1');
  h.writeUInt32LE(big ? 0xffffffff : dataBytes, p + 4);
  return h;
}

const LE_HOST = LITTLE_ENDIAN_HOST;

/**
 * Interleaves planar float samples [offset, offset+frames) into little-endian file bytes.
 * PCM: x·2^(bits−1) rounded to nearest and clamped to [−2^(bits−1), 2^(bits−1)−1] — the exact
 * inverse of the reader, so PCM data read and written again is bit-identical; +1.0 becomes the
 * largest code. Samples outside [−1, 1] (and NaN, written as 0) are counted as clipped.
 * float32 is written unchanged. Returns the bytes and the clipped count.
 */
export function encodeWavSamples(
  data: Float32Array[], offset: number, frames: number, fmt: WavSampleFormat,
): { bytes: Buffer; clipped: number } {
  const nc = data.length;
  const bps = wavBytesPerSample(fmt);
  const ab = new ArrayBuffer(frames * nc * bps);
  let clipped = 0;
  if (fmt === 'float32' && LE_HOST) {
    const v = new Float32Array(ab);
    for (let c = 0; c < nc; c++) {
      const s = data[c];
      for (let i = 0, p = c; i < frames; i++, p += nc) v[p] = s[offset + i];
    }
    return { bytes: Buffer.from(ab), clipped };
  }
  if (fmt === 'float32') {
    const dv = new DataView(ab);
    for (let c = 0; c < nc; c++) {
      const s = data[c];
      for (let i = 0, p = c * 4; i < frames; i++, p += nc * 4) dv.setFloat32(p, s[offset + i], true);
    }
    return { bytes: Buffer.from(ab), clipped };
  }
  const bits = fmt === 'pcm16' ? 16 : 24;
  const dst = new Uint8Array(ab);
  const tmp = new Int32Array(frames);
  const i16 = fmt === 'pcm16' && LE_HOST ? new Int16Array(ab) : null;
  for (let c = 0; c < nc; c++) {
    clipped += quantize(data[c], offset, frames, bits, tmp);
    let p = c * bps;
    for (let i = 0; i < frames; i++, p += nc * bps) {
      const v = tmp[i];
      if (i16) {
        i16[p >> 1] = v;
      } else {
        dst[p] = v & 0xff;
        dst[p + 1] = (v >> 8) & 0xff;
        if (bps === 3) dst[p + 2] = (v >> 16) & 0xff;
      }
    }
  }
  return { bytes: Buffer.from(ab), clipped };
}

/**
 * Float → integer PCM at `bits` (16 or 24): round(x·2^(bits−1)) clamped to the code range; NaN → 0.
 * Returns how many samples lay outside [−1, 1] (or were NaN).
 */
export function quantize(src: Float32Array, offset: number, frames: number, bits: 16 | 24, dst: Int32Array): number {
  const scale = bits === 16 ? 32768 : 8388608;
  const top = scale - 1;
  let clipped = 0;
  for (let i = 0; i < frames; i++) {
    const x = src[offset + i];
    let v = Math.round(x * scale);
    if (!(x >= -1 && x <= 1)) {
      clipped++;
      if (x !== x) v = 0;
    }
    dst[i] = v > top ? top : v < -scale ? -scale : v;
  }
  return clipped;
}
