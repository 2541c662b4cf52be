/**
 * Per-class threshold calibration (pipeline/calibrate.ts) on samples whose best thresholds are
 * known by construction, and the calibrated model folder it writes (valid for the registry, the
 * original untouched, thresholds used by the decoder).
 */
import { mkdtemp, readFile, rm, writeFile, mkdir, copyFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { S5_LABELS, type S5Label } from '../../../src/shared/labels';
import { ModelManifestSchema } from '../../../src/shared/manifest';
import { calibrateThresholds, labelAccuracy, writeCalibratedModel, type CalibrationSample } from '../../../src/engine/pipeline/calibrate';
import { validateModelFolder } from '../../../src/engine/models/validate';

const RULE = { threshold: 0.5, min_events: 1, max_events: 3 };

function sample(values: Partial<Record<S5Label, number>>, truth: S5Label[]): CalibrationSample {
  return { probs: Float64Array.from(S5_LABELS, (l) => values[l] ?? 0.01), truth: new Set(truth) };
}

// Buzzer is under-confident (present at 0.3, absent at 0.12); Speech over-confident (absent at
// 0.63, present at 0.92). Speech is always accompanied, so forcing never rescues a miss.
const SAMPLES = [
  ...Array.from({ length: 6 }, () => sample({ Buzzer: 0.3, Dishes: 0.9 }, ['Buzzer', 'Dishes'])),
  ...Array.from({ length: 6 }, () => sample({ Buzzer: 0.12, Dishes: 0.9 }, ['Dishes'])),
  ...Array.from({ length: 4 }, () => sample({ Speech: 0.63, Typing: 0.8 }, ['Typing'])),
  ...Array.from({ length: 4 }, () => sample({ Speech: 0.92, Typing: 0.8 }, ['Speech', 'Typing'])),
];

describe('calibrateThresholds', () => {
  const r = calibrateThresholds(SAMPLES, S5_LABELS, RULE);

  it('finds thresholds that separate each class, making every label set right', () => {
    // Independently: at 0.5, the 6 Buzzer-present and the 4 Speech-absent samples are wrong.
    expect(labelAccuracy(SAMPLES, S5_LABELS, RULE)).toBeCloseTo(50, 9);
    expect(r.accuracy_before).toBeCloseTo(50, 9);
    expect(r.accuracy_after).toBeCloseTo(100, 9);
    const t = r.rule.thresholds!;
    expect(t.Buzzer).toBeGreaterThan(0.12);
    expect(t.Buzzer).toBeLessThanOrEqual(0.3);
    expect(t.Speech).toBeGreaterThan(0.63);
    expect(t.Speech).toBeLessThanOrEqual(0.92);
  });

  it('leaves classes without evidence at the default (only changed thresholds are written)', () => {
    expect(Object.keys(r.rule.thresholds!).sort()).toEqual(['Buzzer', 'Speech']);
    expect(r.rule.threshold).toBe(0.5);
    expect(r.classes.find((c) => c.label === 'Dishes')).toMatchObject({ threshold: 0.5, support: 12, f1_before: 1, f1_after: 1 });
    expect(r.classes.find((c) => c.label === 'Buzzer')).toMatchObject({ support: 6, f1_before: 0, f1_after: 1 });
  });

  it('changes nothing when the default is already best', () => {
    const easy = [sample({ Dishes: 0.9 }, ['Dishes']), sample({ Pour: 0.8 }, ['Pour'])];
    const e = calibrateThresholds(easy, S5_LABELS, RULE);
    expect(e.rule.thresholds).toBeUndefined();
    expect(e.accuracy_after).toBe(100);
  });
});

describe('writeCalibratedModel', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  it('writes a valid model folder with the rule; the source folder is untouched', async () => {
    const src = path.resolve(__dirname, '../../../models/s5-tag-small-v2');
    const tmp = await mkdtemp(path.join(os.tmpdir(), 's5-cal-'));
    dirs.push(tmp);
    // A private copy of the shipped tagger stands in for the source.
    const copy = path.join(tmp, 'src');
    await mkdir(copy);
    for (const f of ['manifest.json', 'model.onnx', 'MODEL_CARD.md']) await copyFile(path.join(src, f), path.join(copy, f));
    const before = await readFile(path.join(copy, 'manifest.json'), 'utf8');
    // One plain threshold, whatever the shipped model's calibration is now.
    const manifest = { ...ModelManifestSchema.parse(JSON.parse(before)), decision: RULE };
    const r = calibrateThresholds(SAMPLES, manifest.labels, manifest.decision!);
    const out = path.join(tmp, 'tagger-cal');
    await writeCalibratedModel({ dir: copy, onnxPath: path.join(copy, 'model.onnx'), manifest }, r, { dir: out, id: 'tagger-cal', on: 'the test samples' });

    const entry = await validateModelFolder(out, 'user');
    expect(entry.errors).toEqual([]);
    expect(entry.manifest?.decision?.thresholds).toEqual(r.rule.thresholds);
    expect(entry.manifest?.provenance.base_model).toBe(manifest.id);
    expect(entry.manifest?.metrics.calibration_label_accuracy_after).toBe(100);
    expect(await readFile(path.join(out, 'MODEL_CARD.md'), 'utf8')).toMatch(/## Decision thresholds \(calibration\)[\s\S]*\| Buzzer \| 0\.\d\d \| 6 \| 0\.00 \| 1\.00 \|/);
    expect(await readFile(path.join(copy, 'manifest.json'), 'utf8')).toBe(before);

    // An existing folder is kept unless replacing is asked for.
    await writeFile(path.join(out, 'marker'), 'x');
    await expect(writeCalibratedModel({ dir: copy, onnxPath: path.join(copy, 'model.onnx'), manifest }, r, { dir: out, id: 'tagger-cal', on: 'x' })).rejects.toThrow(/already exists/);
    expect(await readFile(path.join(out, 'marker'), 'utf8')).toBe('x');
  });
});
