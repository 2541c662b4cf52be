/**
 * DCASE 2026 Task 4 metrics (spec s5-2026.md §1.3–1.5): class-aware permutation-invariant SDR
 * improvement (CAPI-SDRi), mixture accuracy and source accuracy. Pure functions over in-memory
 * signals.
 *
 * Per class c present on either side (silence removed), with n_e estimates and n_r references:
 *   n_e = 0 → n_r zeros (missed);  n_r = 0 → n_e zeros (false alarms);
 *   otherwise k = min(n_e, n_r); over reference k-subsets (lexicographic, outer) × estimate
 *   k-permutations (lexicographic, inner) keep the FIRST pairing with the highest mean SDR, report
 *   the SDRi of its k pairs, plus |n_e − n_r| zeros.
 * The mixture value is the mean of all values; no label on either side → null (excluded from the
 * corpus mean, still counted by the accuracies). Labels are compared as multisets:
 *   tp = |est ∩ ref|, fp = n_est − tp, fn = n_ref − tp, correct = (est multiset == ref multiset).
 * Corpus: CAPI-SDRi = mean of the non-null values; Accuracy (mixture) = 100 × mean(correct);
 * Accuracy (source) = 100 × Σtp / (Σtp + Σfp + Σfn).
 */
import { activeLabels, mean, type MatchedPair, type MixtureSignals } from './types';
import { energy, residualEnergy, snrFromEnergies, type Signal } from './snr';

export interface LabelCounts {
  /** Estimated multiset == reference multiset (empty == empty is correct). */
  correct: boolean;
  tp: number;
  fp: number;
  fn: number;
}

export interface CapiSdriResult extends LabelCounts {
  /** Per-mixture CAPI-SDRi in dB; null when neither side has a label. */
  value: number | null;
  /** Matched same-class pairs (sorted by label, then by reference index). */
  pairs: MatchedPair[];
  /** Number of 0-dB penalty values (unmatched estimates + unmatched references). */
  penalties: number;
}

export interface CapiSdriCorpus {
  /** Mean over mixtures with a value; null when none has one. */
  capiSdri: number | null;
  /** Mixtures that entered the CAPI-SDRi mean. */
  scoredMixtures: number;
  mixtureAccuracy: number;
  sourceAccuracy: number;
}

/** The 2026 per-mixture metric together with its label counts. */
export function capiSdri(input: MixtureSignals): CapiSdriResult {
  const estByClass = indicesByLabel(input.estimates.map((s) => s.label));
  const refByClass = indicesByLabel(input.references.map((s) => s.label));
  const counts = multisetLabelCounts(
    input.estimates.map((s) => s.label),
    input.references.map((s) => s.label),
  );
  const classes = [...new Set([...estByClass.keys(), ...refByClass.keys()])].sort();
  if (classes.length === 0) return { value: null, pairs: [], penalties: 0, ...counts };

  const pairs: MatchedPair[] = [];
  let penalties = 0;
  for (const label of classes) {
    const est = estByClass.get(label) ?? [];
    const ref = refByClass.get(label) ?? [];
    if (est.length > 0 && ref.length > 0) pairs.push(...matchClass(label, est, ref, input));
    penalties += Math.abs(est.length - ref.length);
  }
  const values = [...pairs.map((p) => p.sdri), ...new Array<number>(penalties).fill(0)];
  return { value: mean(values), pairs, penalties, ...counts };
}

/**
 * Best same-class assignment: maximise the mean SDR (not SDRi) over reference subsets × estimate
 * permutations; the first maximum in enumeration order wins. Returns the chosen pairs.
 */
export function matchClass(
  label: string,
  estimates: readonly number[],
  references: readonly number[],
  input: MixtureSignals,
): MatchedPair[] {
  const sdr = sdrMatrix(estimates, references, input); // sdr[i][j]: estimate i vs reference j
  const k = Math.min(estimates.length, references.length);
  let best: { refs: number[]; ests: number[] } | null = null;
  let bestScore = -Infinity;
  for (const refs of combinations(references.length, k)) {
    for (const ests of permutations(estimates.length, k)) {
      const score = meanOfPairs(sdr, ests, refs);
      if (best === null || score > bestScore) {
        best = { refs, ests };
        bestScore = score;
      }
    }
  }
  return best!.refs.map((j, slot) => {
    const i = best!.ests[slot];
    const r = input.references[references[j]].signal;
    const sdrMixture = snrFromEnergies(energy(r), residualEnergy(input.mixture, r));
    return {
      label,
      estimate: estimates[i],
      reference: references[j],
      sdr: sdr[i][j],
      sdrMixture,
      sdri: sdr[i][j] - sdrMixture,
    };
  });
}

