/**
 * Generator of the malformed-input corpus (issue #9 item 1): audio files with broken headers,
 * sizes, chunk orders, codecs, channel counts, rates and sample values, corrupted FLAC / Ogg / MP3,
 * wrong extensions, and model folders with broken manifests and ONNX files. Nothing is committed:
 * the corpus is rebuilt into a temporary folder by the test (`test/unit/corpus.test.ts`) or by hand:
 *
 *   npx tsx test/corpus/make-corpus.ts OUT_DIR      # writes OUT_DIR/{audio,models}/… + corpus.json
 *
 * Every entry states what a user should get, independently of how the engine is written:
 *   - `reject`: a specific S5Error with this code whose message matches `says` (what is wrong);
 *   - `accept`: the file opens (a recoverable problem), and when `warns` is set a warning says so.
 * Seeds: WAV and FLAC are built here (FLAC through the engine's own libFLAC writer, which is tested
 * against the reference tools in test/unit/audio/write.test.ts); Ogg Vorbis, Opus and MP3 seeds are
 * written by libsndfile through Python's soundfile (the same independent writer the audio tests use).
 * Random mutations use a fixed seed, so the corpus is identical on every run.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { writeAudio } from '../../src/engine/audio/write';
import { seededRandom } from '../tools/random';

export type Expectation =
  | { outcome: 'reject'; code: 'bad_input' | 'unsupported' | 'not_found'; says: string }
  | { outcome: 'accept'; warns?: string };

export interface CorpusEntry {
  /** Path relative to the corpus folder: a file (audio) or a model folder. */
  file: string;
  target: 'audio' | 'model';
  /** What was done to the input, for the report. */
  what: string;
  expect: Expectation;
}

const PYTHON = '/usr/bin/python3';

// ------------------------------------------------------------------------------------------------
// Deterministic randomness (mulberry32)

const rng = seededRandom;

// ------------------------------------------------------------------------------------------------
// WAV building blocks

export interface FmtFields {
  tag: number;
  channels: number;
  rate: number;
  bits: number;
  blockAlign?: number;
  /** Extra bytes after the 16-byte body (cbSize and extension). */
  extra?: Buffer;
}

export function fmtBody(f: FmtFields): Buffer {
  const b = Buffer.alloc(16);
  const align = f.blockAlign ?? (f.channels * Math.ceil(f.bits / 8)) & 0xffff;
  b.writeUInt16LE(f.tag, 0);
  b.writeUInt16LE(f.channels & 0xffff, 2);
  b.writeUInt32LE(f.rate >>> 0, 4);
  b.writeUInt32LE((f.rate * align) >>> 0, 8);
  b.writeUInt16LE(align & 0xffff, 12);
  b.writeUInt16LE(f.bits, 14);
  return f.extra ? Buffer.concat([b, f.extra]) : b;
}

/** WAVE_FORMAT_EXTENSIBLE extension (cbSize 22, valid bits, mask, sub-format GUID). */
export function extensible(bits: number, guid: Buffer): Buffer {
  const e = Buffer.alloc(24);
  e.writeUInt16LE(22, 0);
  e.writeUInt16LE(bits, 2);
  e.writeUInt32LE(0, 4);
  guid.copy(e, 8);
  return e;
}

export function ksGuid(code: number): Buffer {
  const out = Buffer.alloc(16);
  out.writeUInt16LE(code, 0);
  Buffer.from([0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]).copy(out, 2);
  return out;
}

export type Chunk = [id: string, body: Buffer, sizeField?: number];

/** RIFF/RF64 file from chunks; `pad: false` omits the pad byte after odd-sized chunks. */
export function riff(chunks: Chunk[], opts: { magic?: string; riffSize?: number; form?: string; pad?: boolean; bigEndian?: boolean } = {}): Buffer {
  const parts: Buffer[] = [];
  const be = opts.bigEndian ?? false;
  for (const [id, body, sizeField] of chunks) {
    const h = Buffer.alloc(8);
    h.write(id, 0, 'latin1');
    if (be) h.writeUInt32BE((sizeField ?? body.length) >>> 0, 4);
    else h.writeUInt32LE((sizeField ?? body.length) >>> 0, 4);
    parts.push(h, body);
    if (body.length & 1 && opts.pad !== false) parts.push(Buffer.alloc(1));
  }
  const payload = Buffer.concat(parts);
  const head = Buffer.alloc(12);
  head.write(opts.magic ?? 'RIFF', 0, 'latin1');
  const size = (opts.riffSize ?? payload.length + 4) >>> 0;
  if (be) head.writeUInt32BE(size, 4);
  else head.writeUInt32LE(size, 4);
  head.write(opts.form ?? 'WAVE', 8, 'latin1');
  return Buffer.concat([head, payload]);
}

/** `frames` frames of a 4-channel 16-bit sine-ish signal (little-endian interleaved). */
function pcm16(frames: number, channels = 4): Buffer {
  const b = Buffer.alloc(frames * channels * 2);
  for (let i = 0; i < frames; i++) {
    for (let c = 0; c < channels; c++) b.writeInt16LE(Math.round(8000 * Math.sin((i + 1) * 0.05 * (c + 1))), (i * channels + c) * 2);
  }
  return b;
}

function float32Samples(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeFloatLE(v, i * 4));
  return b;
}

function float64Samples(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 8);
  values.forEach((v, i) => b.writeDoubleLE(v, i * 8));
  return b;
}

const FRAMES = 480;
const GOOD_FMT = fmtBody({ tag: 1, channels: 4, rate: 48000, bits: 16 });
const GOOD_DATA = pcm16(FRAMES);
export const GOOD_WAV = riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA]]);

// ------------------------------------------------------------------------------------------------

class Corpus {
  readonly entries: CorpusEntry[] = [];
  constructor(readonly root: string) {
    mkdirSync(path.join(root, 'audio'), { recursive: true });
    mkdirSync(path.join(root, 'models'), { recursive: true });
  }

  audio(name: string, bytes: Buffer | Uint8Array, what: string, expect: Expectation): void {
    const rel = path.join('audio', name);
    if (this.entries.some((e) => e.file === rel)) throw new Error(`corpus: duplicate name ${rel}`);
    writeFileSync(path.join(this.root, rel), bytes);
    this.entries.push({ file: rel, target: 'audio', what, expect });
  }

  model(name: string, files: Record<string, Buffer | string>, what: string, expect: Expectation): void {
    const rel = path.join('models', name);
    const dir = path.join(this.root, rel);
    mkdirSync(dir, { recursive: true });
    for (const [f, content] of Object.entries(files)) {
      if (f.endsWith('/')) mkdirSync(path.join(dir, f), { recursive: true });
      else writeFileSync(path.join(dir, f), content);
    }
    this.entries.push({ file: rel, target: 'model', what, expect });
  }
}

const reject = (code: 'bad_input' | 'unsupported' | 'not_found', says: string): Expectation => ({ outcome: 'reject', code, says });
const accept = (warns?: string): Expectation => (warns === undefined ? { outcome: 'accept' } : { outcome: 'accept', warns });

// ------------------------------------------------------------------------------------------------
// WAV

