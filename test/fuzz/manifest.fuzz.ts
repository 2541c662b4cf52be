/**
 * Property-based fuzzing of model validation (src/engine/models/validate.ts, onnx-io.ts):
 *   - manifests: arbitrary JSON, and a valid manifest with one field deleted or replaced by an
 *     arbitrary JSON value, written into a real model folder with a matching ONNX file:
 *     validateModelFolder never throws; a refused model has errors that each name a file of the
 *     folder; an accepted one parses with the schema and its fields equal what was written;
 *   - ONNX graphs: arbitrary bytes and byte mutations of a valid graph: readOnnxIo either returns
 *     inputs/outputs or throws OnnxFormatError, nothing else, and stays within the file.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import { OnnxFormatError, readOnnxIo } from '../../src/engine/models/onnx-io';
import { validateModelFolder } from '../../src/engine/models/validate';
import { ModelManifestSchema } from '../../src/shared/manifest';
import { onnxModel } from '../corpus/make-corpus';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

const ONNX = onnxModel([['mixture', 1, ['batch', 4, 'samples']]], [['probabilities', 1, ['batch', 18]]]);
const SHA = createHash('sha256').update(ONNX).digest('hex');

function baseManifest(id: string): Record<string, unknown> {
  const real = path.resolve(__dirname, '../../models/s5-tag-small-v2/manifest.json');
  return { ...(JSON.parse(readFileSync(real, 'utf8')) as Record<string, unknown>), id, sha256: SHA, onnx_file: 'model.onnx' };
}

const FIELDS = Object.keys(baseManifest('x'));

const manifestArb = fc.oneof(
  { weight: 1, arbitrary: fc.jsonValue().map((v) => ({ text: JSON.stringify(v) ?? 'null', kind: 'json' as const })) },
  {
    weight: 3,
    arbitrary: fc
      .tuple(fc.constantFrom(...FIELDS), fc.oneof(fc.constant(undefined), fc.jsonValue()))
      .map(([field, value]) => {
        const m = baseManifest('fuzz');
        if (value === undefined) delete m[field];
        else m[field] = value;
        return { text: JSON.stringify(m), kind: 'edit' as const };
      }),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((text) => ({ text, kind: 'text' as const })) },
);

export async function fuzzManifestValidation(scratch: string, runs: number, seed?: number): Promise<void> {
  const dir = path.join(scratch, 'fuzz');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'model.onnx'), ONNX);
  await fc.assert(
    fc.asyncProperty(manifestArb, async ({ text }) => {
      await writeFile(path.join(dir, 'manifest.json'), text);
      const entry = await validateModelFolder(dir, 'user');
      if (entry.valid) {
        if (entry.errors.length) throw new Error('valid with errors');
        const parsed = ModelManifestSchema.safeParse(JSON.parse(text));
        if (!parsed.success) throw new Error('accepted a manifest the schema refuses');
        if (entry.onnxPath !== path.join(dir, 'model.onnx')) throw new Error(`ONNX path escaped the folder: ${entry.onnxPath}`);
      } else {
        if (entry.errors.length === 0) throw new Error('invalid without an error');
        for (const e of entry.errors) if (!e.startsWith(dir + path.sep)) throw new Error(`error does not name a file of the folder: ${e}`);
      }
      if (entry.onnxPath !== null && path.dirname(entry.onnxPath) !== dir) throw new Error(`onnxPath outside the folder: ${entry.onnxPath}`);
    }),
    { numRuns: runs, ...(seed !== undefined ? { seed } : {}) },
  );
}

const onnxBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .array(fc.tuple(fc.nat({ max: ONNX.length - 1 }), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 })
    .chain((edits) => fc.option(fc.nat({ max: ONNX.length }), { nil: undefined }).map((cut) => [edits, cut] as const))
    .map(([edits, cut]) => {
      const b = Buffer.from(ONNX);
      for (const [at, v] of edits) b[at] = v;
      return new Uint8Array(cut === undefined ? b : b.subarray(0, cut));
    }),
);

export async function fuzzOnnxReader(scratch: string, runs: number, seed?: number): Promise<void> {
  const file = path.join(scratch, 'fuzz.onnx');
  await fc.assert(
    fc.asyncProperty(onnxBytes, async (bytes) => {
      await writeFile(file, bytes);
      try {
        const io = await readOnnxIo(file);
        if (io.outputs.length === 0) throw new Error('returned no outputs');
        for (const t of [...io.inputs, ...io.outputs]) {
          if (typeof t.name !== 'string') throw new Error('tensor without a name string');
          if (t.shape && t.shape.some((d) => typeof d === 'number' && !(Number.isFinite(d) && d >= 0))) throw new Error(`bad dimension ${JSON.stringify(t.shape)}`);
        }
      } catch (e) {
        if (!(e instanceof OnnxFormatError)) throw e;
      }
    }),
    { numRuns: runs, ...(seed !== undefined ? { seed } : {}) },
  );
}
