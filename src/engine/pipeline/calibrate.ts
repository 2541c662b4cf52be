/**
 * Per-class decision thresholds tuned on labelled recordings (`s5 models calibrate`).
 *
 * A tagger trained briefly is rarely calibrated the same way for every class: one class's true
 * positives sit at p ≈ 0.2, another's false positives at 0.7. One global threshold then trades
 * them against each other. Here each class gets its own threshold by coordinate ascent on the
 * task's own measure — the share of recordings whose label set is exactly right (spec s5-task.md
 * §6, "label accuracy") — decided by the very decoder inference uses (decision.ts), so what is
 * tuned is what runs. A class's threshold moves only on a strict gain; among equal gains the value
 * nearest the current one wins, so classes without evidence keep the model's default.
 *
 * A recording longer than one window is represented by each class's highest window probability
 * (the tally keeps a label some window selected); for the 10-s DCASE clips this is exact.
 */
import { copyFile, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import { classThreshold, type DecisionRule, type ModelManifest } from '../../shared/manifest';
import type { S5Label } from '../../shared/labels';
import { writeDirAtomic } from '../atomic-write';
import { decodeMultilabel } from './decision';

export interface CalibrationSample {
  /** One probability per model label (index order of `labels`). */
  probs: Float64Array;
  /** The labels truly present. */
  truth: ReadonlySet<S5Label>;
}

export interface ClassCalibration {
  label: S5Label;
  threshold: number;
  support: number;
  /** F1 of "label selected" against "label present", before and after. */
  f1_before: number;
  f1_after: number;
}

export interface CalibrationResult {
  rule: DecisionRule;
  accuracy_before: number;
  accuracy_after: number;
  classes: ClassCalibration[];
  rounds: number;
}

/** Thresholds tried for each class (0.05 … 0.95). */
export const DEFAULT_GRID = Array.from({ length: 19 }, (_, i) => Math.round((0.05 + 0.05 * i) * 100) / 100);

function decide(sample: CalibrationSample, labels: readonly S5Label[], rule: DecisionRule): Set<S5Label> {
  return new Set(decodeMultilabel(Float32Array.from(sample.probs), labels, rule).picks.map((p) => p.label));
}

function sameSet(a: ReadonlySet<S5Label>, b: ReadonlySet<S5Label>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Percentage of samples whose decided label set equals the truth. */
export function labelAccuracy(samples: readonly CalibrationSample[], labels: readonly S5Label[], rule: DecisionRule): number {
  if (samples.length === 0) return 0;
  let right = 0;
  for (const s of samples) if (sameSet(decide(s, labels, rule), s.truth)) right++;
  return (100 * right) / samples.length;
}

function f1PerClass(samples: readonly CalibrationSample[], labels: readonly S5Label[], rule: DecisionRule): Map<S5Label, { f1: number; support: number }> {
  const tp = new Map<S5Label, number>(), fp = new Map<S5Label, number>(), fn = new Map<S5Label, number>();
  const inc = (m: Map<S5Label, number>, l: S5Label) => m.set(l, (m.get(l) ?? 0) + 1);
  for (const s of samples) {
    const got = decide(s, labels, rule);
    for (const l of labels) {
      if (got.has(l) && s.truth.has(l)) inc(tp, l);
      else if (got.has(l)) inc(fp, l);
      else if (s.truth.has(l)) inc(fn, l);
    }
  }
  return new Map(labels.map((l) => {
    const t = tp.get(l) ?? 0, p = fp.get(l) ?? 0, n = fn.get(l) ?? 0;
    return [l, { f1: t + p + n === 0 ? 0 : (2 * t) / (2 * t + p + n), support: t + n }];
  }));
}

export function calibrateThresholds(
  samples: readonly CalibrationSample[],
  labels: readonly S5Label[],
  base: DecisionRule,
  opts: { grid?: readonly number[]; maxRounds?: number } = {},
): CalibrationResult {
  const grid = opts.grid ?? DEFAULT_GRID;
  const maxRounds = opts.maxRounds ?? 4;
  const thresholds = Object.fromEntries(labels.map((l) => [l, classThreshold(base, l)])) as Record<S5Label, number>;
  const ruleWith = (t: Record<S5Label, number>): DecisionRule => ({ ...base, thresholds: { ...t } });
  let best = labelAccuracy(samples, labels, ruleWith(thresholds));
  const before = best;
  let rounds = 0;
  for (; rounds < maxRounds; rounds++) {
    let improved = false;
    for (const label of labels) {
      const current = thresholds[label];
      let pick = current;
      for (const t of [...grid].sort((a, b) => Math.abs(a - current) - Math.abs(b - current))) {
        const acc = labelAccuracy(samples, labels, ruleWith({ ...thresholds, [label]: t }));
        if (acc > best + 1e-9) {
          best = acc;
          pick = t;
        }
      }
      if (pick !== current) {
        thresholds[label] = pick;
        improved = true;
      }
    }
    if (!improved) break;
  }
  // Only thresholds that differ from the default are written.
  const own = Object.fromEntries(labels.filter((l) => thresholds[l] !== base.threshold).map((l) => [l, thresholds[l]]));
  const rule: DecisionRule = { threshold: base.threshold, min_events: base.min_events, max_events: base.max_events, ...(Object.keys(own).length ? { thresholds: own } : {}) };
  const f1Before = f1PerClass(samples, labels, base);
  const f1After = f1PerClass(samples, labels, rule);
  return {
    rule,
    accuracy_before: before,
    accuracy_after: labelAccuracy(samples, labels, rule),
    rounds,
    classes: labels.map((l) => ({
      label: l,
      threshold: classThreshold(rule, l),
      support: f1Before.get(l)!.support,
      f1_before: f1Before.get(l)!.f1,
      f1_after: f1After.get(l)!.f1,
    })),
  };
}

/**
 * Writes `model` with the calibrated rule as a model folder at `dir` (model.onnx copied, the
 * manifest's id, name, decision, provenance and metrics updated, a calibration section added to
 * MODEL_CARD.md). Built in a sibling temp folder and renamed into place, so `dir` is either the
 * old folder or the complete new one; an existing `dir` is replaced only with `replace`.
 */
export async function writeCalibratedModel(
  model: { dir: string; onnxPath: string; manifest: ModelManifest },
  result: CalibrationResult,
  opts: { dir: string; id: string; on: string; replace?: boolean },
): Promise<void> {
  const m = model.manifest;
  const manifest: ModelManifest = {
    ...m,
    id: opts.id,
    name: opts.id === m.id ? m.name : `${m.name} (calibrated)`,
    decision: result.rule,
    provenance: { ...m.provenance, ...(opts.id === m.id ? {} : { base_model: m.id }) },
    metrics: {
      ...m.metrics,
      calibration_label_accuracy_before: round(result.accuracy_before, 2),
      calibration_label_accuracy_after: round(result.accuracy_after, 2),
    },
  };
  const card = await readFile(path.join(model.dir, 'MODEL_CARD.md'), 'utf8').catch(() => `# ${manifest.name}\n`);
  const section = calibrationSection(result, opts.on);
  const body = card.includes(CARD_HEADING) ? card.slice(0, card.indexOf(CARD_HEADING)).trimEnd() + '\n\n' + section : card.trimEnd() + '\n\n' + section;
  const final = path.resolve(opts.dir);
  if (!opts.replace && (await stat(final).catch(() => null))) {
    throw new S5Error('invalid_request', `the output folder already exists; choose another or pass --force`, final);
  }
  await writeDirAtomic(final, async (tmp) => {
    await copyFile(model.onnxPath, path.join(tmp, m.onnx_file));
    await writeFile(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    await writeFile(path.join(tmp, 'MODEL_CARD.md'), body);
  });
}

const CARD_HEADING = '## Decision thresholds (calibration)';

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

function calibrationSection(r: CalibrationResult, on: string): string {
  const rows = r.classes.map((c) => `| ${c.label} | ${c.threshold.toFixed(2)} | ${c.support} | ${c.f1_before.toFixed(2)} | ${c.f1_after.toFixed(2)} |`);
  return [
    CARD_HEADING,
    '',
    `Per-class thresholds tuned by \`s5 models calibrate\` on ${on} (coordinate ascent on exact-set label`,
    `accuracy, grid 0.05–0.95; default threshold ${r.rule.threshold} for classes without their own).`,
    `Label accuracy on that set: ${r.accuracy_before.toFixed(1)} % before, ${r.accuracy_after.toFixed(1)} % after.`,
    '',
    '| class | threshold | support | F1 before | F1 after |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
