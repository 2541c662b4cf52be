/**
 * Channel-format conversion: a plane wave encoded independently in each convention (from its
 * definition: SN3D/N3D spherical harmonics, FuMa's −3 dB W and W X Y Z order, and four ideal
 * cardioid capsules of a tetrahedral array for A-format) is converted to ACN/SN3D, and its
 * direction (intensity vector) and gains are recovered. The format hint is checked on a
 * synthetic diffuse field in each normalisation.
 */
import { describe, expect, it } from 'vitest';
import { formatHint, toAcnSn3d } from '../../../src/engine/audio';
import type { ChannelFormat } from '../../../src/shared/audio';

const D = Math.PI / 180;
const N = 2400;

function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    x[i] = (s / 2 ** 32) * 2 - 1;
  }
  return x;
}

function unit(azDeg: number, elDeg: number): [number, number, number] {
  return [Math.cos(azDeg * D) * Math.cos(elDeg * D), Math.sin(azDeg * D) * Math.cos(elDeg * D), Math.sin(elDeg * D)];
}

const scale = (s: Float32Array, g: number) => s.map((v) => v * g);

/** The plane wave s from (az, el) as a file in `format` would store it. */
function encode(s: Float32Array, az: number, el: number, format: ChannelFormat): Float32Array[] {
  const [x, y, z] = unit(az, el);
  switch (format) {
    case 'foa-acn-sn3d':
      return [s.slice(), scale(s, y), scale(s, z), scale(s, x)];
    case 'foa-acn-n3d':
      return [s.slice(), scale(s, Math.sqrt(3) * y), scale(s, Math.sqrt(3) * z), scale(s, Math.sqrt(3) * x)];
    case 'foa-fuma':
      return [scale(s, Math.SQRT1_2), scale(s, x), scale(s, y), scale(s, z)];
    case 'a-format-tetra': {
      // capsules at the tetrahedron's vertices: FLU, FRD, BLD, BRU; ideal cardioids ½ + ½·cos γ
      const tilt = Math.atan(1 / Math.SQRT2) / D; // 35.26°
      const caps: [number, number][] = [[45, tilt], [-45, -tilt], [135, -tilt], [-135, tilt]];
      return caps.map(([caz, cel]) => {
        const d = unit(caz, cel);
        const cos = d[0] * x + d[1] * y + d[2] * z;
        return scale(s, 0.5 + 0.5 * cos);
      });
    }
    default:
      throw new Error(format);
  }
}

/** Direction of the time-averaged intensity vector W·(X, Y, Z) of ACN/SN3D signals. */
function doa(acn: Float32Array[]): { az: number; el: number } {
  const [w, y, z, x] = acn;
  let ix = 0, iy = 0, iz = 0;
  for (let i = 0; i < w.length; i++) {
    ix += w[i] * x[i];
    iy += w[i] * y[i];
    iz += w[i] * z[i];
  }
  return { az: Math.atan2(iy, ix) / D, el: Math.atan2(iz, Math.hypot(ix, iy)) / D };
}

const angleDiff = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

const DIRECTIONS: [number, number][] = [[0, 0], [90, 0], [45, 30], [-120, -20], [170, 60], [-30, -75], [135, 10]];
const FORMATS: ChannelFormat[] = ['foa-acn-sn3d', 'foa-acn-n3d', 'foa-fuma', 'a-format-tetra'];

describe('toAcnSn3d: plane waves in every convention', () => {
  const s = noise(N, 7);
  for (const format of FORMATS) {
    it(`${format}: direction within 1° and SN3D gains recovered`, () => {
      for (const [az, el] of DIRECTIONS) {
        const file = encode(s, az, el, format);
        const copy = file.map((c) => c.slice());
        const out = toAcnSn3d(file, format);
        for (let c = 0; c < 4; c++) expect(file[c].every((v, i) => v === copy[c][i]), 'input untouched').toBe(true);
        const got = doa(out);
        expect(angleDiff(got.az, az), `${format} az at (${az}, ${el})`).toBeLessThan(1);
        expect(Math.abs(got.el - el), `${format} el at (${az}, ${el})`).toBeLessThan(1);
        // gains: W = s, Y = s·sin(az)cos(el), Z = s·sin(el), X = s·cos(az)cos(el)
        const [ux, uy, uz] = unit(az, el);
        const want = [1, uy, uz, ux];
        for (let c = 0; c < 4; c++) {
          let err = 0;
          for (let i = 0; i < N; i++) err = Math.max(err, Math.abs(out[c][i] - want[c] * s[i]));
          expect(err, `${format} channel ${c} at (${az}, ${el})`).toBeLessThan(2e-6);
        }
      }
    });
  }

  it('mono and other formats pass through unchanged; FOA formats demand 4 channels', () => {
    const m = [s];
    expect(toAcnSn3d(m, 'mono')).toBe(m);
    expect(() => toAcnSn3d([s, s, s], 'foa-fuma')).toThrow(/needs 4 channels, got 3/);
  });
});

describe('formatHint: diffuse field in each normalisation', () => {
  // 12 uncorrelated noise sources from directions spread over the sphere (golden-spiral points)
  const n = 32000;
  const sources = Array.from({ length: 12 }, (_, k) => {
    const el = Math.asin(1 - (2 * (k + 0.5)) / 12) / D;
    const az = ((k * 137.508) % 360) - 180;
    return { az, el, s: noise(n, 100 + k) };
  });
  const field = (format: ChannelFormat) => {
    const sum = Array.from({ length: 4 }, () => new Float32Array(n));
    for (const { az, el, s } of sources) {
      encode(s, az, el, format).forEach((ch, c) => ch.forEach((v, i) => (sum[c][i] += v)));
    }
    return sum;
  };

  it.each([
    ['foa-acn-sn3d', 1],
    ['foa-fuma', 2],
    ['foa-acn-n3d', 3],
  ] as const)('%s reads ≈ %d; with no quiet height channel no format is suggested', (format, ideal) => {
    const assumed = formatHint(field(format), 32000);
    expect(assumed).not.toBeNull();
    expect(assumed!.ratio).toBeGreaterThan(ideal * 0.85);
    expect(assumed!.ratio).toBeLessThan(ideal * 1.15);
    // The ratio says nothing about channel order: nothing is offered, the unusual ratio is a note.
    expect(assumed!).toMatchObject({ order: null, suggested: null, agrees: true, ratioFits: format === 'foa-acn-sn3d' });
    expect(assumed!.level).toBe(format === 'foa-acn-sn3d' ? 'ok' : 'note');
    if (format === 'foa-fuma') {
      expect(assumed!.message).toMatch(/^ACN\/SN3D assumed, but its dipole\/omni ratio 2\.\d\d is unusual for it .* declare the format if you know it$/);
    }
    const declared = formatHint(field(format), 32000, format, true);
    expect(declared!).toMatchObject({ agrees: true, suggested: null, level: 'ok', ratioFits: true });
  });

  it('is null for silence, for A-format, and for non-4-channel input', () => {
    const silent = Array.from({ length: 4 }, () => new Float32Array(1000));
    expect(formatHint(silent, 32000)).toBeNull();
    expect(formatHint(field('a-format-tetra'), 32000, 'a-format-tetra', true)).toBeNull();
    expect(formatHint([new Float32Array(10)], 32000)).toBeNull();
  });
});
