/**
 * The engine's spectrogram (scene/spectrogram.ts) against a direct O(N²) DFT written here, and
 * its dB scale against the analytic level of a full-scale sine.
 */
import { describe, expect, it } from 'vitest';
import { spectrogramColumns, spectrogramDb, spectrogramHop } from '../../../src/engine/scene/spectrogram';

/** |X[k]| of the Hann-windowed frame by the DFT definition, scaled by 4/N. */
function directDftDb(frame: Float32Array, n: number): number[] {
  const out: number[] = [];
  for (let k = 0; k <= n / 2; k++) {
    let re = 0;
    let im = 0;
    for (let t = 0; t < n; t++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * t) / n);
      const v = (t < frame.length ? frame[t] : 0) * w;
      re += v * Math.cos((2 * Math.PI * k * t) / n);
      im -= v * Math.sin((2 * Math.PI * k * t) / n);
    }
    const mag = (Math.hypot(re, im) * 4) / n;
    out.push(mag > 0 ? Math.max(-120, 20 * Math.log10(mag)) : -120);
  }
  return out;
}

describe('scene spectrogram', () => {
  it('equals a direct DFT of each Hann-windowed column', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    const x = Float32Array.from({ length: 3000 }, (_, i) => 0.3 * Math.sin(i * 0.21) + 0.1 * rnd());
    const n = 256;
    const hop = 100;
    const s = spectrogramDb(x, n, hop);
    expect(s.bins).toBe(129);
    expect(s.columns).toBe(Math.floor((3000 - 256) / 100) + 1);
    for (const c of [0, 5, s.columns - 1]) {
      const ref = directDftDb(x.subarray(c * hop, c * hop + n), n);
      for (let k = 0; k < s.bins; k++) expect(s.db[c * s.bins + k]).toBeCloseTo(ref[k], 2);
    }
  });

  it('reads 0 dB for a full-scale sine in its bin and −6 dB at half amplitude', () => {
    const n = 512;
    const rate = 16000;
    const bin = 40;
    const f = (bin * rate) / n;
    const sine = (a: number) => Float32Array.from({ length: 4096 }, (_, i) => a * Math.sin((2 * Math.PI * f * i) / rate));
    const full = spectrogramDb(sine(1), n, 256);
    const half = spectrogramDb(sine(0.5), n, 256);
    expect(full.db[3 * full.bins + bin]).toBeCloseTo(0, 1);
    expect(half.db[3 * half.bins + bin]).toBeCloseTo(20 * Math.log10(0.5), 1);
    // Far from the tone the Hann sidelobes are far down.
    expect(full.db[3 * full.bins + 200]).toBeLessThan(-80);
  });

  it('chooses a hop so the whole source fits the requested columns', () => {
    for (const frames of [100, 512, 16000 * 4.5, 16000 * 3600]) {
      const hop = spectrogramHop(frames, 512, 2048);
      expect(hop).toBeGreaterThanOrEqual(128);
      const cols = spectrogramColumns(frames, 512, hop);
      expect(cols).toBeLessThanOrEqual(2048);
      expect(cols).toBeGreaterThanOrEqual(1);
      // The last column reaches to within one hop of the end.
      if (frames > 512) expect((cols - 1) * hop + 512 + hop).toBeGreaterThan(frames);
    }
    expect(spectrogramColumns(0, 512, 128)).toBe(0);
  });
});
