/**
 * `s5 models calibrate ID --soundscapes DIR --oracle DIR`: runs the tagger `ID` over labelled
 * recordings (the official layout: soundscape/<name>.wav, oracle_target/<name>_<Label>.wav — the
 * file names are the truth), tunes one decision threshold per class (pipeline/calibrate.ts) and
 * writes the result as a new model: by default `<ID>-cal` in the user's model folder, so the
 * original stays untouched and both can be compared or activated.
 */
import { readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import type { S5Label } from '../../shared/labels';
import { attributeFiles } from '../../engine/metrics/layout';
import { taggerOutputKind } from '../../engine/models/roles';
import { calibrateThresholds, writeCalibratedModel, type CalibrationSample } from '../../engine/pipeline/calibrate';
import { EXIT, formatWarning, ProgressLine, UsageError, type CliIO } from '../io';
import { openRuntime, runtimeArgs } from './separate';

export const CALIBRATE_HELP = `       s5 models calibrate ID --soundscapes DIR --oracle DIR [--id NEW] [--out DIR]
                           [--force] [--json]

  calibrate  tune one decision threshold per class of tagger ID on labelled recordings
             (soundscapes + oracle targets named <name>_<Label>.wav, e.g. a validation set
             from 's5trainer synth --preset val' or the official dev_set); writes the
             calibrated copy as model NEW (default ID-cal) into the user folder, or into
             --out DIR; --force replaces an existing model/folder`;

export interface CalibrateValues {
  soundscapes?: string;
  oracle?: string;
  id?: string;
  out?: string;
  force: boolean;
  json: boolean;
  threads?: string;
  provider?: string;
}

async function wavFiles(dir: string, what: string): Promise<string[]> {
  try {
    return (await readdir(dir)).filter((f) => f.toLowerCase().endsWith('.wav'));
  } catch {
    throw new S5Error('not_found', `no ${what} folder there`, dir);
  }
}

export async function runCalibrate(modelId: string, v: CalibrateValues, io: CliIO): Promise<number> {
  if (!v.soundscapes || !v.oracle) throw new UsageError('models calibrate: --soundscapes DIR and --oracle DIR are required');
  const newId = v.id ?? `${modelId}-cal`;
  if (!/^[a-z0-9][a-z0-9._-]{0,63}$/.test(newId)) throw new UsageError(`--id must be lowercase letters, digits, . _ - (max 64) (got '${newId}')`);
  const runtime = openRuntime(runtimeArgs({ ...v }));
  try {
    const model = await runtime.registry.require(modelId);
    if (model.manifest.kind !== 'tagger') throw new S5Error('invalid_request', `'${modelId}' is a ${model.manifest.kind}; calibrate a tagger`);
    if (taggerOutputKind(model.manifest) !== 'multilabel') {
      throw new S5Error('unsupported', `'${modelId}' decides per slot (2026 style); calibration supports multi-label (sigmoid) taggers`);
    }
    const soundscapes = path.resolve(v.soundscapes);
    const oracleDir = path.resolve(v.oracle);
    const names = (await wavFiles(soundscapes, 'soundscapes')).map((f) => f.slice(0, -4)).sort();
    if (names.length === 0) throw new S5Error('bad_input', 'no soundscapes: the folder has no .wav file', soundscapes);
    const warnings: string[] = [];
    const truthFiles = attributeFiles(model.manifest.task, names, await wavFiles(oracleDir, 'oracle'), oracleDir, 'oracle', warnings);
    for (const w of warnings) io.stderr(formatWarning(w));

    const loaded = { tagger: await runtime.pipeline.load(model), separator: null, warnings: [] };
    const labels = model.manifest.labels;
    const samples: CalibrationSample[] = [];
    const progress = new ProgressLine(io);
    const t0 = Date.now();
    for (const [i, name] of names.entries()) {
      const r = await runtime.pipeline.tag({ path: path.join(soundscapes, `${name}.wav`), loaded });
      const probs = new Float64Array(labels.length);
      for (const w of r.timeline) w.probs.forEach((p, c) => (probs[c] = Math.max(probs[c], p)));
      samples.push({ probs, truth: new Set<S5Label>((truthFiles.get(name) ?? []).map((f) => f.label)) });
      const eta = ((Date.now() - t0) / (i + 1)) * (names.length - i - 1) / 1000;
      progress.update(`calibrate: tagged ${i + 1}/${names.length}  ETA ${Math.ceil(eta)} s`);
    }
    progress.clear();

    const result = calibrateThresholds(samples, labels, model.manifest.decision!);
    const on = `${names.length} recordings of ${soundscapes}`;
    const toUserFolder = v.out === undefined;
    const staging = toUserFolder ? path.join(os.tmpdir(), `s5-calibrate-${process.pid}`, newId) : path.resolve(v.out!);
    await writeCalibratedModel({ dir: model.entry.dir, onnxPath: model.onnxPath, manifest: model.manifest }, result, { dir: staging, id: newId, on, replace: toUserFolder || v.force });
    const dir = toUserFolder ? (await runtime.registry.importModel(staging, { force: v.force })).dir : staging;
    if (v.json) io.stdout(`${JSON.stringify({ id: newId, dir, recordings: names.length, ...result })}\n`);
    else {
      io.stdout(`label accuracy on ${names.length} recordings: ${result.accuracy_before.toFixed(1)} % → ${result.accuracy_after.toFixed(1)} %\n`);
      for (const c of result.classes) {
        if (c.threshold !== result.rule.threshold) io.stdout(`  ${c.label.padEnd(18)} threshold ${c.threshold.toFixed(2)}  F1 ${c.f1_before.toFixed(2)} → ${c.f1_after.toFixed(2)}  (${c.support} present)\n`);
      }
      io.stdout(`wrote model '${newId}' to ${dir}${toUserFolder ? `; activate it with: s5 models activate ${newId}` : ''}\n`);
    }
    return EXIT.ok;
  } finally {
    await runtime.dispose();
  }
}
