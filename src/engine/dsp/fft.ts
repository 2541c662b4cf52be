/**
 * Radix-2 complex FFT (iterative, in place, precomputed twiddles and bit reversal), and the
 * two-real-signals-in-one-complex-FFT trick that halves the cost of the real spectra the
 * direction estimator needs. Hand-written: the engine needs only this one transform, at sizes of
 * 256–2048 points, and no well-kept FFT package is small enough to justify a dependency.
 */
export class Fft {
  readonly size: number;
  /** e^(−2πik/N) for k < N/2, interleaved (re, im). */
  private readonly twiddle: Float64Array;
  private readonly rev: Uint32Array;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 2 || (size & (size - 1)) !== 0) throw new RangeError(`FFT size must be a power of two ≥ 2, got ${size}`);
    this.size = size;
    this.twiddle = new Float64Array(size);
    for (let k = 0; k < size / 2; k++) {
      this.twiddle[2 * k] = Math.cos((2 * Math.PI * k) / size);
      this.twiddle[2 * k + 1] = -Math.sin((2 * Math.PI * k) / size);
    }
    this.rev = new Uint32Array(size);
    const bits = Math.log2(size);
    for (let i = 0; i < size; i++) {
      let r = 0;
      for (let b = 0; b < bits; b++) r |= ((i >> b) & 1) << (bits - 1 - b);
      this.rev[i] = r;
    }
  }

  /** Forward transform X[k] = Σ x[n]·e^(−2πikn/N), in place. */
  forward(re: Float64Array, im: Float64Array): void {
    const n = this.size;
    const rev = this.rev;
    const tw = this.twiddle;
    for (let i = 0; i < n; i++) {
      const j = rev[i];
      if (j > i) {
        let t = re[i];
        re[i] = re[j];
        re[j] = t;
        t = im[i];
        im[i] = im[j];
        im[j] = t;
      }
    }
    // Butterflies, twiddle-major so each twiddle is loaded once per stage.
    for (let len = 2; len <= n; len <<= 1) {
      const half = len >> 1;
      const step = (n / len) * 2;
      for (let k = 0, t = 0; k < half; k++, t += step) {
        const wr = tw[t];
        const wi = tw[t + 1];
        for (let a = k; a < n; a += len) {
          const b = a + half;
          const br = re[b];
          const bi = im[b];
          const xr = br * wr - bi * wi;
          const xi = br * wi + bi * wr;
          re[b] = re[a] - xr;
          im[b] = im[a] - xi;
          re[a] += xr;
          im[a] += xi;
        }
      }
    }
  }
}

/**
 * Spectra of two real signals with one complex FFT: z = a + i·b, then
 * A[k] = (Z[k] + conj Z[N−k]) / 2 and B[k] = (Z[k] − conj Z[N−k]) / 2i, for k = 0 … N/2.
 * `re`/`im` are scratch arrays of the FFT size; outputs have N/2 + 1 bins.
 */
export function realPairSpectra(
  fft: Fft, a: ArrayLike<number>, b: ArrayLike<number>, re: Float64Array, im: Float64Array,
  aRe: Float64Array, aIm: Float64Array, bRe: Float64Array, bIm: Float64Array,
): void {
  const n = fft.size;
  for (let i = 0; i < n; i++) {
    re[i] = a[i];
    im[i] = b[i];
  }
  fft.forward(re, im);
  for (let k = 0; k <= n / 2; k++) {
    const j = (n - k) % n;
    aRe[k] = 0.5 * (re[k] + re[j]);
    aIm[k] = 0.5 * (im[k] - im[j]);
    bRe[k] = 0.5 * (im[k] + im[j]);
    bIm[k] = -0.5 * (re[k] - re[j]);
  }
}