function wavCorpus(c: Corpus): void {
  // Truncation at every byte of the header and a little beyond.
  const headerEnd = 44; // 12 RIFF + 24 fmt + 8 data header
  for (let n = 0; n <= headerEnd + 12; n++) {
    let expect: Expectation;
    if (n === 0) expect = reject('bad_input', 'empty');
    else if (n < 4) expect = reject('bad_input', 'not an audio file');
    else if (n < 12) expect = reject('bad_input', 'truncated');
    else if (n < 36) expect = reject('bad_input', "no 'fmt |'fmt ' chunk is cut off");
    else if (n < headerEnd) expect = reject('bad_input', "no 'data' chunk");
    else if (n < headerEnd + 8) expect = reject('bad_input', 'no audio frames');
    else expect = accept('only \\d+ remain|truncated');
    c.audio(`trunc_${String(n).padStart(3, '0')}.wav`, GOOD_WAV.subarray(0, n), `valid WAV cut after ${n} bytes`, expect);
  }
  for (const frac of [0.25, 0.5, 0.999]) {
    c.audio(`trunc_data_${frac}.wav`, GOOD_WAV.subarray(0, Math.floor(GOOD_WAV.length * frac)), `valid WAV cut at ${frac * 100}%`, accept('truncated'));
  }

  // Sizes
  c.audio('riff_size_small.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA]], { riffSize: 100 }), 'RIFF size field too small', accept('RIFF size field'));
  c.audio('riff_size_huge.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA]], { riffSize: 0xfffffff0 }), 'RIFF size field 4 GiB', accept('RIFF size field'));
  c.audio('riff_size_zero.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA]], { riffSize: 0 }), 'RIFF size 0 (streaming writer)', accept());
  c.audio('data_size_huge.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA, 0x7ffffff0]]), 'data size 2 GiB, file 4 KiB', accept('truncated'));
  c.audio('data_size_ffff.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA, 0xffffffff]]), 'data size placeholder 0xFFFFFFFF', accept('placeholder'));
  c.audio('data_size_zero.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA, 0]]), 'data size 0 with samples after it', reject('bad_input', 'no audio frames'));
  c.audio('data_size_partial.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA, GOOD_DATA.length - 3]]), 'data size not a multiple of the frame', accept('not a multiple'));
  c.audio('data_size_one_byte.wav', riff([['fmt ', GOOD_FMT], ['data', Buffer.alloc(1)]]), 'one byte of data', reject('bad_input', 'no audio frames'));
  c.audio('fmt_size_small.wav', riff([['fmt ', GOOD_FMT.subarray(0, 14)], ['data', GOOD_DATA]]), "'fmt ' chunk 14 bytes", reject('bad_input', 'at least 16'));
  c.audio('fmt_size_zero.wav', riff([['fmt ', Buffer.alloc(0)], ['data', GOOD_DATA]]), "'fmt ' chunk 0 bytes", reject('bad_input', 'at least 16'));
  c.audio('fmt_size_huge.wav', riff([['fmt ', GOOD_FMT, 0xfffffff0], ['data', GOOD_DATA]]), "'fmt ' size 4 GiB (jumps past the data)", reject('bad_input', "no 'data' chunk"));
  c.audio('fmt_oversized_ok.wav', riff([['fmt ', Buffer.concat([GOOD_FMT, Buffer.alloc(200)])], ['data', GOOD_DATA]]), "'fmt ' chunk with 200 bytes of extension", accept());
  c.audio('list_size_huge.wav', riff([['LIST', Buffer.alloc(10), 0xffffffff], ['fmt ', GOOD_FMT], ['data', GOOD_DATA]]), 'LIST chunk of 4 GiB before fmt', reject('bad_input', "no 'fmt ' chunk"));
  c.audio('block_align_wrong.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 4, rate: 48000, bits: 16, blockAlign: 3 })], ['data', GOOD_DATA]]), 'block align 3 for 4 × 16 bit', accept('block align'));
  c.audio('block_align_zero.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 4, rate: 48000, bits: 16, blockAlign: 0 })], ['data', GOOD_DATA]]), 'block align 0', accept('block align'));

  // Chunk orders
  c.audio('order_data_first.wav', riff([['data', GOOD_DATA], ['fmt ', GOOD_FMT]]), 'data before fmt', accept());
  c.audio('order_junk_list.wav', riff([['JUNK', Buffer.alloc(28)], ['LIST', Buffer.from('INFOISFT\x05\x00\x00\x00test\x00', 'latin1')], ['fmt ', GOOD_FMT], ['fact', Buffer.alloc(4)], ['data', GOOD_DATA]]), 'JUNK, LIST, fmt, fact, data', accept());
  c.audio('order_odd_chunk_padded.wav', riff([['fmt ', GOOD_FMT], ['odd ', Buffer.alloc(7)], ['data', GOOD_DATA]]), 'odd-sized chunk with its pad byte', accept());
  c.audio('order_odd_chunk_unpadded.wav', riff([['odd ', Buffer.alloc(7)], ['fmt ', GOOD_FMT], ['data', GOOD_DATA]], { pad: false }), 'odd-sized chunk without the pad byte (walk misaligned)', reject('bad_input', "no 'fmt ' chunk"));
  c.audio('order_two_fmt.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 2, rate: 8000, bits: 16 })], ['fmt ', GOOD_FMT], ['data', GOOD_DATA]]), 'two fmt chunks (the later one describes the data)', accept());
  c.audio('order_two_data.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA], ['data', GOOD_DATA]]), 'two data chunks', accept());
  c.audio('order_fmt_after_data_only.wav', riff([['data', GOOD_DATA], ['LIST', Buffer.alloc(4)]]), 'data, no fmt at all', reject('bad_input', "no 'fmt ' chunk"));
  const many: Chunk[] = Array.from({ length: 10_001 }, () => ['JUNK', Buffer.alloc(0)] as Chunk);
  c.audio('order_10001_chunks.wav', riff([...many, ['fmt ', GOOD_FMT], ['data', GOOD_DATA]]), '10,001 empty chunks before fmt', reject('bad_input', 'more than 10000 RIFF chunks'));
  c.audio('order_zero_chunk_ids.wav', riff([['\0\0\0\0', Buffer.alloc(16)], ['fmt ', GOOD_FMT], ['data', GOOD_DATA]]), 'chunk with a NUL id', accept());

  // Containers
  const be = Buffer.alloc(GOOD_DATA.length);
  for (let i = 0; i < GOOD_DATA.length; i += 2) be.writeInt16BE(GOOD_DATA.readInt16LE(i), i);
  const fmtBe = Buffer.alloc(16);
  fmtBe.writeUInt16BE(1, 0); fmtBe.writeUInt16BE(4, 2); fmtBe.writeUInt32BE(48000, 4); fmtBe.writeUInt32BE(384000, 8); fmtBe.writeUInt16BE(8, 12); fmtBe.writeUInt16BE(16, 14);
  c.audio('rifx_valid.wav', riff([['fmt ', fmtBe], ['data', be]], { magic: 'RIFX', bigEndian: true }), 'big-endian RIFX', accept());
  const ds64 = (dataSize: bigint, len = 28) => {
    const b = Buffer.alloc(len);
    if (len >= 16) b.writeBigUInt64LE(dataSize, 8);
    return b;
  };
  c.audio('rf64_valid.wav', riff([['ds64', ds64(BigInt(GOOD_DATA.length))], ['fmt ', GOOD_FMT], ['data', GOOD_DATA, 0xffffffff]], { magic: 'RF64', riffSize: 0xffffffff }), 'RF64 with ds64', accept());
  c.audio('rf64_no_ds64.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA, 0xffffffff]], { magic: 'RF64', riffSize: 0xffffffff }), 'RF64 without ds64', reject('bad_input', "no 'ds64'"));
  c.audio('rf64_ds64_short.wav', riff([['ds64', ds64(0n, 8)], ['fmt ', GOOD_FMT], ['data', GOOD_DATA, 0xffffffff]], { magic: 'RF64', riffSize: 0xffffffff }), 'RF64 ds64 of 8 bytes', reject('bad_input', "'ds64' chunk is truncated"));
  c.audio('rf64_ds64_huge.wav', riff([['ds64', ds64(1n << 62n)], ['fmt ', GOOD_FMT], ['data', GOOD_DATA, 0xffffffff]], { magic: 'RF64', riffSize: 0xffffffff }), 'RF64 declaring 4 EiB of data', accept('truncated'));
  c.audio('bw64_valid.wav', riff([['ds64', ds64(BigInt(GOOD_DATA.length))], ['fmt ', GOOD_FMT], ['data', GOOD_DATA, 0xffffffff]], { magic: 'BW64', riffSize: 0xffffffff }), 'BW64', accept());
  c.audio('riff_avi.wav', riff([['hdrl', Buffer.alloc(8)]], { form: 'AVI ' }), 'RIFF AVI named .wav', reject('unsupported', 'RIFF container of type "AVI "'));
  c.audio('riff_form_nul.wav', riff([['fmt ', GOOD_FMT], ['data', GOOD_DATA]], { form: '\0\0\0\0' }), 'RIFF of form NUL', reject('unsupported', 'RIFF container'));

  // Codecs
  const codecs: [string, number, string][] = [
    ['adpcm', 0x0002, 'Microsoft ADPCM'], ['alaw', 0x0006, 'A-law'], ['mulaw', 0x0007, 'µ-law'], ['ima', 0x0011, 'IMA ADPCM'],
    ['gsm', 0x0031, 'GSM 6.10'], ['mpeg', 0x0050, 'MPEG audio'], ['mp3', 0x0055, 'MP3'], ['wma', 0x0161, 'Windows Media'],
    ['ac3', 0x2000, 'AC-3'], ['vorbis', 0x674f, 'Ogg Vorbis'], ['flac', 0xf1ac, 'FLAC'], ['unknown', 0x1234, 'unknown codec'], ['zero', 0x0000, 'unknown codec'],
  ];
  for (const [name, tag, says] of codecs) {
    c.audio(`codec_${name}.wav`, riff([['fmt ', fmtBody({ tag, channels: 4, rate: 48000, bits: 16 })], ['data', GOOD_DATA]]), `WAV codec tag 0x${tag.toString(16)}`, reject('unsupported', `${says}.*accepted in WAV`));
  }
  c.audio('codec_ext_unknown_guid.wav', riff([['fmt ', fmtBody({ tag: 0xfffe, channels: 4, rate: 48000, bits: 16, extra: extensible(16, Buffer.alloc(16, 0x42)) })], ['data', GOOD_DATA]]), 'EXTENSIBLE with an unknown GUID', reject('unsupported', 'sub-format'));
  c.audio('codec_ext_short.wav', riff([['fmt ', fmtBody({ tag: 0xfffe, channels: 4, rate: 48000, bits: 16, extra: Buffer.alloc(2) })], ['data', GOOD_DATA]]), 'EXTENSIBLE fmt of 18 bytes', reject('bad_input', '40 are required'));
  c.audio('codec_ext_pcm_ok.wav', riff([['fmt ', fmtBody({ tag: 0xfffe, channels: 4, rate: 48000, bits: 16, extra: extensible(16, ksGuid(1)) })], ['data', GOOD_DATA]]), 'EXTENSIBLE PCM', accept());
  c.audio('codec_ext_adpcm.wav', riff([['fmt ', fmtBody({ tag: 0xfffe, channels: 4, rate: 48000, bits: 16, extra: extensible(16, ksGuid(2)) })], ['data', GOOD_DATA]]), 'EXTENSIBLE with the ADPCM GUID', reject('unsupported', 'ADPCM'));
  for (const bits of [0, 33, 48, 64]) {
    c.audio(`pcm_bits_${bits}.wav`, riff([['fmt ', fmtBody({ tag: 1, channels: 4, rate: 48000, bits, blockAlign: 8 })], ['data', GOOD_DATA]]), `${bits}-bit PCM`, reject('unsupported', `${bits}-bit PCM`));
  }
  for (const bits of [16, 24, 80]) {
    c.audio(`float_bits_${bits}.wav`, riff([['fmt ', fmtBody({ tag: 3, channels: 4, rate: 48000, bits, blockAlign: 8 })], ['data', GOOD_DATA]]), `${bits}-bit float`, reject('unsupported', `${bits}-bit IEEE float`));
  }
  c.audio('pcm_bits_20_in_24.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 2, rate: 48000, bits: 20, blockAlign: 6 })], ['data', Buffer.alloc(6 * 100)]]), '20 valid bits in 24-bit containers', accept());
  c.audio('pcm_u8.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 1, rate: 8000, bits: 8 })], ['data', Buffer.alloc(800, 128)]]), '8-bit unsigned PCM', accept());

  // Channel counts and rates
  for (const ch of [0, 257, 1000, 65535]) {
    const expect = ch === 0 ? reject('bad_input', 'declares 0 channels') : reject('unsupported', `${ch} channels; at most 256`);
    c.audio(`channels_${ch}.wav`, riff([['fmt ', fmtBody({ tag: 1, channels: ch, rate: 48000, bits: 16 })], ['data', GOOD_DATA]]), `${ch} channels`, expect);
  }
  c.audio('channels_256.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 256, rate: 48000, bits: 16 })], ['data', Buffer.alloc(256 * 2 * 100)]]), '256 channels (the most accepted)', accept('256 channels'));
  c.audio('channels_3.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 3, rate: 48000, bits: 16 })], ['data', Buffer.alloc(3 * 2 * 4800)]]), '3 channels', accept('spatial models expect 4'));
  for (const rate of [0, 1, 7, 999, 4_000_000, 0xffffffff]) {
    const expect = rate === 0 ? reject('bad_input', 'sample rate of 0 Hz') : rate < 1000 || rate > 1_536_000 ? reject('unsupported', 'sample rate .*Hz.*accepted') : accept();
    c.audio(`rate_${rate}.wav`, riff([['fmt ', fmtBody({ tag: 1, channels: 4, rate, bits: 16 })], ['data', GOOD_DATA]]), `${rate} Hz`, expect);
  }
  c.audio('rate_8000.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 4, rate: 8000, bits: 16 })], ['data', GOOD_DATA]]), '8 kHz', accept());
  c.audio('rate_384000.wav', riff([['fmt ', fmtBody({ tag: 1, channels: 4, rate: 384000, bits: 16 })], ['data', GOOD_DATA]]), '384 kHz', accept());

  // Sample values (float32 and float64, 4 channels)
  const f32 = (name: string, bad: number, at: number, what: string, expect: Expectation) => {
    const v = Array.from({ length: 4 * FRAMES }, (_, i) => 0.1 * Math.sin(i * 0.01));
    v[at] = bad;
    c.audio(name, riff([['fmt ', fmtBody({ tag: 3, channels: 4, rate: 48000, bits: 32 })], ['data', float32Samples(v)]]), what, expect);
  };
  f32('f32_nan_first.wav', Number.NaN, 0, 'NaN in the first sample', reject('bad_input', 'NaN at frame 0.*channel 1.*finite'));
  f32('f32_nan_late.wav', Number.NaN, 4 * 400 + 2, 'NaN at frame 400, channel 3', reject('bad_input', 'NaN at frame 400.*channel 3'));
  f32('f32_posinf.wav', Number.POSITIVE_INFINITY, 4 * 10 + 1, '+Inf', reject('bad_input', '\\+Inf at frame 10.*channel 2'));
  f32('f32_neginf.wav', Number.NEGATIVE_INFINITY, 4 * 479 + 3, '-Inf in the last frame', reject('bad_input', '-Inf at frame 479.*channel 4'));
  f32('f32_denormal.wav', 1e-42, 7, 'a denormal sample', accept());
  f32('f32_max.wav', 3.4e38, 9, 'the largest float32', accept());
  f32('f32_negzero.wav', -0, 9, 'negative zero', accept());
  const allDenormal = Array.from({ length: 4 * FRAMES }, (_, i) => (i % 2 ? 1e-40 : -1e-41));
  c.audio('f32_all_denormal.wav', riff([['fmt ', fmtBody({ tag: 3, channels: 4, rate: 48000, bits: 32 })], ['data', float32Samples(allDenormal)]]), 'every sample denormal', accept());
  const nanPayload = Buffer.alloc(4 * 4 * FRAMES);
  nanPayload.writeUInt32LE(0x7fc00001, 4 * 4 * 5);
  c.audio('f32_nan_payload.wav', riff([['fmt ', fmtBody({ tag: 3, channels: 4, rate: 48000, bits: 32 })], ['data', nanPayload]]), 'a NaN with a payload', reject('bad_input', 'NaN at frame 5'));
  const f64 = Array.from({ length: 4 * FRAMES }, () => 0.25);
  f64[4 * 3] = 1e300;
  c.audio('f64_beyond_f32.wav', riff([['fmt ', fmtBody({ tag: 3, channels: 4, rate: 48000, bits: 64 })], ['data', float64Samples(f64)]]), 'float64 sample 1e300 (beyond float32)', reject('bad_input', 'frame 3.*float32 range'));
  const f64nan = Array.from({ length: 4 * FRAMES }, () => 0.25);
  f64nan[4 * 2 + 1] = Number.NaN;
  c.audio('f64_nan.wav', riff([['fmt ', fmtBody({ tag: 3, channels: 4, rate: 48000, bits: 64 })], ['data', float64Samples(f64nan)]]), 'float64 NaN', reject('bad_input', 'NaN at frame 2.*channel 2'));
  c.audio('pcm_full_scale.wav', riff([['fmt ', GOOD_FMT], ['data', Buffer.alloc(GOOD_DATA.length, 0x80)]]), 'every sample at negative full scale', accept());

  // Random header mutations of a valid file: each either opens or fails with a specific error.
  const rand = rng(9);
  for (let k = 0; k < 24; k++) {
    const b = Buffer.from(GOOD_WAV);
    const flips = 1 + Math.floor(rand() * 4);
    for (let j = 0; j < flips; j++) b[Math.floor(rand() * 44)] = Math.floor(rand() * 256);
    c.audio(`mut_header_${String(k).padStart(2, '0')}.wav`, b, `${flips} random header byte(s) of a valid WAV replaced`, EITHER);
  }
}

/** Random mutations may or may not break the file; either outcome is fine as long as it is clean. */
export const EITHER: Expectation = { outcome: 'accept', warns: '(?:)' };
export function isEither(e: Expectation): boolean {
  return e === EITHER || (e.outcome === 'accept' && e.warns === '(?:)');
}

// ------------------------------------------------------------------------------------------------
// FLAC, Ogg, MP3, other formats

async function codecCorpus(c: Corpus, seeds: string): Promise<void> {
  // FLAC seed: the engine's own libFLAC writer, 4 channels, 16 bit, 0.2 s.
  const flacPath = path.join(seeds, 'seed.flac');
  const n = 9600;
  const planar = [0, 1, 2, 3].map((ch) => Float32Array.from({ length: n }, (_, i) => 0.3 * Math.sin((i + 1) * 0.02 * (ch + 1))));
  await writeAudio(flacPath, planar, 48000, 'flac16');
  const flac = readFileSync(flacPath);
  c.audio('flac_valid.flac', flac, 'valid FLAC (control)', accept());
  for (const cut of [4, 8, 20, 41]) c.audio(`flac_trunc_${cut}.flac`, flac.subarray(0, cut), `FLAC cut inside STREAMINFO (${cut} bytes)`, reject('bad_input', 'truncated inside its STREAMINFO'));
  c.audio('flac_trunc_header_only.flac', flac.subarray(0, 42), 'FLAC with STREAMINFO and nothing else', reject('bad_input', 'no decodable audio'));
  c.audio('flac_trunc_0.3.flac', flac.subarray(0, Math.floor(flac.length * 0.3)), 'FLAC cut inside its first audio frame', reject('bad_input', `no decodable audio frames although the header declares ${n} frames`));
  for (const frac of [0.6, 0.95]) c.audio(`flac_trunc_${frac}.flac`, flac.subarray(0, Math.floor(flac.length * frac)), `FLAC cut at ${frac * 100}%`, accept('ended after|could not be decoded'));
  const streaminfo = (edit: (s: Buffer) => void) => {
    const b = Buffer.from(flac);
    edit(b.subarray(8));
    return b;
  };
  c.audio('flac_not_streaminfo.flac', streaminfo(() => undefined).fill(3, 4, 5), 'first metadata block type 3, not STREAMINFO', reject('bad_input', 'STREAMINFO'));
  const shortLen = Buffer.from(flac);
  shortLen[7] = 10;
  c.audio('flac_streaminfo_short.flac', shortLen, 'STREAMINFO length 10', reject('bad_input', 'STREAMINFO'));
  c.audio('flac_rate_zero.flac', streaminfo((s) => { s[10] = 0; s[11] = 0; s[12] &= 0x0f; }), 'STREAMINFO rate 0', reject('bad_input', 'sample rate of 0 Hz'));
  c.audio('flac_total_huge.flac', streaminfo((s) => { s[13] |= 0x0f; s.writeUInt32BE(0xffffffff, 14); }), 'STREAMINFO declares 2^36 samples', accept('ended after'));
  c.audio('flac_total_zero.flac', streaminfo((s) => { s[13] &= 0xf0; s.writeUInt32BE(0, 14); }), 'STREAMINFO length unknown', accept('does not state the length'));
  c.audio('flac_channels_8.flac', streaminfo((s) => { s[12] = (s[12] & 0xf1) | (7 << 1); }), 'STREAMINFO says 8 channels, frames carry 4', reject('bad_input', 'cannot be decoded|channels|no decodable'));
  c.audio('flac_only_magic.flac', Buffer.from('fLaC'), 'just the fLaC marker', reject('bad_input', 'truncated'));
  c.audio('flac_magic_zeros.flac', Buffer.concat([Buffer.from('fLaC'), Buffer.alloc(200)]), 'fLaC then zeros', reject('bad_input', 'STREAMINFO|no decodable'));
  const frand = rng(11);
  for (let k = 0; k < 12; k++) {
    const b = Buffer.from(flac);
    for (let j = 0; j < 1 + Math.floor(frand() * 20); j++) b[42 + Math.floor(frand() * (b.length - 42))] = Math.floor(frand() * 256);
    c.audio(`flac_mut_${String(k).padStart(2, '0')}.flac`, b, 'random bytes of the FLAC frames replaced', EITHER);
  }
  const zeroFrames = Buffer.from(flac);
  zeroFrames.fill(0, 60);
  c.audio('flac_frames_zeroed.flac', zeroFrames, 'FLAC frames overwritten with zeros', reject('bad_input', 'no decodable audio'));

  // Ogg and MP3 seeds from libsndfile.
  execFileSync(PYTHON, ['-c', String.raw`
import sys, numpy as np, soundfile as sf
d = sys.argv[1]
t = np.arange(9600) / 48000.0
x4 = np.stack([0.3 * np.sin(2 * np.pi * f * t) for f in (440, 660, 880, 1100)], axis=1)
sf.write(d + '/seed.ogg', x4, 48000, format='OGG', subtype='VORBIS')
sf.write(d + '/seed_opus.ogg', x4[:, :2], 48000, format='OGG', subtype='OPUS')
t2 = np.arange(13230) / 44100.0
x2 = np.stack([0.3 * np.sin(2 * np.pi * 500 * t2), 0.3 * np.sin(2 * np.pi * 700 * t2)], axis=1)
sf.write(d + '/seed.mp3', x2, 44100, format='MP3', subtype='MPEG_LAYER_III')
`, seeds], { stdio: ['ignore', 'ignore', 'inherit'] });
  const ogg = readFileSync(path.join(seeds, 'seed.ogg'));
  c.audio('ogg_valid.ogg', ogg, 'valid Ogg Vorbis (control)', accept());
  c.audio('ogg_opus.ogg', readFileSync(path.join(seeds, 'seed_opus.ogg')), 'Ogg Opus', reject('unsupported', 'Opus'));
  for (const cut of [4, 27, 40]) c.audio(`ogg_trunc_${cut}.ogg`, ogg.subarray(0, cut), `Ogg cut in the first page (${cut} bytes)`, reject('bad_input', 'Ogg file is truncated'));
  const firstPage = 27 + ogg[26] + ogg.subarray(27, 27 + ogg[26]).reduce((a, v) => a + v, 0);
  c.audio('ogg_trunc_headers.ogg', ogg.subarray(0, firstPage + 10), 'Ogg cut after the identification page', reject('bad_input', 'no decodable audio|cannot be decoded'));
  c.audio('ogg_trunc_0.5.ogg', ogg.subarray(0, Math.floor(ogg.length * 0.5)), 'Ogg cut inside its setup header (codebooks)', reject('bad_input', 'no decodable audio frames'));
  c.audio('ogg_trunc_0.9.ogg', ogg.subarray(0, Math.floor(ogg.length * 0.9)), 'Ogg cut at 90%', accept());
  const pkt = 27 + ogg[26]; // first packet: 0x01 'vorbis' version(4) channels(1) rate(4)
  const oggEdit = (edit: (b: Buffer) => void) => {
    const b = Buffer.from(ogg);
    edit(b);
    return b;
  };
  c.audio('ogg_channels_zero.ogg', oggEdit((b) => { b[pkt + 11] = 0; }), 'Vorbis header 0 channels', reject('bad_input', '0 channels'));
  c.audio('ogg_rate_zero.ogg', oggEdit((b) => b.writeUInt32LE(0, pkt + 12)), 'Vorbis header rate 0', reject('bad_input', 'sample rate of 0 Hz'));
  c.audio('ogg_rate_huge.ogg', oggEdit((b) => b.writeUInt32LE(0xffffffff, pkt + 12)), 'Vorbis header rate 4 GHz', reject('unsupported', 'sample rate .*Hz.*accepted'));
  c.audio('ogg_channels_255.ogg', oggEdit((b) => { b[pkt + 11] = 255; }), 'Vorbis header 255 channels (CRC now wrong; Vorbis allows 255)', EITHER);
  c.audio('ogg_speex.ogg', oggEdit((b) => b.write('Speex   ', pkt, 'latin1')), 'Ogg with a Speex header', reject('unsupported', 'Speex'));
  c.audio('ogg_theora.ogg', oggEdit((b) => b.write('\x80theora', pkt, 'latin1')), 'Ogg with a Theora header', reject('unsupported', 'Theora'));
  c.audio('ogg_garbage_codec.ogg', oggEdit((b) => b.fill(0x41, pkt, pkt + 8)), 'Ogg with an unknown codec', reject('unsupported', 'unknown codec'));
  c.audio('ogg_granule_negative.ogg', oggEdit((b) => { for (let i = b.length - 200; i < b.length - 27; i++) if (b.toString('latin1', i, i + 4) === 'OggS') b.writeBigInt64LE(-5n, i + 6); }), 'last page granule −5', accept());
  const orand = rng(13);
  for (let k = 0; k < 10; k++) {
    const b = Buffer.from(ogg);
    for (let j = 0; j < 1 + Math.floor(orand() * 16); j++) b[pkt + 40 + Math.floor(orand() * (b.length - pkt - 40))] = Math.floor(orand() * 256);
    c.audio(`ogg_mut_${String(k).padStart(2, '0')}.ogg`, b, 'random bytes of the Ogg pages replaced', EITHER);
  }

  const mp3 = readFileSync(path.join(seeds, 'seed.mp3'));
  c.audio('mp3_valid.mp3', mp3, 'valid MP3 (control)', accept());
  const id3 = (size: number, body: Buffer) => {
    const h = Buffer.from([0x49, 0x44, 0x33, 4, 0, 0, (size >> 21) & 0x7f, (size >> 14) & 0x7f, (size >> 7) & 0x7f, size & 0x7f]);
    return Buffer.concat([h, body]);
  };
  c.audio('mp3_id3_ok.mp3', id3(20, Buffer.concat([Buffer.alloc(20), mp3])), 'ID3v2 tag then MP3', accept());
  c.audio('mp3_id3_beyond_eof.mp3', id3(0x0fffffff, Buffer.alloc(50)), 'ID3v2 tag declaring 256 MiB in a 60-byte file', reject('bad_input', 'ID3.*beyond the end'));
  c.audio('mp3_id3_then_text.mp3', id3(10, Buffer.concat([Buffer.alloc(10), Buffer.from('hello, this is not audio at all')])), 'ID3v2 tag then text', reject('bad_input', 'not an audio file'));
  c.audio('mp3_id3_only.mp3', id3(100, Buffer.alloc(100)), 'ID3v2 tag and nothing after it', reject('bad_input', 'no audio after|empty|no MPEG audio frame|not an audio file'));
  c.audio('mp3_one_header.mp3', mp3.subarray(0, 4), 'a single MPEG frame header', reject('bad_input', 'no MPEG audio frame|no decodable'));
  c.audio('mp3_free_format.mp3', Buffer.concat([Buffer.from([0xff, 0xfb, 0x00, 0x44]), Buffer.alloc(2000)]), 'free-format bitrate frame', reject('bad_input', 'no MPEG audio frame'));
  c.audio('mp3_sync_garbage.mp3', Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x44]), Buffer.alloc(300, 0xff)]), 'sync word then 0xFF bytes', reject('bad_input', 'no MPEG audio frame|no decodable'));
  for (const frac of [0.1, 0.5]) c.audio(`mp3_trunc_${frac}.mp3`, mp3.subarray(0, Math.floor(mp3.length * frac)), `MP3 cut at ${frac * 100}%`, EITHER);
  const mrand = rng(17);
  for (let k = 0; k < 10; k++) {
    const b = Buffer.from(mp3);
    for (let j = 0; j < 1 + Math.floor(mrand() * 30); j++) b[200 + Math.floor(mrand() * (b.length - 200))] = Math.floor(mrand() * 256);
    c.audio(`mp3_mut_${String(k).padStart(2, '0')}.mp3`, b, 'random bytes of the MP3 frames replaced', EITHER);
  }

  // Wrong extensions: the content decides.
  c.audio('ext_wav_as.mp3', GOOD_WAV, 'valid WAV named .mp3', accept());
  c.audio('ext_flac_as.wav', flac, 'valid FLAC named .wav', accept());
  c.audio('ext_ogg_as.flac', ogg, 'valid Ogg named .flac', accept());
  c.audio('ext_mp3_as.ogg', mp3, 'valid MP3 named .ogg', accept());
  c.audio('ext_noext', GOOD_WAV, 'valid WAV without extension', accept());
  const others: [string, Buffer, 'bad_input' | 'unsupported', string][] = [
    ['pdf.wav', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(200)]), 'bad_input', 'PDF'],
    ['png.wav', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]), Buffer.alloc(200)]), 'bad_input', 'PNG'],
    ['jpeg.flac', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(200)]), 'bad_input', 'JPEG'],
    ['zip.ogg', Buffer.concat([Buffer.from('PK\x03\x04', 'latin1'), Buffer.alloc(200)]), 'bad_input', 'ZIP'],
    ['elf.mp3', Buffer.concat([Buffer.from('\x7fELF', 'latin1'), Buffer.alloc(200)]), 'bad_input', 'ELF'],
    ['gzip.wav', Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(200)]), 'bad_input', 'gzip'],
    ['gif.wav', Buffer.concat([Buffer.from('GIF89a'), Buffer.alloc(200)]), 'bad_input', 'GIF'],
    ['text.wav', Buffer.from('timestamp,label\n0.0,Speech\n'), 'bad_input', 'looks like text'],
    ['utf8_text.wav', Buffer.from('Grüße — ünïcödé text ✓\n'.repeat(5)), 'bad_input', 'looks like text'],
    ['aiff.wav', Buffer.concat([Buffer.from('FORM\0\0\0\x40AIFF', 'latin1'), Buffer.alloc(64)]), 'unsupported', 'AIFF'],
    ['caf.wav', Buffer.concat([Buffer.from('caff\0\x01\0\0', 'latin1'), Buffer.alloc(64)]), 'unsupported', 'CAF'],
    ['mkv.wav', Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(64)]), 'unsupported', 'Matroska'],
    ['mp4.wav', Buffer.concat([Buffer.from('\0\0\0\x20ftypM4A ', 'latin1'), Buffer.alloc(64)]), 'unsupported', 'MP4'],
    ['au.wav', Buffer.concat([Buffer.from('.snd', 'latin1'), Buffer.alloc(64)]), 'unsupported', 'Sun/NeXT'],
    ['wavpack.wav', Buffer.concat([Buffer.from('wvpk', 'latin1'), Buffer.alloc(64)]), 'unsupported', 'WavPack'],
    ['w64.wav', Buffer.concat([Buffer.from('riff\x2e\x91\xcf\x11', 'latin1'), Buffer.alloc(64)]), 'bad_input', 'match no audio format'],
    ['zeros.wav', Buffer.alloc(4096), 'bad_input', 'match no audio format'],
    // SOFA files are HDF5: no SOFA reader exists in the engine yet, so they must be refused as audio with a hint.
    ['hrtf.sofa', Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(512)]), 'bad_input', 'HDF5.*SOFA'],
    ['hrtf_truncated.sofa', Buffer.from('\x89HDF', 'latin1'), 'bad_input', 'HDF5.*SOFA'],
    ['hrtf_as.wav', Buffer.concat([Buffer.from('\x89HDF\r\n\x1a\n', 'latin1'), Buffer.alloc(64)]), 'bad_input', 'HDF5'],
  ];
  for (const [name, bytes, code, says] of others) c.audio(`other_${name}`, bytes, `not audio we read: ${says}`, reject(code, says));
  const grand = rng(23);
  for (let k = 0; k < 12; k++) {
    const len = Math.floor(grand() * 3000);
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(grand() * 256);
    c.audio(`random_${String(k).padStart(2, '0')}.wav`, b, `${len} random bytes`, EITHER);
  }
}

