/**
 * DCASE 2025 Task 4 metrics (spec s5-task.md §2.2–2.3): class-aware SDR improvement (CA-SDRi)
 * and label prediction accuracy. Pure functions over in-memory signals.
 *
 * Per mixture, labels are compared as SETS (silence removed):
 *   TP = est ∩ ref, FP = est − TP, FN = ref − TP
 *   CA-SDRi = mean( [snr(est[c], ref[c]) − snr(mix, ref[c]) for c in TP] ++ zeros(|FP| + |FN|) )
 * A label that appears twice keeps its LAST waveform (the official code builds a dict from the
 * slot lists), on both sides. Empty TP ∪ FP ∪ FN gives NaN, as the official mean of nothing.
 * Corpus: unweighted mean over mixtures; accuracy = % of mixtures whose label sets are equal.
 */
import { activeLabels, mean, type LabeledSignal, type MatchedPair, type MixtureSignals } from './types';
import { energy, residualEnergy, snrFromEnergies } from './snr';

export interface CaSdriResult {
  /** Per-mixture CA-SDRi in dB (NaN only when both sides are empty). */
  value: number;
  /** (set of estimated labels) == (set of reference labels), silence removed. */
  labelsCorrect: boolean;
  /** Labels, sorted. */
  tp: string[];
  fp: string[];
  fn: string[];
  /** One pair per TP label, in sorted label order. */
  pairs: MatchedPair[];
}

export interface CaSdriCorpus {
  /** Mean of the per-mixture values, dB. */
  caSdri: number;
  /** 100 × fraction of mixtures with `labelsCorrect`. */
  labelAccuracy: number;
}

/** The 2025 per-mixture metric. */
export function caSdri(input: MixtureSignals): CaSdriResult {
  const est = lastIndexByLabel(input.estimates);
  const ref = lastIndexByLabel(input.references);
  const { tp, fp, fn } = setDifferences([...est.keys()], [...ref.keys()]);
  const pairs = tp.map((label) =>
    scorePair(label, est.get(label)!, ref.get(label)!, input),
  );
  const values = [...pairs.map((p) => p.sdri), ...zeros(fp.length + fn.length)];
  return { value: mean(values), labelsCorrect: fp.length === 0 && fn.length === 0, tp, fp, fn, pairs };
}

/** Label-set equality of the 2025 accuracy (silence removed, duplicates collapsed). */
export function labelSetsEqual(estimated: readonly string[], reference: readonly string[]): boolean {
  const { fp, fn } = setDifferences(estimated, reference);
  return fp.length === 0 && fn.length === 0;
}

/** Corpus aggregation (§2.3) over per-mixture results. */
export function caSdriCorpus(results: readonly Pick<CaSdriResult, 'value' | 'labelsCorrect'>[]): CaSdriCorpus {
  return {
    caSdri: mean(results.map((r) => r.value)),
    labelAccuracy: (100 * results.filter((r) => r.labelsCorrect).length) / results.length,
  };
}

/** TP/FP/FN label sets (sorted), silence removed. */
export function setDifferences(
  estimated: readonly string[],
  reference: readonly string[],
): { tp: string[]; fp: string[]; fn: string[] } {
  const est = new Set(activeLabels(estimated));
  const ref = new Set(activeLabels(reference));
  const sorted = (xs: Iterable<string>) => [...xs].sort();
  return {
    tp: sorted([...est].filter((l) => ref.has(l))),
    fp: sorted([...est].filter((l) => !ref.has(l))),
    fn: sorted([...ref].filter((l) => !est.has(l))),
  };
}

/** label → index of its last non-silence occurrence (dict semantics of the official code). */
function lastIndexByLabel(slots: readonly LabeledSignal[]): Map<string, number> {
  const byLabel = new Map<string, number>();
  slots.forEach((slot, index) => {
    if (activeLabels([slot.label]).length > 0) byLabel.set(slot.label, index);
  });
  return byLabel;
}

function scorePair(label: string, estimate: number, reference: number, input: MixtureSignals): MatchedPair {
  const r = input.references[reference].signal;
  const refEnergy = energy(r);
  const sdr = snrFromEnergies(refEnergy, residualEnergy(input.estimates[estimate].signal, r));
  const sdrMixture = snrFromEnergies(refEnergy, residualEnergy(input.mixture, r));
  return { label, estimate, reference, sdr, sdrMixture, sdri: sdr - sdrMixture };
}

function zeros(n: number): number[] {
  return new Array<number>(n).fill(0);
}
