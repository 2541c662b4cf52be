/**
 * Folder evaluation behind `s5 evaluate` and the `evaluate` API method: scans the official layout
 * (layout.ts), then streams the mixtures in sorted name order — one mixture's audio in memory at a
 * time (load.ts) — through the task's metric (ca-sdri.ts for dcase2025t4, capi-sdri.ts for
 * dcase2026t4) and aggregates the corpus numbers. Accuracies are in percent.
 * A mixture without any estimate file is scored as "no estimated labels" (official behaviour).
 */
import type { EvaluateRequest, EvaluateResult, Evaluate2025, Evaluate2026 } from '../../shared/evaluate';
import { readAudio } from '../audio/index';
import { caSdri, caSdriCorpus } from './ca-sdri';
import { capiSdri, capiSdriCorpus, type CapiSdriResult } from './capi-sdri';
import { scanLayout } from './layout';
import { LoadNotes, loadMixtureSignals, type AudioReader, type DecodedAudio } from './load';
import { activeLabels, mean, type MixtureSignals } from './types';

export interface EvaluateProgress {
  task: 'evaluate';
  /** 'scan': folders listed, nothing scored yet; 'score': `done` mixtures scored. */
  stage: 'scan' | 'score';
  done: number;
  total: number;
  /** The mixture just scored (in-process consumers only; the wire schema drops it). */
  mixture?: string;
}

export interface EvaluateOptions {
  /** Audio decoder; defaults to the engine's `readAudio`. */
  readAudio?: AudioReader;
}

/** Evaluates one folder triple; throws S5Error ('not_found' / 'bad_input') naming the bad path. */
export async function evaluateFolders(
  req: EvaluateRequest,
  onProgress?: (p: EvaluateProgress) => void,
  options: EvaluateOptions = {},
): Promise<EvaluateResult> {
  const read = options.readAudio ?? defaultReader;
  const layout = await scanLayout(req);
  const total = layout.mixtures.length;
  onProgress?.({ task: 'evaluate', stage: 'scan', done: 0, total });
  const scorer = req.task === 'dcase2025t4' ? new Scorer2025() : new Scorer2026();
  const notes = new LoadNotes();
  for (const [i, files] of layout.mixtures.entries()) {
    scorer.add(files.name, await loadMixtureSignals(files, read, notes));
    onProgress?.({ task: 'evaluate', stage: 'score', done: i + 1, total, mixture: files.name });
  }
  return scorer.finish([...layout.warnings, ...notes.warnings()]);
}

/**
 * The engine's decoder, raw: channel format declared 'other' so no FOA conversion happens (a file
 * marked FuMa would otherwise get W×√2), no resampling. Channel 0 is then exactly what the
 * official loader (librosa, mono=False) sees.
 */
async function defaultReader(path: string): Promise<DecodedAudio> {
  const { sampleRate, data } = await readAudio(path, { channelFormat: 'other' });
  return { sampleRate, data };
}

interface Scorer {
  add(name: string, signals: MixtureSignals): void;
  finish(warnings: string[]): EvaluateResult;
}

/** A prototype-less record, so a soundscape named "__proto__" is an ordinary key. */
function emptyRecord<V>(): Record<string, V> {
  return Object.create(null) as Record<string, V>;
}

/** Sorted non-silence labels of one side, duplicates kept (for the per-mixture report). */
function sideLabels(slots: MixtureSignals['estimates']): string[] {
  return activeLabels(slots.map((s) => s.label)).sort();
}

class Scorer2025 implements Scorer {
  private readonly perMixture: Evaluate2025['per_mixture'] = emptyRecord();
  private readonly perClass = new Map<string, { sdri: number[]; tp: number; fp: number; fn: number }>();

  private cls(label: string) {
    let c = this.perClass.get(label);
    if (!c) this.perClass.set(label, (c = { sdri: [], tp: 0, fp: 0, fn: 0 }));
    return c;
  }

  add(name: string, signals: MixtureSignals): void {
    const r = caSdri(signals);
    for (const p of r.pairs) {
      this.cls(p.label).sdri.push(p.sdri);
      this.cls(p.label).tp++;
    }
    for (const l of r.fp) this.cls(l).fp++;
    for (const l of r.fn) this.cls(l).fn++;
    this.perMixture[name] = {
      ca_sdri: r.value,
      labels_correct: r.labelsCorrect,
      tp: r.tp.length,
      fp: r.fp.length,
      fn: r.fn.length,
      ref_labels: sideLabels(signals.references),
      est_labels: sideLabels(signals.estimates),
    };
  }

  finish(warnings: string[]): Evaluate2025 {
    const entries = Object.values(this.perMixture);
    const corpus = caSdriCorpus(entries.map((e) => ({ value: e.ca_sdri, labelsCorrect: e.labels_correct })));
    return {
      task: 'dcase2025t4',
      ca_sdri: corpus.caSdri,
      label_accuracy: corpus.labelAccuracy,
      per_mixture: this.perMixture,
      per_class: Object.fromEntries(
        [...this.perClass.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([label, c]) => [
          label,
          { sdri: c.sdri.length ? mean(c.sdri) : null, tp: c.tp, fp: c.fp, fn: c.fn, f1: (2 * c.tp) / (2 * c.tp + c.fp + c.fn) },
        ]),
      ),
      mixtures: entries.length,
      warnings,
    };
  }
}

class Scorer2026 implements Scorer {
  private readonly perMixture: Evaluate2026['per_mixture'] = emptyRecord();
  private readonly results: Pick<CapiSdriResult, 'value' | 'correct' | 'tp' | 'fp' | 'fn'>[] = [];

  add(name: string, signals: MixtureSignals): void {
    const { value, correct, tp, fp, fn } = capiSdri(signals);
    this.results.push({ value, correct, tp, fp, fn });
    this.perMixture[name] = {
      capi_sdri: value,
      labels_correct: correct,
      tp,
      fp,
      fn,
      ref_labels: sideLabels(signals.references),
      est_labels: sideLabels(signals.estimates),
    };
  }

  finish(warnings: string[]): Evaluate2026 {
    const corpus = capiSdriCorpus(this.results);
    return {
      task: 'dcase2026t4',
      capi_sdri: corpus.capiSdri,
      mixture_accuracy: corpus.mixtureAccuracy,
      source_accuracy: corpus.sourceAccuracy,
      per_mixture: this.perMixture,
      scored_mixtures: corpus.scoredMixtures,
      mixtures: this.results.length,
      warnings,
    };
  }
}
