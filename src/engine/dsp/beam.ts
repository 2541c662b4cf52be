/**
 * First-order beams on FOA (ACN/SN3D channel order W, Y, Z, X) for Live's direct listen mode
 * (docs/live.md, issue #17). A plane wave from unit direction u = (x, y, z) appears as
 * W = s, Y = y·s, Z = z·s, X = x·s, so the beam
 *
 *   out = a·W + (1 − a)·(ux·X + uy·Y + uz·Z)
 *
 * has the pattern a + (1 − a)·cos θ (θ: angle between the source and the look direction u) and
 * unit gain on axis. The fixed patterns differ in their omni share a (the first-order 3D decoders
 * of the Ambisonics literature, as polar patterns):
 *
 *   hypercardioid  a = 1/4          basic decoding: highest directivity (6.0 dB), nulls at 109.5°,
 *                                   but a rear lobe of −6 dB at 180°
 *   max-rE         a = 1/(1 + √3)   the max-rE weight g1 = 1/√3: rear lobe −11.4 dB, nulls at 125°,
 *                                   directivity 5.7 dB
 *   cardioid       a = 1/2          in-phase decoding: null at 180°, directivity 4.8 dB
 *
 * and the adaptive one: MVDR (minimum variance, distortionless towards u) on the broadband 4 × 4
 * covariance R of the input, w = (R + δ·tr(R)/4·I)⁻¹ d / (dᵀ (R + δ·tr(R)/4·I)⁻¹ d) with the
 * steering vector d = (1, uy, uz, ux). Which pattern Live uses by default was measured in
 * reverberant simulated rooms (docs/live.md, test/integration/live-direct.test.ts).
 *
 * `SteeredBeam` runs one beam on a stream addressed by absolute frame numbers: its state (look
 * direction, the morph from omni to the beam, the gain) advances once per grid step of
 * `step` frames (≤ 10 ms) and the weights are interpolated linearly sample by sample within a
 * step, so a moving beam causes no zipper noise and the output does not depend on how the stream
 * was cut into blocks. Look-direction changes are scheduled at frame positions
 * (`steer(u, frame)`) and take effect at the first grid step at or after that frame, so a
 * recording processed offline and live gives the same output when the direction estimates
 * arrive in time.
 */

import { BEAM_PATTERNS } from '../../shared/api-live';

export { BEAM_PATTERNS };
export type BeamPattern = (typeof BEAM_PATTERNS)[number];
export type FixedPattern = Exclude<BeamPattern, 'mvdr'>;

/** Omni share a of the on-axis-normalised pattern a + (1 − a)·cos θ. */
export const OMNI_SHARE: Record<FixedPattern, number> = {
  'max-re': 1 / (1 + Math.sqrt(3)),
  hypercardioid: 0.25,
  cardioid: 0.5,
};

/** Unit vector (x, y, z). */
export type Vec3 = [number, number, number];

const RAD = Math.PI / 180;

/** Unit vector of azimuth/elevation in degrees (azimuth counter-clockwise from the front, x). */
export function unitVector(azimuthDeg: number, elevationDeg = 0): Vec3 {
  const a = azimuthDeg * RAD;
  const e = elevationDeg * RAD;
  return [Math.cos(e) * Math.cos(a), Math.cos(e) * Math.sin(a), Math.sin(e)];
}

export function azimuthElevation(u: Vec3): { azimuth_deg: number; elevation_deg: number } {
  return { azimuth_deg: Math.atan2(u[1], u[0]) / RAD, elevation_deg: Math.atan2(u[2], Math.hypot(u[0], u[1])) / RAD };
}

/** Angle between two unit vectors, degrees. */
export function angleBetween(a: Vec3, b: Vec3): number {
  const d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  return Math.acos(Math.max(-1, Math.min(1, d))) / RAD;
}

function normalise(v: Vec3): Vec3 | null {
  const n = Math.hypot(v[0], v[1], v[2]);
  return n > 1e-12 ? [v[0] / n, v[1] / n, v[2] / n] : null;
}

/**
 * Rotates `from` towards `to` along the great circle by `fraction` of the angle between them.
 * Opposite vectors turn through the horizontal plane (or about x when `from` is vertical).
 */
