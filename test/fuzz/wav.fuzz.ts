/**
 * Property-based fuzzing of the WAV parser (src/engine/audio/wav.ts) with fast-check, on real
 * files (one scratch file rewritten per case):
 *   1. arbitrary bytes, and byte-level mutations of valid headers (corpus-style seeds): the parser
 *      either returns a layout that is consistent with the file, whose samples decode to finite
 *      values in range, or throws an S5Error (bad_input / unsupported) that carries the file in
 *      `file` and says what is wrong without repeating the path;
 *   2. round trip: a WAV built here from arbitrary format fields and sample codes decodes to the
 *      values computed independently (code / 2^(bits−1), u8 offset by 128, floats as stored).
 */
import { open, writeFile } from 'node:fs/promises';
import fc from 'fast-check';
import { decodeWavSamples, parseWavHeader, type WavLayout } from '../../src/engine/audio/wav';
import { S5Error } from '../../src/shared/errors';
import { GOOD_WAV, extensible, fmtBody, ksGuid, riff, type Chunk } from '../corpus/make-corpus';

/** Parses `bytes` written to `file`; returns the layout or the S5Error (anything else throws). */
export async function parseBytes(file: string, bytes: Uint8Array): Promise<WavLayout | S5Error> {
  await writeFile(file, bytes);
  const fh = await open(file, 'r');
  try {
    return await parseWavHeader(fh, bytes.length, file);
  } catch (e) {
    if (e instanceof S5Error) return e;
    throw e;
  } finally {
    await fh.close();
  }
}

/** The checks every outcome must pass; returns a problem or null. */
export function checkOutcome(file: string, bytes: Uint8Array, r: WavLayout | S5Error): string | null {
  if (r instanceof S5Error) {
    if (r.code !== 'bad_input' && r.code !== 'unsupported') return `code ${r.code}`;
    if (r.file !== file) return 'error.file is not the file';
    if (r.message.includes(file)) return `message repeats the path: ${r.message}`;
    if (r.message.length < 10) return `message too short: ${r.message}`;
    return null;
  }
  if (!(r.channels >= 1 && r.channels <= 256)) return `channels ${r.channels}`;
  if (!(r.sampleRate >= 1)) return `rate ${r.sampleRate}`;
  if (r.blockAlign !== r.channels * r.bytesPerSample) return 'blockAlign inconsistent';
  if (!(r.frames >= 1)) return `frames ${r.frames}`;
  if (r.dataOffset + r.frames * r.blockAlign > bytes.length) return 'layout runs past the end of the file';
  const src = bytes.slice(r.dataOffset, r.dataOffset + r.frames * r.blockAlign);
  const out = Array.from({ length: r.channels }, () => new Float32Array(r.frames));
  decodeWavSamples(src, r, r.frames, out, 0);
  if (r.kind === 'int') {
    for (const ch of out) for (const v of ch) if (!(v >= -1 && v < 1)) return `integer sample decoded to ${v}`;
  }
  return null;
}

const chunkId = fc.constantFrom('fmt ', 'data', 'LIST', 'JUNK', 'ds64', 'fact', 'id3 ', '\0\0\0\0');
const fmtArb = fc.record({
  tag: fc.constantFrom(0, 1, 2, 3, 6, 7, 0x55, 0xfffe, 0xffff),
  channels: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 65535 })),
  rate: fc.oneof(fc.constantFrom(0, 1, 8000, 48000, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff })),
  bits: fc.constantFrom(0, 1, 8, 12, 16, 20, 24, 32, 33, 64, 80),
  blockAlign: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
});

/** Structured files: random chunk lists with random (often wrong) size fields. */
const structured = fc
  .tuple(
    fc.constantFrom('RIFF', 'RIFX', 'RF64', 'BW64'),
    fc.array(
      fc.oneof(
        fmtArb.map((f): Chunk => ['fmt ', fmtBody({ ...f, extra: f.tag === 0xfffe ? extensible(f.bits, ksGuid(1)) : undefined })]),
        fc.tuple(chunkId, fc.uint8Array({ maxLength: 64 }), fc.option(fc.constantFrom(0, 1, 0xffffffff, 0x7fffffff), { nil: undefined }))
          .map(([id, body, size]): Chunk => [id, Buffer.from(body), size]),
      ),
      { maxLength: 5 },
    ),
    fc.boolean(),
  )
  .map(([magic, chunks, pad]) => new Uint8Array(riff(chunks, { magic, pad })));

