/**
 * Manifest role checks (models/roles.ts) and the ONNX input/output reader (models/onnx-io.ts) on
 * hand-encoded protobuf files, so neither needs PyTorch.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelManifestSchema, type ModelManifest } from '../../../src/shared/manifest';
import { S5_LABELS } from '../../../src/shared/labels';
import { checkPair, checkRoles } from '../../../src/engine/models/roles';
import { OnnxFormatError, readOnnxIo } from '../../../src/engine/models/onnx-io';
import { compareIo } from '../../../src/engine/models/validate';

function manifest(over: Record<string, unknown> = {}): ModelManifest {
  return ModelManifestSchema.parse({
    schema_version: 1, id: 'sep', name: 'sep', kind: 'separator', task: 'dcase2025t4', architecture: 'x', labels: S5_LABELS,
    sample_rate: 32000, window_seconds: 10, channels: 4, channel_format: 'foa-acn-sn3d', slots: 3,
    inputs: [{ name: 'mixture', shape: ['batch', 4, 320000] }, { name: 'label_vector', shape: ['batch', 54] }],
    outputs: [{ name: 'waveforms', shape: ['batch', 3, 'samples'] }],
    sha256: 'a'.repeat(64), params: 1, provenance: { trainer_version: '1', created: 'x', data: 'x' }, licence: 'x',
    ...over,
  });
}

describe('manifest roles', () => {
  it('a consistent separator and tagger pass', () => {
    expect(checkRoles(manifest())).toEqual([]);
    const tagger = manifest({ id: 't', kind: 'tagger', channels: 1, channel_format: 'mono', inputs: [{ name: 'x', shape: ['b', 1, 's'] }], outputs: [{ name: 'p', shape: ['b', 18] }], decision: { threshold: 0.5, min_events: 1, max_events: 3 } });
    expect(checkRoles(tagger)).toEqual([]);
    expect(checkPair(tagger, manifest())).toEqual({ errors: [], warnings: [] });
  });

  it('names every inconsistency', () => {
    const bad = manifest({ inputs: [{ name: 'mixture', shape: ['batch', 2, 160000] }], outputs: [{ name: 'w', shape: ['batch', 2, 'samples'] }] });
    const problems = checkRoles(bad).join('\n');
    expect(problems).toMatch(/a separator has 2 inputs .* the manifest lists 1/);
    expect(problems).toMatch(/input 0 'mixture' channel dimension is 2, but the manifest's channels is 4/);
    expect(problems).toMatch(/input 0 'mixture' sample dimension is 160000, but sample_rate × window_seconds is 320000/);
    expect(problems).toMatch(/output 0 'w' slot dimension is 2, but the manifest's slots is 3/);
    expect(checkRoles(manifest({ channel_format: 'foa-fuma' })).join()).toMatch(/channel_format 'foa-fuma' is not supported/);
    const slots2025 = manifest({ kind: 'tagger', outputs: [{ name: 'p', shape: ['b', 3, 19] }], inputs: [{ name: 'x', shape: ['b', 4, 's'] }], decision: { threshold: 0, min_events: 0, max_events: 3 } });
    expect(checkRoles(slots2025).join()).toMatch(/only dcase2026t4 taggers use/);
  });

  it('pairs must share task, rate and window', () => {
    const tagger = manifest({ id: 't', kind: 'tagger', sample_rate: 16000, window_seconds: 10, inputs: [{ name: 'x', shape: ['b', 4, 's'] }], outputs: [{ name: 'p', shape: ['b', 18] }], decision: { threshold: 0.5, min_events: 1, max_events: 3 } });
    const { errors } = checkPair(tagger, manifest({ task: 'dcase2026t4' }));
    expect(errors.join('\n')).toMatch(/is for dcase2025t4 but separator 'sep' is for dcase2026t4/);
    expect(errors.join('\n')).toMatch(/must share the sample rate and window length/);
  });
});

// --- a minimal protobuf encoder for ONNX files --------------------------------------------------
const varint = (n: number): number[] => {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 128;
    out.push(b);
  } while (n > 0);
  return out;
};
const field = (num: number, payload: number[] | Buffer): number[] => [...varint(num * 8 + 2), ...varint(payload.length), ...payload];
const vfield = (num: number, v: number): number[] => [...varint(num * 8), ...varint(v)];
const str = (s: string) => [...Buffer.from(s)];
const dim = (d: number | string) => field(1, typeof d === 'number' ? vfield(1, d) : field(2, str(d)));
const valueInfo = (name: string, shape: (number | string)[], elem = 1) =>
  [...field(1, str(name)), ...field(2, field(1, [...vfield(1, elem), ...field(2, shape.flatMap(dim))]))];

function onnxFile(graph: number[]): string {
  const model = [...vfield(1, 8), ...field(2, str('test')), ...field(7, graph)];
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 's5-onnx-')), 'model.onnx');
  writeFileSync(file, Buffer.from(model));
  return file;
}

describe('ONNX inputs/outputs reader', () => {
  it('reads names, element types and shapes, and drops initializers listed as inputs', async () => {
    const big = Buffer.alloc(200_000, 7); // a large raw_data blob is skipped, not parsed
    const initializer = [...field(8, str('weight')), ...field(9, big)];
    const file = onnxFile([
      ...field(1, str('node-bytes')),
      ...field(5, initializer),
      ...field(11, valueInfo('mixture', ['batch', 4, 'samples'])),
      ...field(11, valueInfo('weight', [3, 3])),
      ...field(11, valueInfo('label_vector', ['batch', 54])),
      ...field(12, valueInfo('waveforms', ['batch', 3, 'samples'])),
      ...field(12, valueInfo('count', [1], 7)),
    ]);
    const io = await readOnnxIo(file);
    expect(io.inputs).toEqual([
      { name: 'mixture', dtype: 'float32', shape: ['batch', 4, 'samples'] },
      { name: 'label_vector', dtype: 'float32', shape: ['batch', 54] },
    ]);
    expect(io.outputs[1]).toEqual({ name: 'count', dtype: 'int64', shape: [1] });
    const problems = compareIo(file, 'input', manifest().inputs, io.inputs);
    expect(problems).toEqual([]);
  });

  it('compares against the manifest: names by position, fixed dimensions, ranks', async () => {
    const file = onnxFile([...field(11, valueInfo('audio', [1, 2, 'samples'])), ...field(12, valueInfo('y', ['batch', 3, 'samples']))]);
    const io = await readOnnxIo(file);
    const problems = compareIo(file, 'input', [{ name: 'mixture', shape: ['batch', 4, 'samples'], dtype: 'float32' }], io.inputs).join('\n');
    expect(problems).toMatch(/input 0 is named 'audio' in the model but 'mixture' in the manifest/);
    expect(problems).toMatch(/dimension 0 is fixed to 1 in the model but the manifest declares it variable \('batch'\)/);
    expect(problems).toMatch(/dimension 1 is 2 in the model but 4 in the manifest/);
  });

  it('refuses files that are not ONNX models', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 's5-onnx-'));
    const text = path.join(dir, 'model.onnx');
    writeFileSync(text, 'this is not a model at all\n');
    await expect(readOnnxIo(text)).rejects.toThrow(OnnxFormatError);
    const pdf = path.join(dir, 'doc.onnx');
    writeFileSync(pdf, Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(5000, 0xff)]));
    await expect(readOnnxIo(pdf)).rejects.toThrow(OnnxFormatError);
  });
});