// ------------------------------------------------------------------------------------------------
// Models: manifests and ONNX files for the registry's validation

function varint(n: number | bigint): Buffer {
  let v = BigInt(n);
  const out: number[] = [];
  do {
    let b = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) b |= 0x80;
    out.push(b);
  } while (v > 0n);
  return Buffer.from(out);
}
const tag = (field: number, wire: number) => varint(field * 8 + wire);
const len = (field: number, body: Buffer) => Buffer.concat([tag(field, 2), varint(body.length), body]);
const vint = (field: number, v: number) => Buffer.concat([tag(field, 0), varint(v)]);

type Dim = number | string;
function valueInfo(name: string, elem: number, dims: Dim[]): Buffer {
  const shape = Buffer.concat(dims.map((d) => len(1, typeof d === 'number' ? vint(1, d) : len(2, Buffer.from(d)))));
  const tensor = Buffer.concat([vint(1, elem), len(2, shape)]);
  return Buffer.concat([len(1, Buffer.from(name)), len(2, len(1, tensor))]);
}

/** A minimal ModelProto: ir_version, and a graph that declares inputs/outputs (no nodes). */
export function onnxModel(inputs: [string, number, Dim[]][], outputs: [string, number, Dim[]][], extraGraph: Buffer[] = []): Buffer {
  const graph = Buffer.concat([
    len(2, Buffer.from('corpus')),
    ...extraGraph,
    ...inputs.map(([n, e, d]) => len(11, valueInfo(n, e, d))),
    ...outputs.map(([n, e, d]) => len(12, valueInfo(n, e, d))),
  ]);
  return Buffer.concat([vint(1, 8), len(2, Buffer.from('s5-corpus')), len(7, graph)]);
}