export function rotateTowards(from: Vec3, to: Vec3, fraction: number): Vec3 {
  const f = Math.max(0, Math.min(1, fraction));
  const cos = Math.max(-1, Math.min(1, from[0] * to[0] + from[1] * to[1] + from[2] * to[2]));
  const theta = Math.acos(cos);
  if (theta < 1e-9 || f === 0) return f === 1 ? [...to] : [...from];
  // p: the unit vector perpendicular to `from` in the plane of the turn.
  let p = normalise([to[0] - cos * from[0], to[1] - cos * from[1], to[2] - cos * from[2]]);
  if (!p) p = normalise([-from[1], from[0], 0]) ?? [0, 1, 0];
  const t = theta * f;
  const c = Math.cos(t);
  const s = Math.sin(t);
  return normalise([c * from[0] + s * p[0], c * from[1] + s * p[1], c * from[2] + s * p[2]]) ?? [...to];
}

/** Weights (W, Y, Z, X) of a fixed pattern looking towards `u`. */
export function patternWeights(pattern: FixedPattern, u: Vec3, out = new Float64Array(4)): Float64Array {
  const a = OMNI_SHARE[pattern];
  out[0] = a;
  out[1] = (1 - a) * u[1];
  out[2] = (1 - a) * u[2];
  out[3] = (1 - a) * u[0];
  return out;
}

/**
 * MVDR weights (W, Y, Z, X) towards `u` for the covariance `R` (4 × 4, row-major, same channel
 * order) with diagonal loading `loading`·tr(R)/4. Returns false (and leaves `out` alone) when R
 * carries no energy or the system is singular.
 */
export function mvdrWeights(R: Float64Array, u: Vec3, loading: number, out: Float64Array): boolean {
  const tr = R[0] + R[5] + R[10] + R[15];
  if (!(tr > 1e-20)) return false;
  const d = [1, u[1], u[2], u[0]];
  // Solve (R + λI) x = d by Gaussian elimination with partial pivoting on a 4 × 5 augmented copy.
  const m = new Float64Array(20);
  const lambda = (Math.max(loading, 1e-6) * tr) / 4;
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 4; c++) m[r * 5 + c] = R[r * 4 + c] + (r === c ? lambda : 0);
    m[r * 5 + 4] = d[r];
  }
  for (let col = 0; col < 4; col++) {
    let piv = col;
    for (let r = col + 1; r < 4; r++) if (Math.abs(m[r * 5 + col]) > Math.abs(m[piv * 5 + col])) piv = r;
    if (Math.abs(m[piv * 5 + col]) < 1e-30) return false;
    if (piv !== col) for (let c = 0; c < 5; c++) [m[col * 5 + c], m[piv * 5 + c]] = [m[piv * 5 + c], m[col * 5 + c]];
    for (let r = 0; r < 4; r++) {
      if (r === col) continue;
      const k = m[r * 5 + col] / m[col * 5 + col];
      if (k !== 0) for (let c = col; c < 5; c++) m[r * 5 + c] -= k * m[col * 5 + c];
    }
  }
  const x = [0, 1, 2, 3].map((r) => m[r * 5 + 4] / m[r * 5 + r]);
  const denom = d[0] * x[0] + d[1] * x[1] + d[2] * x[2] + d[3] * x[3];
  if (!(Math.abs(denom) > 1e-30)) return false;
  for (let c = 0; c < 4; c++) out[c] = x[c] / denom;
  return true;
}

/**
 * Running broadband covariance of the 4 input channels: the sum of x·xᵀ over each grid step,
 * folded into an exponential average (time constant `seconds`) at every step boundary. One
 * tracker serves every MVDR beam of a stream.
 */
export class CovarianceTracker {
  readonly R = new Float64Array(16);
  private readonly acc = new Float64Array(16);
  private frames = 0;
  private seen = false;
  private readonly keep: number;

  constructor(rate: number, step: number, seconds: number) {
    this.keep = Math.exp(-step / (seconds * rate));
  }

  accumulate(ch: readonly Float32Array[], from: number, n: number): void {
    const [w, y, z, x] = ch;
    const a = this.acc;
    for (let i = from; i < from + n; i++) {
      const v0 = w[i];
      const v1 = y[i];
      const v2 = z[i];
      const v3 = x[i];
      a[0] += v0 * v0; a[1] += v0 * v1; a[2] += v0 * v2; a[3] += v0 * v3;
      a[5] += v1 * v1; a[6] += v1 * v2; a[7] += v1 * v3;
      a[10] += v2 * v2; a[11] += v2 * v3;
      a[15] += v3 * v3;
    }
    this.frames += n;
  }