/** Multiset label comparison of `label_metric.py` (silence removed). */
export function multisetLabelCounts(estimated: readonly string[], reference: readonly string[]): LabelCounts {
  const est = countLabels(activeLabels(estimated));
  const ref = countLabels(activeLabels(reference));
  let tp = 0;
  for (const [label, n] of est) tp += Math.min(n, ref.get(label) ?? 0);
  const nEst = sumCounts(est);
  const nRef = sumCounts(ref);
  const fp = nEst - tp;
  const fn = nRef - tp;
  return { correct: fp === 0 && fn === 0, tp, fp, fn };
}

/** Corpus aggregation (§1.4–1.5). */
export function capiSdriCorpus(
  results: readonly Pick<CapiSdriResult, 'value' | 'correct' | 'tp' | 'fp' | 'fn'>[],
): CapiSdriCorpus {
  const scored = results.map((r) => r.value).filter((v): v is number => v !== null);
  let tp = 0;
  let errors = 0;
  for (const r of results) {
    tp += r.tp;
    errors += r.fp + r.fn;
  }
  return {
    capiSdri: scored.length > 0 ? mean(scored) : null,
    scoredMixtures: scored.length,
    mixtureAccuracy: (100 * results.filter((r) => r.correct).length) / results.length,
    // Σtp+Σfp+Σfn = 0 only when every mixture is empty-vs-empty: all sources (none) are right.
    sourceAccuracy: tp + errors > 0 ? (100 * tp) / (tp + errors) : 100,
  };
}

/** All k-subsets of 0..n−1 as increasing index lists, in lexicographic order (itertools.combinations). */
export function* combinations(n: number, k: number): Generator<number[]> {
  if (k > n || k < 0) return;
  const idx = Array.from({ length: k }, (_, i) => i);
  for (;;) {
    yield idx.slice();
    let i = k - 1;
    while (i >= 0 && idx[i] === n - k + i) i--;
    if (i < 0) return;
    idx[i]++;
    for (let j = i + 1; j < k; j++) idx[j] = idx[j - 1] + 1;
  }
}

/** All k-permutations of 0..n−1 in lexicographic order (itertools.permutations). */
export function* permutations(n: number, k: number): Generator<number[]> {
  if (k > n || k < 0) return;
  const used = new Array<boolean>(n).fill(false);
  const prefix: number[] = [];
  function* extend(): Generator<number[]> {
    if (prefix.length === k) {
      yield prefix.slice();
      return;
    }
    for (let i = 0; i < n; i++) {
      if (used[i]) continue;
      used[i] = true;
      prefix.push(i);
      yield* extend();
      prefix.pop();
      used[i] = false;
    }
  }
  yield* extend();
}

function sdrMatrix(estimates: readonly number[], references: readonly number[], input: MixtureSignals): number[][] {
  const refs = references.map((j) => input.references[j].signal);
  const refEnergies = refs.map((r) => energy(r));
  return estimates.map((i) => {
    const e: Signal = input.estimates[i].signal;
    return refs.map((r, j) => snrFromEnergies(refEnergies[j], residualEnergy(e, r)));
  });
}

function meanOfPairs(sdr: number[][], ests: readonly number[], refs: readonly number[]): number {
  let sum = 0;
  for (let p = 0; p < refs.length; p++) sum += sdr[ests[p]][refs[p]];
  return sum / refs.length;
}

/** label → indices of its non-silence slots, in slot order. */
function indicesByLabel(labels: readonly string[]): Map<string, number[]> {
  const byLabel = new Map<string, number[]>();
  labels.forEach((label, index) => {
    if (activeLabels([label]).length === 0) return;
    const list = byLabel.get(label);
    if (list) list.push(index);
    else byLabel.set(label, [index]);
  });
  return byLabel;
}

function countLabels(labels: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const label of labels) counts.set(label, (counts.get(label) ?? 0) + 1);
  return counts;
}

function sumCounts(counts: Map<string, number>): number {
  let n = 0;
  for (const v of counts.values()) n += v;
  return n;
}