const TAGGER_IO = onnxModel([['mixture', 1, ['batch', 4, 'samples']]], [['probabilities', 1, ['batch', 18]]]);

function sha(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex');
}

function taggerManifest(id: string, onnx: Buffer): Record<string, unknown> {
  const real = path.resolve(__dirname, '../../models/s5-tag-small-v2/manifest.json');
  const m = JSON.parse(readFileSync(real, 'utf8')) as Record<string, unknown>;
  return { ...m, id, sha256: sha(onnx), onnx_file: 'model.onnx' };
}

function modelCorpus(c: Corpus): void {
  const put = (id: string, what: string, expect: Expectation, edit: (m: Record<string, any>) => void = () => undefined, onnx: Buffer = TAGGER_IO, extra: Record<string, Buffer | string> = {}) => {
    const m = taggerManifest(id, onnx);
    edit(m);
    c.model(id, { 'manifest.json': JSON.stringify(m, null, 1), 'model.onnx': onnx, ...extra }, what, expect);
  };
  const bad = (says: string) => reject('bad_input', says);
  put('m-valid', 'a valid tagger manifest with a matching ONNX graph (control)', accept());
  put('m-valid-bom', 'manifest saved with a UTF-8 byte-order mark', accept(), () => undefined, TAGGER_IO, {});
  // overwrite the BOM case's manifest with a BOM in front
  const bomDir = path.join(c.root, 'models', 'm-valid-bom', 'manifest.json');
  writeFileSync(bomDir, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), readFileSync(bomDir)]));

  c.model('m-no-manifest', { 'model.onnx': TAGGER_IO }, 'no manifest.json', bad('manifest.json: missing'));
  c.model('m-empty-manifest', { 'manifest.json': '', 'model.onnx': TAGGER_IO }, 'empty manifest.json', bad('not valid JSON'));
  c.model('m-not-json', { 'manifest.json': '{"id": "m-not-json",', 'model.onnx': TAGGER_IO }, 'truncated JSON', bad('not valid JSON'));
  c.model('m-json-null', { 'manifest.json': 'null', 'model.onnx': TAGGER_IO }, 'manifest is null', bad('manifest.json'));
  c.model('m-json-array', { 'manifest.json': '[1,2,3]', 'model.onnx': TAGGER_IO }, 'manifest is an array', bad('manifest.json'));
  c.model('m-json-string', { 'manifest.json': '"tagger"', 'model.onnx': TAGGER_IO }, 'manifest is a string', bad('manifest.json'));
  c.model('m-deep-nesting', { 'manifest.json': '['.repeat(100_000) + ']'.repeat(100_000), 'model.onnx': TAGGER_IO }, '100,000 nested arrays', bad('manifest.json'));
  c.model('m-binary', { 'manifest.json': Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80]), 'model.onnx': TAGGER_IO }, 'binary manifest', bad('not valid JSON'));
  c.model('m-manifest-dir', { 'manifest.json/': '', 'model.onnx': TAGGER_IO }, 'manifest.json is a folder', bad('manifest.json: cannot be read'));

  put('m-schema-2', 'schema_version 2', bad("field 'schema_version'"), (m) => (m.schema_version = 2));
  put('m-no-id', 'id missing', bad("missing field 'id'"), (m) => delete m.id);
  put('m-id-upper', 'id with capitals (folder name differs too)', bad("field 'id'"), (m) => (m.id = 'M-Upper'));
  put('m-id-traversal', "id '../evil'", bad("field 'id'"), (m) => (m.id = '../evil'));
  put('m-id-long', 'id of 65 characters', bad("field 'id'"), (m) => (m.id = 'a'.repeat(65)));
  put('m-id-mismatch', 'id differs from the folder name', bad('differs from its folder name'), (m) => (m.id = 'someone-else'));
  put('m-name-empty', 'empty name', bad("field 'name'"), (m) => (m.name = ''));
  put('m-kind-bad', "kind 'vocoder'", bad("field 'kind'"), (m) => (m.kind = 'vocoder'));
  put('m-task-bad', "task 'dcase2024t4'", bad("field 'task'"), (m) => (m.task = 'dcase2024t4'));
  put('m-labels-empty', 'no labels', bad("field 'labels'"), (m) => (m.labels = []));
  put('m-labels-unknown', "label 'Dog'", bad("field 'labels\\[0\\]'"), (m) => (m.labels[0] = 'Dog'));
  put('m-labels-dup', 'a label twice', bad('labels lists a class twice'), (m) => (m.labels[1] = m.labels[0]));
  put('m-rate-zero', 'sample_rate 0', bad("field 'sample_rate'"), (m) => (m.sample_rate = 0));
  put('m-rate-negative', 'sample_rate −16000', bad("field 'sample_rate'"), (m) => (m.sample_rate = -16000));
  put('m-rate-fraction', 'sample_rate 16000.5', bad("field 'sample_rate'"), (m) => (m.sample_rate = 16000.5));
  put('m-rate-string', "sample_rate '16000'", bad("field 'sample_rate'"), (m) => (m.sample_rate = '16000'));
  put('m-rate-huge', 'sample_rate 1e308', bad("field 'sample_rate'"), (m) => (m.sample_rate = 1e308));
  put('m-window-zero', 'window_seconds 0', bad("field 'window_seconds'"), (m) => (m.window_seconds = 0));
  put('m-window-odd', 'window_seconds 0.00001 (not a whole number of samples)', bad('whole number of samples'), (m) => (m.window_seconds = 0.00001));
  put('m-channels-zero', 'channels 0', bad("field 'channels'"), (m) => (m.channels = 0));
  put('m-channels-mismatch', 'channels 2, input declares 4', bad('channel dimension is 4'), (m) => (m.channels = 2));
  put('m-format-bad', "channel_format 'hoa3'", bad("field 'channel_format'"), (m) => (m.channel_format = 'hoa3'));
  put('m-slots-zero', 'slots 0', bad("field 'slots'"), (m) => (m.slots = 0));
  put('m-inputs-empty', 'no inputs', bad("field 'inputs'"), (m) => (m.inputs = []));
  put('m-inputs-negative-dim', 'input dimension −4', bad("field 'inputs\\[0\\]\\.shape\\[1\\]'"), (m) => (m.inputs[0].shape[1] = -4));
  put('m-inputs-float16', 'input dtype float16', bad("field 'inputs\\[0\\]\\.dtype'"), (m) => (m.inputs[0].dtype = 'float16'));
  put('m-inputs-rank', 'input of rank 2', bad('must be \\[batch, channels, samples\\]'), (m) => (m.inputs[0].shape = ['batch', 4]));
  put('m-outputs-missing', 'outputs missing', bad("missing field 'outputs'"), (m) => delete m.outputs);
  put('m-no-decision', 'tagger without decision rule', bad('decision'), (m) => delete m.decision);
  put('m-decision-threshold', 'decision threshold 2', bad("field 'decision\\.threshold'"), (m) => (m.decision.threshold = 2));
  put('m-decision-minmax', 'min_events > max_events', bad('min_events must not exceed max_events'), (m) => (m.decision = { threshold: 0.5, min_events: 3, max_events: 1 }));
  put('m-decision-too-many', 'max_events 40 > 18 labels', bad('exceeds the 18 labels'), (m) => (m.decision.max_events = 40));
  put('m-onnx-traversal', "onnx_file '../model.onnx'", bad('must be a file name inside the model folder'), (m) => (m.onnx_file = '../model.onnx'));
  put('m-onnx-absolute', "onnx_file '/etc/passwd'", bad('must be a file name inside the model folder'), (m) => (m.onnx_file = '/etc/passwd'));
  put('m-onnx-subdir', "onnx_file 'sub/model.onnx'", bad('must be a file name inside the model folder'), (m) => (m.onnx_file = 'sub/model.onnx'));
  put('m-onnx-dotdot', "onnx_file '..'", bad('must be a file name inside the model folder'), (m) => (m.onnx_file = '..'));
  put('m-onnx-dot', "onnx_file '.'", bad('must be a file name inside the model folder'), (m) => (m.onnx_file = '.'));
  put('m-onnx-empty', "onnx_file ''", bad('must be a file name inside the model folder'), (m) => (m.onnx_file = ''));
  put('m-onnx-missing', "onnx_file 'other.onnx' (absent)", bad('missing \\(named by the manifest'), (m) => (m.onnx_file = 'other.onnx'));
  put('m-sha-upper', 'sha256 in capitals', bad("field 'sha256'"), (m) => (m.sha256 = String(m.sha256).toUpperCase()));
  put('m-sha-short', 'sha256 of 63 digits', bad("field 'sha256'"), (m) => (m.sha256 = String(m.sha256).slice(1)));
  put('m-sha-mismatch', 'sha256 of another file', bad('sha256 is .* but the manifest says'), (m) => (m.sha256 = '0'.repeat(64)));
  put('m-params-negative', 'params −1', bad("field 'params'"), (m) => (m.params = -1));
  put('m-provenance-missing', 'provenance missing', bad("missing field 'provenance'"), (m) => delete m.provenance);
  put('m-licence-empty', 'empty licence', bad("field 'licence'"), (m) => (m.licence = ''));
  put('m-metrics-strings', 'metrics with a string value', bad("field 'metrics\\.loss'"), (m) => (m.metrics = { loss: 'low' }));
  c.model('m-proto-pollution', {
    'manifest.json': JSON.stringify(taggerManifest('m-proto-pollution', TAGGER_IO)).replace(/^\{/, '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}},'),
    'model.onnx': TAGGER_IO,
  }, '__proto__ and constructor keys in the manifest', accept());

  // ONNX files (manifest hash always matches, so the graph reader is what decides)
  const withOnnx = (id: string, onnx: Buffer, what: string, says: string) => put(id, what, bad(says), () => undefined, onnx);
  withOnnx('o-empty', Buffer.alloc(0), 'empty ONNX file', 'not a readable ONNX model');
  withOnnx('o-text', Buffer.from('this is not a model\n'), 'text file named model.onnx', 'not a readable ONNX model');
  withOnnx('o-zeros', Buffer.alloc(1000), '1000 zero bytes', 'not a readable ONNX model');
  withOnnx('o-truncated-half', TAGGER_IO.subarray(0, TAGGER_IO.length >> 1), 'ONNX cut in half', 'not a readable ONNX model');
  withOnnx('o-truncated-1', TAGGER_IO.subarray(0, TAGGER_IO.length - 1), 'ONNX missing its last byte', 'not a readable ONNX model');
  withOnnx('o-varint-long', Buffer.from([0x38, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]), 'an 11-byte varint', 'not a readable ONNX model');
  withOnnx('o-len-huge', Buffer.concat([tag(7, 2), varint(2n ** 60n), Buffer.alloc(10)]), 'graph field declaring 2^60 bytes', 'not a readable ONNX model');
  withOnnx('o-wire-3', Buffer.concat([tag(7, 3), Buffer.alloc(10)]), 'protobuf group (wire type 3)', 'not a readable ONNX model');
  withOnnx('o-wire-7', Buffer.from([0x0f, 0, 0]), 'wire type 7', 'not a readable ONNX model');
  withOnnx('o-no-graph', Buffer.concat([vint(1, 8), len(2, Buffer.from('x'))]), 'ModelProto without a graph', 'no graph found');
  withOnnx('o-no-outputs', onnxModel([['mixture', 1, ['batch', 4, 'samples']]], []), 'graph without outputs', 'declares no outputs');
  withOnnx('o-input-name', onnxModel([['audio', 1, ['batch', 4, 'samples']]], [['probabilities', 1, ['batch', 18]]]), "input named 'audio'", "named 'audio' in the model but 'mixture'");
  withOnnx('o-input-dtype', onnxModel([['mixture', 11, ['batch', 4, 'samples']]], [['probabilities', 1, ['batch', 18]]]), 'input float64', 'float64 in the model but float32');
  withOnnx('o-input-rank', onnxModel([['mixture', 1, ['batch', 'samples']]], [['probabilities', 1, ['batch', 18]]]), 'input rank 2', 'rank 2 vs 3');
  withOnnx('o-input-dim', onnxModel([['mixture', 1, ['batch', 2, 'samples']]], [['probabilities', 1, ['batch', 18]]]), 'input with 2 channels', 'dimension 1 is 2 in the model but 4');
  withOnnx('o-output-fixed', onnxModel([['mixture', 1, [1, 4, 'samples']]], [['probabilities', 1, ['batch', 18]]]), 'batch fixed to 1 in the graph', 'fixed to 1 in the model but the manifest declares it variable');
  withOnnx('o-two-outputs', onnxModel([['mixture', 1, ['batch', 4, 'samples']]], [['probabilities', 1, ['batch', 18]], ['extra', 1, ['batch']]]), 'two outputs', 'the model has 2 outputs');
  withOnnx('o-elem-unknown', onnxModel([['mixture', 99, ['batch', 4, 'samples']]], [['probabilities', 1, ['batch', 18]]]), 'element type 99', 'type99 in the model');
  withOnnx('o-dim-huge', onnxModel([['mixture', 1, ['batch', 2 ** 52, 'samples']]], [['probabilities', 1, ['batch', 18]]]), 'dimension 2^52', 'dimension 1 is 4503599627370496');
  const realOnnx = path.resolve(__dirname, '../../models/s5-tag-small-v2/model.onnx');
  if (existsSync(realOnnx)) {
    const real = readFileSync(realOnnx);
    for (const frac of [0.001, 0.5]) {
      const cut = real.subarray(0, Math.floor(real.length * frac));
      withOnnx(`o-real-cut-${frac}`, cut, `the shipped tagger's ONNX cut at ${frac * 100}%`, 'not a readable ONNX model');
    }
  }
  c.model('o-onnx-dir', { 'manifest.json': JSON.stringify(taggerManifest('o-onnx-dir', TAGGER_IO)), 'model.onnx/': '' }, 'model.onnx is a folder', bad('model.onnx: cannot be read'));
}

/** Builds the whole corpus into `root` (created); returns its entries (also written to corpus.json). */
export async function makeCorpus(root: string): Promise<CorpusEntry[]> {
  const c = new Corpus(root);
  const seeds = path.join(root, 'seeds');
  mkdirSync(seeds, { recursive: true });
  wavCorpus(c);
  await codecCorpus(c, seeds);
  modelCorpus(c);
  writeFileSync(path.join(root, 'corpus.json'), JSON.stringify(c.entries, null, 1));
  return c.entries;
}

if (require.main === module) {
  const out = process.argv[2];
  if (!out) {
    process.stderr.write('usage: tsx test/corpus/make-corpus.ts OUT_DIR\n');
    process.exit(2);
  }
  makeCorpus(path.resolve(out)).then(
    (entries) => process.stdout.write(`${entries.length} corpus entries in ${out}\n`),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
