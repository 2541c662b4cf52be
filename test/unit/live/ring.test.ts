/** PlanarRing: windows read back equal the written stream (checked against a plain array), zeros before the start. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PlanarRing } from '../../../src/engine/live/ring';

describe('PlanarRing', () => {
  it('returns the last frames of the stream for any block sizes, with zeros before the start', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 300 }), { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 200 }), (sizes, length) => {
        const ring = new PlanarRing(2, 256);
        const truth: number[][] = [[], []];
        let v = 0;
        for (const n of sizes) {
          const block = [new Float32Array(n), new Float32Array(n)];
          for (let i = 0; i < n; i++) {
            block[0][i] = v;
            block[1][i] = -v;
            truth[0].push(v);
            truth[1].push(-v);
            v++;
          }
          ring.write(block);
        }
        expect(ring.total).toBe(v);
        const out = new Float32Array(2 * length);
        ring.copyWindow(ring.total, length, out);
        for (let c = 0; c < 2; c++) {
          for (let i = 0; i < length; i++) {
            const at = ring.total - length + i;
            expect(out[c * length + i]).toBe(at < 0 ? 0 : truth[c][at]);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses a window whose frames were already overwritten', () => {
    const ring = new PlanarRing(1, 100);
    ring.write([new Float32Array(250)]);
    expect(() => ring.copyWindow(250, 150, new Float32Array(150))).toThrow(/overwritten/);
    expect(() => ring.copyWindow(251, 10, new Float32Array(10))).toThrow(/beyond/);
  });
});