/** Mutations of a valid WAV: overwrite, insert, delete or truncate. */
const mutated = fc
  .tuple(
    fc.array(fc.tuple(fc.nat({ max: 60 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    fc.option(fc.nat({ max: GOOD_WAV.length }), { nil: undefined }),
  )
  .map(([edits, cut]) => {
    const b = new Uint8Array(GOOD_WAV);
    for (const [at, v] of edits) b[at] = v;
    return cut === undefined ? b : b.subarray(0, cut);
  });

export function wavBytesArbitrary(): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
    { weight: 3, arbitrary: structured },
    { weight: 3, arbitrary: mutated },
  );
}

/** Property 1: never anything but a consistent layout or a specific S5Error. */
export async function fuzzWavParser(file: string, runs: number, seed?: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(wavBytesArbitrary(), async (bytes) => {
      const problem = checkOutcome(file, bytes, await parseBytes(file, bytes));
      if (problem) throw new Error(problem);
    }),
    { numRuns: runs, ...(seed !== undefined ? { seed } : {}) },
  );
}

type Enc = { tag: 1 | 3; bits: 8 | 16 | 24 | 32 | 64; extensible: boolean };
const encArb: fc.Arbitrary<Enc> = fc.oneof(
  fc.record({ tag: fc.constant(1 as const), bits: fc.constantFrom(8 as const, 16 as const, 24 as const, 32 as const), extensible: fc.boolean() }),
  fc.record({ tag: fc.constant(3 as const), bits: fc.constantFrom(32 as const, 64 as const), extensible: fc.boolean() }),
);

/** Property 2: independently encoded samples decode to the expected float values. */
export async function fuzzWavRoundTrip(file: string, runs: number, seed?: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      encArb,
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1000, max: 192000 }),
      fc.boolean(),
      fc.infiniteStream(fc.double({ min: -1, max: 1, noNaN: true })),
      async (enc, channels, frames, rate, dataFirst, values) => {
        const bps = enc.bits / 8;
        const data = Buffer.alloc(channels * frames * bps);
        const expected: number[] = [];
        for (let i = 0; i < channels * frames; i++) {
          const x = values.next().value as number;
          const o = i * bps;
          if (enc.tag === 3) {
            if (bps === 4) {
              data.writeFloatLE(x, o);
              expected.push(Math.fround(x));
            } else {
              data.writeDoubleLE(x, o);
              expected.push(Math.fround(x));
            }
          } else {
            const full = 2 ** (enc.bits - 1);
            const code = Math.max(-full, Math.min(full - 1, Math.round(x * full)));
            if (bps === 1) data[o] = code + 128;
            else data.writeIntLE(code, o, bps);
            expected.push(Math.fround(code / full));
          }
        }
        const fmt = fmtBody({
          tag: enc.extensible ? 0xfffe : enc.tag,
          channels,
          rate,
          bits: enc.bits,
          extra: enc.extensible ? extensible(enc.bits, ksGuid(enc.tag)) : undefined,
        });
        const chunks: Chunk[] = dataFirst ? [['data', data], ['fmt ', fmt]] : [['fmt ', fmt], ['data', data]];
        const bytes = new Uint8Array(riff(chunks));
        const r = await parseBytes(file, bytes);
        if (r instanceof S5Error) throw new Error(`valid file refused: ${r.message}`);
        if (r.channels !== channels || r.frames !== frames || r.sampleRate !== rate) throw new Error('wrong layout');
        const out = Array.from({ length: channels }, () => new Float32Array(frames));
        decodeWavSamples(bytes.subarray(r.dataOffset), r, frames, out, 0);
        for (let f = 0; f < frames; f++) {
          for (let c = 0; c < channels; c++) {
            const want = expected[f * channels + c];
            if (out[c][f] !== want) throw new Error(`frame ${f} channel ${c}: ${out[c][f]} ≠ ${want}`);
          }
        }
        if (r.warnings.length !== 0) throw new Error(`warnings for a valid file: ${r.warnings.join('; ')}`);
      },
    ),
    { numRuns: runs, ...(seed !== undefined ? { seed } : {}) },
  );
}
