/**
 * Resampler quality and streaming behaviour, for 'medium' (default: the engine's FIR resampler,
 * polyphase.ts) and 'best' (libsamplerate): THD+N of a 1 kHz sine 44.1→32 kHz, a 15 kHz tone
 * 48→32 kHz (medium: in its filter's transition band, 14.4–16 kHz; best: kept; never aliased) and a
 * 17 kHz tone (out of band: removed instead of
 * aliasing to 15 kHz), streaming = one-shot, output lengths, and agreement with an independent
 * polyphase resampler (scipy.signal.resample_poly, Kaiser β=12) on 50 Hz–8 kHz noise (above
 * 8 kHz the two filters' roll-offs differ: scipy's starts earlier).
 */
import { writeFileSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createResampler, outputLength, resample } from '../../../src/engine/audio';
import { f64Bytes, makeTmp, python } from './helpers';

const tmp = makeTmp('resample');
afterAll(() => tmp.cleanup());

function tone(f: number, fs: number, n: number, a = 0.5): Float32Array {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = a * Math.sin((2 * Math.PI * f * i) / fs);
  return x;
}

/**
 * Least-squares fit of a·sin + b·cos at frequency f over y[skip, n−skip): amplitude and the
 * residual (everything else: harmonics, noise, aliases) relative to the fitted tone, in dB.
 */
function fitTone(y: Float32Array, f: number, fs: number, skip: number): { amp: number; residualDb: number; rms: number } {
  let ss = 0, cc = 0, sc = 0, ys = 0, yc = 0, n = 0;
  for (let i = skip; i < y.length - skip; i++) {
    const s = Math.sin((2 * Math.PI * f * i) / fs), c = Math.cos((2 * Math.PI * f * i) / fs);
    ss += s * s; cc += c * c; sc += s * c; ys += y[i] * s; yc += y[i] * c; n++;
  }
  const det = ss * cc - sc * sc;
  const a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
  let err = 0, pow = 0;
  for (let i = skip; i < y.length - skip; i++) {
    const m = a * Math.sin((2 * Math.PI * f * i) / fs) + b * Math.cos((2 * Math.PI * f * i) / fs);
    err += (y[i] - m) ** 2;
    pow += m * m;
  }
  return { amp: Math.hypot(a, b), residualDb: 10 * Math.log10(err / pow), rms: Math.sqrt((err + pow) / n) };
}

describe.each([
  // quality, THD+N bound, 15 kHz gain range (dB) — measured: medium −122 dB / −1.8 dB, best −146 dB / −0.002 dB
  ['medium', -115, [-4, -0.5]],
  ['best', -135, [-0.1, 0.01]],
] as const)('resample: quality %s (libsamplerate SINC)', (quality, thdBound, gain15) => {
  it('1 kHz sine 44.1 → 32 kHz: THD+N below −90 dB, gain 0 dB', async () => {
    const [y] = await resample([tone(1000, 44100, 44100)], 44100, 32000, quality);
    expect(y.length).toBe(32000);
    const r = fitTone(y, 1000, 32000, 3200);
    expect(r.residualDb).toBeLessThan(-90);
    expect(r.residualDb).toBeLessThan(thdBound);
    expect(Math.abs(r.amp - 0.5)).toBeLessThan(1e-5);
  });

  it('15 kHz tone 48 → 32 kHz: attenuated by the filter edge or kept, never aliased', async () => {
    const [y] = await resample([tone(15000, 48000, 48000)], 48000, 32000, quality);
    const r = fitTone(y, 15000, 32000, 3200);
    const gainDb = 20 * Math.log10(r.amp / 0.5);
    expect(gainDb).toBeGreaterThan(gain15[0]);
    expect(gainDb).toBeLessThan(gain15[1]);
    expect(r.residualDb).toBeLessThan(-90); // nothing but the 15 kHz tone: no alias, no noise
  });

  it('17 kHz tone 48 → 32 kHz (above the new Nyquist): attenuated > 90 dB, not folded to 15 kHz', async () => {
    const [y] = await resample([tone(17000, 48000, 48000)], 48000, 32000, quality);
    const r = fitTone(y, 15000, 32000, 3200);
    expect(20 * Math.log10(r.amp / 0.5)).toBeLessThan(-90);
    expect(20 * Math.log10(r.rms / (0.5 / Math.SQRT2))).toBeLessThan(-90);
  });
});

describe('resample: against an independent resampler', () => {
  it('agrees with scipy.signal.resample_poly on 50 Hz–8 kHz noise (difference below −100 dB)', async () => {
    const n = 44100;
    let s = 99;
    const x = new Float32Array(n).map(() => ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * 0.5);
    const src = path.join(tmp.dir, 'noise.f64');
    writeFileSync(src, f64Bytes([x]));
    const ref = path.join(tmp.dir, 'ref.f64');
    python(String.raw`
import sys, numpy as np
from scipy import signal
x = np.fromfile(sys.argv[1], '<f8')
sos = signal.butter(8, [50, 8000], 'bandpass', fs=44100, output='sos')
x = signal.sosfiltfilt(sos, x)
x.astype('<f8').tofile(sys.argv[1])
signal.resample_poly(x, 320, 441, window=('kaiser', 12.0)).astype('<f8').tofile(sys.argv[2])
`, src, ref);
    const bx = readFileSync(src);
    const filtered = Float32Array.from(new Float64Array(bx.buffer.slice(bx.byteOffset, bx.byteOffset + bx.length)));
    const br = readFileSync(ref);
    const want = new Float64Array(br.buffer.slice(br.byteOffset, br.byteOffset + br.length));
    const [y] = await resample([filtered], 44100, 32000);
    expect(y.length).toBe(want.length);
    // (default quality; in 50 Hz–8 kHz both converters are flat)
    let e = 0, p = 0;
    for (let i = 2000; i < y.length - 2000; i++) {
      e += (y[i] - want[i]) ** 2;
      p += want[i] ** 2;
    }
    expect(10 * Math.log10(e / p)).toBeLessThan(-100); // measured −118 dB
  });
});

