/**
 * Shapes shared by the per-mixture metrics (CA-SDRi 2025, CAPI-SDRi 2026): one mixture's labelled
 * estimates and references plus the reference channel of the mixture, and the matched pairs a
 * metric reports. Labels are plain strings; 'silence' marks an empty slot and is never scored.
 */
import { SILENCE } from '../../shared/labels';
import type { Signal } from './snr';

export interface LabeledSignal {
  label: string;
  signal: Signal;
}

/** Everything one mixture's metric needs; all signals have the same length. */
export interface MixtureSignals {
  /** System outputs, in slot/file order. Slots labelled 'silence' are ignored. */
  estimates: readonly LabeledSignal[];
  /** Oracle targets, in file order. Slots labelled 'silence' are ignored. */
  references: readonly LabeledSignal[];
  /** Channel 0 (W) of the mixture: the "do nothing" baseline of the improvement. */
  mixture: Signal;
}

/** One estimate scored against one reference of the same label. */
export interface MatchedPair {
  label: string;
  /** Index into `MixtureSignals.estimates`. */
  estimate: number;
  /** Index into `MixtureSignals.references`. */
  reference: number;
  /** snr(estimate, reference) in dB. */
  sdr: number;
  /** snr(mixture, reference) in dB. */
  sdrMixture: number;
  /** sdr − sdrMixture. */
  sdri: number;
}

/** The labels of a slot list without the empty-slot label. */
export function activeLabels(labels: readonly string[]): string[] {
  return labels.filter((label) => label !== SILENCE);
}

/** Arithmetic mean in float64; NaN for an empty list (as numpy/torch). */
export function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
