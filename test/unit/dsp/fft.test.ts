/** FFT (dsp/fft.ts) against a direct DFT, and the two-real-signals trick. */
import { describe, expect, it } from 'vitest';
import { Fft, realPairSpectra } from '../../../src/engine/dsp/fft';
import { noise } from '../../fixtures/models/helpers';

function dft(x: ArrayLike<number>, k: number): [number, number] {
  let re = 0;
  let im = 0;
  for (let n = 0; n < x.length; n++) {
    re += x[n] * Math.cos((2 * Math.PI * k * n) / x.length);
    im -= x[n] * Math.sin((2 * Math.PI * k * n) / x.length);
  }
  return [re, im];
}

describe('fft', () => {
  it.each([2, 8, 64, 256])('matches the DFT (N=%i)', (n) => {
    const x = noise(n, n + 1);
    const re = Float64Array.from(x);
    const im = new Float64Array(n);
    new Fft(n).forward(re, im);
    for (let k = 0; k < n; k++) {
      const [r, i] = dft(x, k);
      expect(re[k]).toBeCloseTo(r, 9);
      expect(im[k]).toBeCloseTo(i, 9);
    }
  });

  it('two real spectra from one complex FFT', () => {
    const n = 128;
    const a = noise(n, 3);
    const b = noise(n, 4);
    const fft = new Fft(n);
    const s = Array.from({ length: 6 }, (_, i) => new Float64Array(i < 2 ? n : n / 2 + 1));
    realPairSpectra(fft, a, b, s[0], s[1], s[2], s[3], s[4], s[5]);
    for (const k of [0, 1, 17, 63, 64]) {
      const [ar, ai] = dft(a, k);
      const [br, bi] = dft(b, k);
      expect(s[2][k]).toBeCloseTo(ar, 9);
      expect(s[3][k]).toBeCloseTo(ai, 9);
      expect(s[4][k]).toBeCloseTo(br, 9);
      expect(s[5][k]).toBeCloseTo(bi, 9);
    }
  });

  it('refuses sizes that are not powers of two', () => {
    expect(() => new Fft(100)).toThrow(/power of two/);
  });
});
