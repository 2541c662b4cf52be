/** The 8-sample toy signals of the worked examples (s5-task.md §2.4, s5-2026.md §1.7). */
export const SPEECH = [1, -1, 2, 0, 0, 1, -2, 1];
export const DISHES = [0, 1, 0, -1, 1, 0, 0, 1];
export const TYPING = [0, 0, 1, 1, -1, -1, 0, 0];
export const NOISE = [0.1, -0.1, 0, 0.2, -0.2, 0.1, 0, -0.1];
export const ZERO = new Array<number>(8).fill(0);

/** Σ cᵢ·xᵢ as float32 samples (what a WAV reader hands the metric). */
export function mix(...terms: [number, number[]][]): Float32Array {
  const out = new Float32Array(8);
  for (let n = 0; n < 8; n++) out[n] = terms.reduce((s, [c, x]) => s + c * x[n], 0);
  return out;
}

/** |actual − expected| < 1e-3 dB (the spec values are printed with 4 decimals). */
export const DB_TOLERANCE = 1e-3;
