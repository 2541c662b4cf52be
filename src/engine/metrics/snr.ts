/**
 * Per-signal SDR of the DCASE 2025/2026 Task 4 evaluators: the plain signal-to-noise ratio of
 * torchmetrics' `signal_noise_ratio(zero_mean=False)` (spec s5-task.md §2.1, s5-2026.md §1.2):
 *
 *     snr(e, r) = 10·log10( (Σ r² + ε) / (Σ (r − e)² + ε) ),   ε = float32 machine epsilon
 *
 * No mean removal, no scale invariance, no filtering. The reference sums in float32; we accumulate
 * in float64 (the difference is far below 1e-3 dB for 10-s clips). Pure functions, no I/O.
 */

/** torch.finfo(torch.float32).eps = 2⁻²³ ≈ 1.1920929e-07 (the ε torchmetrics adds for float32 input). */
export const SNR_EPS = 2 ** -23;

/** Any sampled signal: Float32Array (as read from disk), Float64Array or a plain number array. */
export type Signal = ArrayLike<number>;

/** Σ x², accumulated in float64. */
export function energy(x: Signal): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    sum += v * v;
  }
  return sum;
}

/** Σ (r − e)², accumulated in float64. */
export function residualEnergy(estimate: Signal, reference: Signal): number {
  assertSameLength(estimate, reference);
  let sum = 0;
  for (let i = 0; i < reference.length; i++) {
    const d = reference[i] - estimate[i];
    sum += d * d;
  }
  return sum;
}

/** SNR in dB from the two energies (lets callers reuse Σ r² across several estimates). */
export function snrFromEnergies(referenceEnergy: number, errorEnergy: number): number {
  return 10 * Math.log10((referenceEnergy + SNR_EPS) / (errorEnergy + SNR_EPS));
}

/** snr(estimate, reference) in dB, exactly the official per-signal SDR. */
export function snr(estimate: Signal, reference: Signal): number {
  return snrFromEnergies(energy(reference), residualEnergy(estimate, reference));
}

/** SDR improvement over the mixture: snr(estimate, r) − snr(mixture, r). */
export function snrImprovement(estimate: Signal, reference: Signal, mixture: Signal): number {
  const refEnergy = energy(reference);
  return (
    snrFromEnergies(refEnergy, residualEnergy(estimate, reference)) -
    snrFromEnergies(refEnergy, residualEnergy(mixture, reference))
  );
}

function assertSameLength(a: Signal, b: Signal): void {
  if (a.length !== b.length) {
    throw new RangeError(`signals differ in length: ${a.length} vs ${b.length} samples`);
  }
}
