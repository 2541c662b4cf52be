/**
 * Overlap-add (dsp/overlap-add.ts): the identity "model" must give back its input exactly for
 * lengths that are not a multiple of the hop (asteroid's test); a stem missing from a window fades
 * linearly; the weight never vanishes.
 */
import { describe, expect, it } from 'vitest';
import { OverlapAdd, triangleWeight } from '../../../src/engine/dsp/overlap-add';
import { noise } from '../../fixtures/models/helpers';

/** Runs a signal through windows of W (hop H, zero padding at the end) and OLA; returns the output. */
function olaIdentity(x: Float32Array, W: number, H: number, transform = (w: Float32Array) => w): Float32Array {
  const ola = new OverlapAdd<'a'>(W, H);
  const out = new Float32Array(x.length);
  const put = (e: { start: number; length: number; stems: Map<'a', Float32Array> }) => out.set(e.stems.get('a')!.subarray(0, e.length), e.start);
  const K = x.length <= W ? 1 : Math.ceil((x.length - W) / H) + 1;
  for (let k = 0; k < K; k++) {
    const w = new Float32Array(W);
    w.set(x.subarray(k * H, Math.min(x.length, k * H + W)));
    put(ola.push(new Map([['a', transform(w)]]), Math.min(x.length, k * H + W)));
  }
  put(ola.finish(x.length));
  return out;
}

describe('overlap-add', () => {
  it('triangle weight: peaks mid-window, positive at the ends, sums of shifted copies never zero', () => {
    const w = triangleWeight(10);
    expect(Array.from(w).map((v) => v.toFixed(1))).toEqual(['0.2', '0.4', '0.6', '0.8', '1.0', '1.0', '0.8', '0.6', '0.4', '0.2']);
    expect(Math.min(...triangleWeight(7))).toBeGreaterThan(0);
  });

  it.each([
    [1000, 100, 50],
    [1237, 100, 50],
    [99, 100, 50],
    [100, 100, 50],
    [1001, 64, 32],
    [5003, 101, 50],
  ])('identity model returns the input exactly (N=%i, W=%i, H=%i)', (N, W, H) => {
    const x = noise(N, N);
    const y = olaIdentity(x, W, H);
    let err = 0;
    for (let i = 0; i < N; i++) err = Math.max(err, Math.abs(y[i] - x[i]));
    expect(err).toBeLessThan(1e-6);
  });

  it('a gain per window becomes a linear crossfade between window centres', () => {
    const W = 100;
    const H = 50;
    let k = 0;
    const x = new Float32Array(300).fill(1);
    const y = olaIdentity(x, W, H, (w) => {
      const gain = k++ % 2 === 0 ? 1 : 0;
      return w.map((v) => v * gain);
    });
    // windows 0, 2, 4 pass (gain 1), 1, 3 block: the first half-window is window 0 alone
    expect(y[10]).toBeCloseTo(1, 6);
    // between the centres of window 0 (50) and window 1 (100) the output ramps from 1 to 0
    expect(y[50]).toBeCloseTo(1, 1);
    expect(y[75]).toBeCloseTo(0.5, 1);
    for (let i = 51; i < 100; i++) expect(y[i]).toBeLessThanOrEqual(y[i - 1] + 1e-6);
  });

  it('keys appear late (zeros before) and continue as zeros where a window lacks them', () => {
    const ola = new OverlapAdd<string>(4, 2);
    const one = new Float32Array(4).fill(1);
    const a = ola.push(new Map([['a', one]]));
    expect([...a.stems.keys()]).toEqual(['a']);
    const b = ola.push(new Map([['b', one]]));
    expect([...b.stems.keys()]).toEqual(['a', 'b']);
    expect(b.start).toBe(2);
    // weights [0.5, 1, 1, 0.5]: samples 2, 3 get a·(1, 0.5) and b·(0.5, 1) over (1.5, 1.5)
    expect(Array.from(b.stems.get('b')!).map((v) => v.toFixed(4))).toEqual(['0.3333', '0.6667']);
    expect(Array.from(b.stems.get('a')!).map((v) => v.toFixed(4))).toEqual(['0.6667', '0.3333']);
    const end = ola.finish(6);
    expect(end.start).toBe(4);
    expect(Array.from(end.stems.get('b')!)).toEqual([1, 1]);
    expect(ola.keys()).toEqual(['a', 'b']);
  });

  it('refuses outputs shorter than the window', () => {
    const ola = new OverlapAdd<string>(8, 4);
    expect(() => ola.push(new Map([['a', new Float32Array(7)]]))).toThrow(/7 samples, the window has 8/);
  });
});
