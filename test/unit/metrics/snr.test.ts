/** Per-signal SDR (spec s5-task.md §2.1): the torchmetrics check value and the ε / float64 details. */
import { describe, expect, it } from 'vitest';
import { energy, residualEnergy, snr, SNR_EPS, snrImprovement } from '../../../src/engine/metrics/snr';

describe('snr', () => {
  it('reproduces the torchmetrics doc example (16.1805 dB)', () => {
    expect(snr([2.5, 0, 2, 8], [3, -0.5, 2, 7])).toBeCloseTo(16.1805, 3);
    expect(snr(new Float32Array([2.5, 0, 2, 8]), new Float32Array([3, -0.5, 2, 7]))).toBeCloseTo(16.1805, 3);
  });

  it('uses float32 machine epsilon', () => {
    expect(SNR_EPS).toBe(1.1920928955078125e-7);
    // perfect estimate: (Σr² + ε)/ε
    const r = [1, -1, 2];
    expect(snr(r, r)).toBeCloseTo(10 * Math.log10((6 + SNR_EPS) / SNR_EPS), 9);
    // silent reference, silent estimate: ε/ε = 0 dB
    expect(snr([0, 0], [0, 0])).toBe(0);
  });

  it('has no scale invariance and no mean removal', () => {
    const r = [1, 2, 3, 4];
    expect(snr(r.map((x) => 2 * x), r)).toBeCloseTo(0, 6); // error = r → 0 dB
    expect(snr(r.map((x) => x + 1), r)).toBeCloseTo(10 * Math.log10(30 / 4), 6);
  });

  it('accumulates in float64', () => {
    // 1e6 samples of 0.1f: a float32 running sum would drift by >1e-3 relative.
    const n = 1_000_000;
    const x = new Float32Array(n).fill(0.1);
    const v = Math.fround(0.1);
    expect(energy(x)).toBeCloseTo(n * v * v, 3);
    expect(residualEnergy(new Float32Array(n), x)).toBeCloseTo(n * v * v, 3);
  });

  it('rejects signals of different length', () => {
    expect(() => snr([1, 2], [1, 2, 3])).toThrow(/length/);
  });

  it('improvement = snr(est) − snr(mix)', () => {
    const r = [1, -1, 2, 0];
    const e = [1.1, -1, 2, 0];
    const m = [1, 0, 2, 1];
    expect(snrImprovement(e, r, m)).toBeCloseTo(snr(e, r) - snr(m, r), 12);
  });
});
