/**
 * First-order beams (dsp/beam.ts): the fixed patterns have their textbook responses (checked on
 * encoded plane waves, not on the weights), MVDR nulls a plane-wave interferer while passing the
 * look direction, the look direction glides along the great circle, and a beam bank's output
 * does not depend on how the stream is cut into blocks, starts omni until its first direction,
 * steers from the scheduled frame on, and fades beams in and out without steps.
 */
import { describe, expect, it } from 'vitest';
import {
  BeamBank, angleBetween, mvdrWeights, patternWeights, rotateTowards, unitVector, type BeamOptions, type BeamStep, type Vec3,
} from '../../../src/engine/dsp/beam';
import { encodeFoa, mixInto, noise } from '../../fixtures/models/helpers';

const RATE = 16000;
const STEP = 160;

/** Output energy of weights `w` for a plane wave of unit-power noise from (az, el), relative to W. */
function responseDb(w: Float64Array, az: number, el = 0): number {
  const s = noise(4000, 3);
  const x = encodeFoa(s, az, el);
  let ey = 0;
  let ew = 0;
  for (let i = 0; i < s.length; i++) {
    const y = w[0] * x[0][i] + w[1] * x[1][i] + w[2] * x[2][i] + w[3] * x[3][i];
    ey += y * y;
    ew += x[0][i] * x[0][i];
  }
  return 10 * Math.log10(ey / ew);
}

function opts(pattern: BeamOptions['pattern'] = 'max-re'): BeamOptions {
  return { rate: RATE, step: STEP, pattern, smoothSeconds: 0.1, morphSeconds: 0.1, loading: 0.3 };
}

describe('beam patterns', () => {
  it('unit gain on axis for every fixed pattern, in any direction', () => {
    for (const p of ['max-re', 'hypercardioid', 'cardioid'] as const) {
      for (const [az, el] of [[0, 0], [73, 20], [-150, -40], [180, 85]]) {
        expect(responseDb(patternWeights(p, unitVector(az, el)), az, el)).toBeCloseTo(0, 4);
      }
    }
  });

  it('hypercardioid nulls at 109.5°, −6 dB behind; max-rE −11.4 dB behind; cardioid nulls behind', () => {
    const front = unitVector(30, 0);
    expect(responseDb(patternWeights('hypercardioid', front), 30 + 109.47)).toBeLessThan(-50);
    expect(responseDb(patternWeights('hypercardioid', front), 210)).toBeCloseTo(-6.02, 1);
    expect(responseDb(patternWeights('max-re', front), 210)).toBeCloseTo(20 * Math.log10((Math.sqrt(3) - 1) / (1 + Math.sqrt(3))), 1);
    expect(responseDb(patternWeights('max-re', front), 30 + 125.26)).toBeLessThan(-50);
    expect(responseDb(patternWeights('cardioid', front), 210)).toBeLessThan(-80);
    expect(responseDb(patternWeights('cardioid', front), 120)).toBeCloseTo(-6.02, 1);
  });

  it('MVDR passes the look direction and nulls a plane-wave interferer (diffuse noise 20 dB down)', () => {
    const n = 8000;
    const x = encodeFoa(noise(n, 11), 135, 10);
    for (let k = 0; k < 12; k++) mixInto(x, encodeFoa(noise(n, 40 + k).map((v) => v * 0.1 / Math.sqrt(12)), (k * 97) % 360, ((k * 41) % 120) - 60));
    const R = new Float64Array(16);
    for (let i = 0; i < n; i++) for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) R[r * 4 + c] += (x[r][i] * x[c][i]) / n;
    const w = new Float64Array(4);
    expect(mvdrWeights(R, unitVector(-20, 0), 0.01, w)).toBe(true);
    expect(responseDb(w, -20, 0)).toBeCloseTo(0, 4);
    expect(responseDb(w, 135, 10)).toBeLessThan(-25);
    expect(mvdrWeights(new Float64Array(16), unitVector(0, 0), 0.3, w)).toBe(false);
  });
});

describe('look direction glide', () => {
  it('turns along the great circle by the given fraction, also between opposite directions', () => {
    const a = unitVector(0, 0);
    const b = unitVector(90, 0);
    const half = rotateTowards(a, b, 0.5);
    expect(angleBetween(half, unitVector(45, 0))).toBeLessThan(1e-9);
    const back = unitVector(180, 0);
    const q = rotateTowards(a, back, 0.25);
    expect(angleBetween(a, q)).toBeCloseTo(45, 6);
    expect(Math.hypot(...q)).toBeCloseTo(1, 12);
    expect(angleBetween(rotateTowards(a, b, 1), b)).toBeLessThan(1e-9);
  });
});

/** A 2-source FOA stream: noise from 0° and from 120°. */
function scene(n: number): Float32Array[] {
  const x = encodeFoa(noise(n, 5), 0, 0);
  mixInto(x, encodeFoa(noise(n, 6), 120, 0));
  return x;
}