  /** Folds the frames accumulated since the last call into R (called at each step boundary). */
  fold(): void {
    if (this.frames === 0) return;
    const a = this.acc;
    for (const [r, c] of [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]) a[c * 4 + r] = a[r * 4 + c];
    const k = this.seen ? this.keep : 0;
    for (let i = 0; i < 16; i++) this.R[i] = k * this.R[i] + ((1 - k) * a[i]) / this.frames;
    a.fill(0);
    this.frames = 0;
    this.seen = true;
  }

  reset(): void {
    this.R.fill(0);
    this.acc.fill(0);
    this.frames = 0;
    this.seen = false;
  }
}

export interface BeamOptions {
  rate: number;
  pattern: BeamPattern;
  /** Grid step in frames (the processing block; Live uses 10 ms). */
  step: number;
  /** Time constant of the look direction's glide towards a new target (s). */
  smoothSeconds: number;
  /** Duration of the morph from omni (W) to the beam when the first direction arrives (s). */
  morphSeconds: number;
  /** Diagonal loading of the MVDR beam (fraction of the mean channel power). */
  loading: number;
}

export const DEFAULT_BEAM: Omit<BeamOptions, 'rate' | 'step' | 'pattern'> = {
  smoothSeconds: 0.1,
  morphSeconds: 0.1,
  loading: 0.3,
};

/** One grid step's state, for traces (tests, diagnostics). */
export interface BeamStep {
  /** First frame of the step. */
  frame: number;
  /** Weights (W, Y, Z, X) reached at the end of the step (gain included). */
  weights: Float64Array;
  /** Look direction (null while the beam is still omni). */
  direction: Vec3 | null;
  gain: number;
  morph: number;
}

/**
 * One steered beam. `BeamBank` drives it: `enter(k)` when the stream reaches grid step k, then
 * `render` for the step's samples (never across a step boundary).
 */
export class SteeredBeam {
  private dir: Vec3 | null = null;
  private target: Vec3 | null = null;
  private pending: { u: Vec3; frame: number }[] = [];
  private morph = 0;
  private gain = 0;
  private gainTarget = 1;
  /** Weights at the start and at the end of the current step. */
  private readonly w0 = new Float64Array(4);
  private readonly w1 = new Float64Array(4);
  private readonly beamW = new Float64Array(4);
  private readonly glide: number;
  private readonly morphStep: number;
  onStep: ((s: BeamStep) => void) | null = null;

  constructor(readonly o: BeamOptions, private readonly cov: CovarianceTracker | null = null) {
    if (o.pattern === 'mvdr' && !cov) throw new Error('beam: an MVDR beam needs a covariance tracker');
    this.glide = 1 - Math.exp(-o.step / (Math.max(1e-6, o.smoothSeconds) * o.rate));
    this.morphStep = o.step / Math.max(1, o.morphSeconds * o.rate);
  }

  /** Steers towards `u` from the first grid step that starts at or after `frame`. */
  steer(u: Vec3, frame: number): void {
    const n = normalise(u);
    if (!n) return;
    let i = this.pending.length;
    while (i > 0 && this.pending[i - 1].frame > frame) i--;
    this.pending.splice(i, 0, { u: n, frame });
  }

  /** The direction the beam glides towards (the latest applied estimate); null before any. */
  get aim(): Vec3 | null {
    return this.target;
  }

  /** The current look direction (null while omni). */
  get look(): Vec3 | null {
    return this.dir;
  }

  /** Faded out and its last step rendered (silent from here on). */
  get fadedOut(): boolean {
    return this.gainTarget === 0 && this.gain === 0 && this.w0.every((v) => v === 0) && this.w1.every((v) => v === 0);
  }

  /** Fades the beam in (1) or out (0) over the next grid step. */
  fadeTo(g: 0 | 1): void {
    this.gainTarget = g;
  }

  private weights(out: Float64Array): void {
    const bw = this.beamW;
    if (this.dir) {
      if (this.o.pattern === 'mvdr') {
        if (!mvdrWeights(this.cov!.R, this.dir, this.o.loading, bw)) patternWeights('max-re', this.dir, bw);
      } else patternWeights(this.o.pattern, this.dir, bw);
    } else bw.set([1, 0, 0, 0]);
    const m = this.morph;
    out[0] = this.gain * (m * bw[0] + (1 - m));
    for (let c = 1; c < 4; c++) out[c] = this.gain * m * bw[c];
  }

