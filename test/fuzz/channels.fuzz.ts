/**
 * Property-based fuzzing of the channel-format converter (src/engine/audio/channels.ts):
 *   - a plane wave from an arbitrary direction, encoded here in each format by the format's own
 *     definition (FuMa: W/√2 and W,X,Y,Z order; N3D: dipoles × √3; A-format: four ideal cardioid
 *     capsules on the tetrahedron), converts to the ACN/SN3D encoding [s, s·uy, s·uz, s·ux];
 *   - converting in place gives the same result as into fresh arrays;
 *   - arbitrary float input (NaN, ±Inf, denormals, huge values) never throws for 4 channels, and
 *     toAcnSn3d refuses any other channel count with a RangeError.
 */
import fc from 'fast-check';
import { convertFoaInto, toAcnSn3d } from '../../src/engine/audio/channels';
import type { ChannelFormat } from '../../src/shared/audio';

const FORMATS = ['foa-acn-sn3d', 'foa-acn-n3d', 'foa-fuma', 'a-format-tetra'] as const;
const CAPSULES = [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]].map((d) => d.map((v) => v / Math.sqrt(3)));

/** The file's four channels for a plane wave s(t) from unit direction u, in `format`. */
function encode(format: ChannelFormat, s: number[], u: [number, number, number]): Float32Array[] {
  const [ux, uy, uz] = u;
  const ch = (f: (x: number) => number) => Float32Array.from(s, f);
  switch (format) {
    case 'foa-acn-sn3d':
      return [ch((x) => x), ch((x) => x * uy), ch((x) => x * uz), ch((x) => x * ux)];
    case 'foa-acn-n3d':
      return [ch((x) => x), ch((x) => Math.sqrt(3) * x * uy), ch((x) => Math.sqrt(3) * x * uz), ch((x) => Math.sqrt(3) * x * ux)];
    case 'foa-fuma':
      return [ch((x) => x / Math.SQRT2), ch((x) => x * ux), ch((x) => x * uy), ch((x) => x * uz)];
    default:
      return CAPSULES.map((d) => ch((x) => x * (0.5 + 0.5 * (d[0] * ux + d[1] * uy + d[2] * uz))));
  }
}

const direction = fc
  .tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }), fc.double({ min: -1, max: 1, noNaN: true }))
  .filter(([x, y, z]) => x * x + y * y + z * z > 1e-3)
  .map(([x, y, z]): [number, number, number] => {
    const n = Math.hypot(x, y, z);
    return [x / n, y / n, z / n];
  });

export function fuzzChannelConversion(runs: number, seed?: number): void {
  const opts = { numRuns: runs, ...(seed !== undefined ? { seed } : {}) };
  fc.assert(
    fc.property(
      fc.constantFrom(...FORMATS),
      direction,
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 1, maxLength: 64 }),
      (format, u, s) => {
        const input = encode(format, s, u);
        const fresh = toAcnSn3d(input, format);
        const [ux, uy, uz] = u;
        const want = [s, s.map((x) => x * uy), s.map((x) => x * uz), s.map((x) => x * ux)];
        for (let c = 0; c < 4; c++) {
          for (let i = 0; i < s.length; i++) {
            if (Math.abs(fresh[c][i] - want[c][i]) > 2e-6) throw new Error(`${format} channel ${c} sample ${i}: ${fresh[c][i]} ≠ ${want[c][i]}`);
          }
        }
        const inPlace = input.map((a) => a.slice());
        convertFoaInto(inPlace, format, inPlace, s.length);
        for (let c = 0; c < 4; c++) if (!inPlace[c].every((v, i) => Object.is(v, fresh[c][i]))) throw new Error(`${format}: in-place differs`);
      },
    ),
    opts,
  );
  fc.assert(
    fc.property(
      fc.constantFrom(...FORMATS),
      fc.integer({ min: 0, max: 9 }),
      fc.array(fc.float(), { maxLength: 32 }),
      (format, nch, samples) => {
        const data = Array.from({ length: nch }, () => Float32Array.from(samples));
        if (nch !== 4) {
          try {
            toAcnSn3d(data, format);
          } catch (e) {
            if (e instanceof RangeError && /needs 4 channels/.test(e.message)) return;
            throw e;
          }
          throw new Error(`${format} accepted ${nch} channels`);
        }
        const out = toAcnSn3d(data, format);
        if (out.length !== 4 || out.some((o) => o.length !== samples.length)) throw new Error('wrong output shape');
      },
    ),
    opts,
  );
}