function run(bank: BeamBank<string>, x: Float32Array[], cuts: number[]): Float32Array {
  const n = x[0].length;
  const out = new Float32Array(n);
  let at = 0;
  for (const c of [...cuts, n]) {
    const len = c - at;
    if (len <= 0) continue;
    const part = new Float32Array(len);
    bank.process(x.map((ch) => ch.subarray(at, c)), 0, at, len, part);
    out.set(part, at);
    at = c;
  }
  return out;
}

describe('beam bank on a stream', () => {
  it('gives the same output however the stream is cut into blocks', () => {
    const n = RATE * 2;
    const x = scene(n);
    const outs = [[], [1, 2, 159, 160, 161, 777, 5000], Array.from({ length: 200 }, (_, i) => 37 * (i + 1))].map((cuts) => {
      const bank = new BeamBank<string>(opts('mvdr'));
      const b = bank.beam('a');
      b.steer(unitVector(10, 0), 4000);
      b.steer(unitVector(100, 0), 16000);
      return run(bank, x, cuts.filter((c) => c < n));
    });
    for (const o of outs.slice(1)) for (let i = 0; i < n; i += 1) expect(Math.abs(o[i] - outs[0][i])).toBeLessThan(1e-6);
  });

  it('is omni (W) until the first direction, steers from the first step at or after the scheduled frame, morphs without steps', () => {
    const n = RATE;
    const x = scene(n);
    const bank = new BeamBank<string>(opts('max-re'));
    const steps: BeamStep[] = [];
    const b = bank.beam('a');
    b.onStep = (s) => steps.push(s);
    b.steer(unitVector(0, 0), 4001); // takes effect at the step starting at 4160
    const out = run(bank, x, [1000, 3000]);
    // First step fades in from silence; then pure W until 4160.
    for (let i = STEP; i < 4160; i++) expect(out[i]).toBeCloseTo(x[0][i], 6);
    expect(steps.find((s) => s.direction !== null)?.frame).toBe(4160);
    // After the morph (0.1 s) the output is the max-rE beam at 0°.
    const w = patternWeights('max-re', unitVector(0, 0));
    for (let i = 4160 + 1700; i < n; i++) expect(out[i]).toBeCloseTo(w[0] * x[0][i] + w[1] * x[1][i] + w[2] * x[2][i] + w[3] * x[3][i], 5);
    // Weights move by at most a tenth of their range per step (no jump), i.e. ≤ 1/1600 per sample.
    for (let k = 1; k < steps.length; k++) {
      const d = Math.max(...[0, 1, 2, 3].map((c) => Math.abs(steps[k].weights[c] - steps[k - 1].weights[c])));
      expect(d).toBeLessThanOrEqual(0.11);
    }
  });

  it('mixes two beams; a dropped beam fades out over one step and is removed', () => {
    const n = RATE;
    const x = scene(n);
    const bank = new BeamBank<string>(opts('cardioid'));
    bank.beam('a').steer(unitVector(0, 0), 0);
    bank.beam('b').steer(unitVector(120, 0), 0);
    const out = run(bank, x, [3200]);
    const wa = patternWeights('cardioid', unitVector(0, 0));
    const wb = patternWeights('cardioid', unitVector(120, 0));
    for (let i = 2000; i < n; i++) {
      const y = [0, 1, 2, 3].reduce((s, c) => s + (wa[c] + wb[c]) * x[c][i], 0);
      expect(out[i]).toBeCloseTo(y, 5);
    }
    bank.beams.get('b')!.fadeTo(0);
    const tail = new Float32Array(STEP);
    const x2 = scene(STEP + 1);
    bank.process(x2, 0, n, STEP, tail);
    bank.prune();
    expect(bank.beams.has('b')).toBe(true); // the fade-out step was rendered…
    bank.process(x2, STEP, n + STEP, 1, new Float32Array(1));
    bank.prune();
    expect(bank.beams.has('b')).toBe(false); // …and only then is the beam dropped
    // During the fade-out step the b part goes linearly from 1 to 0.
    for (const i of [0, 80, 159]) {
      const g = 1 - (i + 1) / STEP;
      const y = [0, 1, 2, 3].reduce((s, c) => s + (wa[c] + g * wb[c]) * x2[c][i], 0);
      expect(tail[i]).toBeCloseTo(y, 5);
    }
  });

  it('a gap in the stream restarts at the latest direction without gliding', () => {
    const x = scene(RATE);
    const bank = new BeamBank<string>(opts('hypercardioid'));
    const b = bank.beam('a');
    b.steer(unitVector(0, 0), 0);
    run(bank, x.map((c) => c.subarray(0, 4000)), []);
    b.steer(unitVector(90, 0), 4000);
    const out = new Float32Array(1000);
    bank.process(x.map((c) => c.subarray(8000)), 0, 8000, 1000, out);
    expect(angleBetween(b.look as Vec3, unitVector(90, 0))).toBeLessThan(1e-9);
    const w = patternWeights('hypercardioid', unitVector(90, 0));
    for (let i = 0; i < 1000; i++) expect(out[i]).toBeCloseTo([0, 1, 2, 3].reduce((s, c) => s + w[c] * x[c][8000 + i], 0), 5);
  });
});