  /**
   * The stream resumes at grid step k after a gap (or starts): the beam jumps to its latest
   * direction without gliding, and the step starts from the weights of that state.
   */
  resume(k: number): void {
    while (this.pending.length && this.pending[0].frame <= k * this.o.step) this.target = this.pending.shift()!.u;
    if (this.target) {
      this.dir = [...this.target];
      this.morph = 1;
    }
    this.weights(this.w1);
  }

  /** Advances the state to grid step k (the stream has reached its first frame). */
  enter(k: number): void {
    const start = k * this.o.step;
    while (this.pending.length && this.pending[0].frame <= start) this.target = this.pending.shift()!.u;
    if (this.target) {
      this.dir = this.dir ? rotateTowards(this.dir, this.target, this.glide) : [...this.target];
      this.morph = Math.min(1, this.morph + this.morphStep);
    }
    this.gain = this.gainTarget;
    this.w0.set(this.w1);
    this.weights(this.w1);
    this.onStep?.({ frame: start, weights: Float64Array.from(this.w1), direction: this.dir ? [...this.dir] : null, gain: this.gain, morph: this.morph });
  }

  /**
   * Adds the beam's output for `n` frames of the current step, the first at `pos` frames into the
   * step, to `out[outOffset …]`; `ch` holds the 4 channels from index `inOffset`.
   */
  render(ch: readonly Float32Array[], inOffset: number, pos: number, n: number, out: Float32Array, outOffset: number): void {
    const [cw, cy, cz, cx] = ch;
    const P = this.o.step;
    const w0 = this.w0;
    const w1 = this.w1;
    const d0 = w1[0] - w0[0];
    const d1 = w1[1] - w0[1];
    const d2 = w1[2] - w0[2];
    const d3 = w1[3] - w0[3];
    for (let j = 0; j < n; j++) {
      const t = (pos + j + 1) / P;
      const s = inOffset + j;
      out[outOffset + j] += (w0[0] + d0 * t) * cw[s] + (w0[1] + d1 * t) * cy[s] + (w0[2] + d2 * t) * cz[s] + (w0[3] + d3 * t) * cx[s];
    }
  }
}

/**
 * The beams of one stream (one per listened class) and the covariance they share. `process` may
 * be called with any split of the stream into consecutive ranges; the output depends only on the
 * samples and the scheduled steering. A range that does not continue the previous one (the path
 * was paused) restarts every beam at its latest direction.
 */
export class BeamBank<K> {
  readonly beams = new Map<K, SteeredBeam>();
  private readonly cov: CovarianceTracker | null;
  private stepIndex = -1;
  private next = -1;

  constructor(readonly o: BeamOptions, covarianceSeconds = 0.5) {
    this.cov = o.pattern === 'mvdr' ? new CovarianceTracker(o.rate, o.step, covarianceSeconds) : null;
  }

  /** The beam for `key` (created faded out, fading in at the next step). */
  beam(key: K): SteeredBeam {
    let b = this.beams.get(key);
    if (!b) {
      b = new SteeredBeam(this.o, this.cov);
      if (this.next >= 0) b.resume(Math.floor(this.next / this.o.step));
      this.beams.set(key, b);
    }
    return b;
  }

  /** Drops beams that have faded out. */
  prune(): void {
    for (const [k, b] of this.beams) if (b.fadedOut) this.beams.delete(k);
  }

  /**
   * Writes the sum of the beams for frames [frame, frame + n) into `out[outOffset …]` (overwriting);
   * `ch` holds the 4 channels with frame `frame` at index `inOffset`.
   */
  process(ch: readonly Float32Array[], inOffset: number, frame: number, n: number, out: Float32Array, outOffset = 0): void {
    const P = this.o.step;
    out.fill(0, outOffset, outOffset + n);
    if (frame !== this.next) {
      this.cov?.reset();
      const k = Math.floor(frame / P);
      for (const b of this.beams.values()) b.resume(k);
      this.stepIndex = -1;
    }
    let i = 0;
    while (i < n) {
      const f = frame + i;
      const k = Math.floor(f / P);
      if (k !== this.stepIndex) {
        this.cov?.fold();
        for (const b of this.beams.values()) b.enter(k);
        this.stepIndex = k;
      }
      const pos = f - k * P;
      const len = Math.min(n - i, P - pos);
      this.cov?.accumulate(ch, inOffset + i, len);
      for (const b of this.beams.values()) b.render(ch, inOffset + i, pos, len, out, outOffset + i);
      i += len;
    }
    this.next = frame + n;
  }
}