describe('resample: streaming', () => {
  it('block-wise output equals one-shot output, in length ceil(n·to/from)', async () => {
    const n = 20011;
    const x = [tone(440, 48000, n), tone(3000, 48000, n, 0.3)];
    const whole = await resample(x, 48000, 32000);
    expect(whole[0].length).toBe(outputLength(n, 48000, 32000));
    expect(whole[0].length).toBe(Math.ceil((n * 2) / 3));
    const r = await createResampler(48000, 32000, 2);
    const parts: Float32Array[][] = [];
    for (let o = 0, k = 1; o < n; o += k, k = (k * 7) % 5003 + 1) {
      parts.push(r.process(x.map((c) => c.subarray(o, Math.min(n, o + k)))));
    }
    parts.push(r.flush());
    for (let c = 0; c < 2; c++) {
      const joined = new Float32Array(parts.reduce((s, p) => s + p[c].length, 0));
      let o = 0;
      for (const p of parts) {
        joined.set(p[c], o);
        o += p[c].length;
      }
      expect(joined).toEqual(whole[c]);
    }
  });

  it('a reused (pooled) converter starts from a clean state', async () => {
    const x = [tone(1000, 44100, 5000)];
    const a = await resample(x, 44100, 32000);
    const noisy = await createResampler(44100, 32000, 1);
    noisy.process([tone(5000, 44100, 3000, 0.9)]); // leave history behind, then give it back
    noisy.destroy();
    const b = await resample(x, 44100, 32000);
    expect(b[0]).toEqual(a[0]);
  });

  it('equal rates pass through; bad rates are refused', async () => {
    const x = [tone(100, 8000, 100)];
    const same = await resample(x, 8000, 8000);
    expect(same[0]).toEqual(x[0]);
    expect(same[0]).not.toBe(x[0]);
    await expect(createResampler(0, 32000, 1)).rejects.toThrow(/fromRate must be a positive number/);
    await expect(createResampler(8000, 32000, 0)).rejects.toThrow(/channels must be/);
  });

  it('upsamples too: 16 → 48 kHz keeps a 1 kHz tone clean', async () => {
    const [y] = await resample([tone(1000, 16000, 16000)], 16000, 48000);
    expect(y.length).toBe(48000);
    expect(fitTone(y, 1000, 48000, 4800).residualDb).toBeLessThan(-90);
  });
});

describe('resample: the FIR converter on the input path (→ 16 kHz model rate)', () => {
  // 48 and 32 kHz take the folded inverse FFT (every 2nd sample), 44.1 kHz adds the 320/441 stage.
  it.each([48000, 44100, 32000])('%i Hz → 16 kHz: flat to 7.2 kHz, nothing aliases from above 8 kHz, stream = one shot', async (from) => {
    const n = from * 2;
    for (const [f, check] of [[1000, 'thd'], [7000, 'flat'], [8500, 'alias'], [12000, 'alias']] as const) {
      const [y] = await resample([tone(f, from, n)], from, 16000);
      expect(y.length).toBe(outputLength(n, from, 16000));
      if (check === 'alias') {
        // 8.5 kHz would fold to 7.5 kHz, 12 kHz to 4 kHz: all that is left is the stopband leak.
        expect(20 * Math.log10(fitTone(y, 16000 - f, 16000, 1600).rms / (0.5 / Math.SQRT2))).toBeLessThan(-110);
      } else {
        const r = fitTone(y, f, 16000, 1600);
        expect(Math.abs(20 * Math.log10(r.amp / 0.5))).toBeLessThan(1e-4);
        expect(r.residualDb).toBeLessThan(check === 'thd' ? -125 : -110);
      }
    }
    const x = [tone(440, from, 30011), tone(3000, from, 30011, 0.3), tone(6000, from, 30011, 0.2), tone(100, from, 30011, 0.1)];
    const whole = await resample(x, from, 16000);
    const r = await createResampler(from, 16000, 4);
    const parts: Float32Array[][] = [];
    for (let o = 0, k = 7; o < x[0].length; o += k, k = (k * 13) % 9001 + 1) parts.push(r.process(x.map((c) => c.subarray(o, Math.min(x[0].length, o + k)))));
    parts.push(r.flush());
    for (let c = 0; c < 4; c++) {
      const joined = new Float32Array(parts.reduce((s, p) => s + p[c].length, 0));
      let o = 0;
      for (const p of parts) {
        joined.set(p[c], o);
        o += p[c].length;
      }
      expect(joined).toEqual(whole[c]);
    }
  });
});
