/**
 * Channel-format conversion to the internal FOA convention (ACN order W, Y, Z, X; SN3D), and the
 * diffuse-energy format hint.
 *
 * Conversions (input channel order as stored in the file → output [W, Y, Z, X] ACN/SN3D):
 *   foa-acn-sn3d   identity
 *   foa-acn-n3d    [W, Y/√3, Z/√3, X/√3]            (N3D first-order gain is √3 × SN3D)
 *   foa-fuma       file [W, X, Y, Z] → [√2·W, Y, Z, X] (FuMa/maxN W carries a −3 dB factor)
 *   a-format-tetra file [FLU, FRD, BLD, BRU] → B-format by the standard sum/difference matrix
 *                    W' = FLU+FRD+BLD+BRU   X' = FLU+FRD−BLD−BRU
 *                    Y' = FLU−FRD+BLD−BRU   Z' = FLU−FRD−BLD+BRU
 *                  then SN3D scaling W = W'/2, (X, Y, Z) = (√3/2)·(X', Y', Z'). Derivation: capsule
 *                  i points along d_i ∈ {(1,1,1), (1,−1,−1), (−1,1,−1), (−1,−1,1)}/√3 and, as an
 *                  ideal cardioid, picks up s·(½ + ½ d_i·u) from a plane wave s arriving from the
 *                  unit direction u. Σd_i = 0, so W' = 2s; the X' combination of the d_i is
 *                  (4/√3, 0, 0), so X' = (2/√3)·s·u_x (likewise Y', Z'). SN3D wants W = s and
 *                  X = s·u_x = s·cos(az)cos(el). No capsule-spacing correction filters are applied
 *                  (the matrix is exact for coincident capsules, i.e. below a few kHz for real arrays).
 *   mono / other   not converted (not FOA)
 *
 * The hint answers two questions separately, because they are measured in different ways:
 *
 * Normalisation — for any sound field in SN3D, E[X²+Y²+Z²] = E[W²] (a single plane wave gives
 * equality sample by sample; a diffuse field gives it in expectation). FuMa's W is 3 dB down, so
 * the ratio is 2; N3D dipoles are √3 larger, so it is 3. Measured in 300–3000 Hz (below, real
 * arrays' dipoles are noisy; above, spatial aliasing) with a 4th-order Butterworth band-pass made
 * of four RBJ biquads, over at most the first 30 s. The ratio does not depend on the order of the
 * three dipole channels, so it says nothing about channel order, and real recordings of one
 * format read anywhere from 1 to 4.4: it is reported, never acted on.
 *
 * Channel order — ACN stores W Y Z X, FuMa W X Y Z, so the two disagree about which channel is
 * the height channel Z (file channel 3 for ACN, 4 for FuMa) and reading one as the other rotates
 * the scene. Most recordings are made with their sources near the horizon, where Z carries
 * little energy. So when exactly one of those two channels is far below the other dipoles while
 * the other candidate is not, the order is measured: the quiet one is taken as Z, "high" when it is
 * ≥ 20 dB below the dipoles' total (an encoder's empty Z reads −70 dB or less), "moderate" from
 * 12 dB. The assumption is stated in the message: a file whose sources are all high up can fool
 * it, which is why only an assumed format is questioned and a declared one never is.
 */
import { CHANNEL_FORMAT_NAMES, type ChannelFormat, type FormatHint } from '../../shared/audio';

const SQRT2 = Math.SQRT2;
const INV_SQRT3 = 1 / Math.sqrt(3);
const HALF_SQRT3 = Math.sqrt(3) / 2;

/** Formats that `toAcnSn3d` converts; all need exactly 4 channels. */
export const FOA_FORMATS: readonly ChannelFormat[] = ['foa-acn-sn3d', 'foa-acn-n3d', 'foa-fuma', 'a-format-tetra'];

export function isFoaFormat(f: ChannelFormat): boolean {
  return FOA_FORMATS.includes(f);
}

/**
 * Converts 4 planar channels in `format` to ACN/SN3D, writing into `out` (which may be the input
 * arrays themselves: every output sample depends only on the same frame). Lengths: `frames`.
 */
export function convertFoaInto(input: Float32Array[], format: ChannelFormat, out: Float32Array[], frames: number): void {
  const [a, b, c, d] = input;
  const [w, y, z, x] = out;
  switch (format) {
    case 'foa-acn-sn3d':
      for (let k = 0; k < 4; k++) if (out[k] !== input[k]) out[k].set(input[k].subarray(0, frames));
      return;
    case 'foa-acn-n3d':
      if (w !== a) w.set(a.subarray(0, frames));
      for (let i = 0; i < frames; i++) {
        y[i] = b[i] * INV_SQRT3;
        z[i] = c[i] * INV_SQRT3;
        x[i] = d[i] * INV_SQRT3;
      }
      return;
    case 'foa-fuma':
      // file order W, X, Y, Z → W, Y, Z, X (temporaries make in-place conversion safe)
      for (let i = 0; i < frames; i++) {
        const W = a[i], X = b[i], Y = c[i], Z = d[i];
        w[i] = W * SQRT2;
        y[i] = Y;
        z[i] = Z;
        x[i] = X;
      }
      return;
    case 'a-format-tetra':
      for (let i = 0; i < frames; i++) {
        const flu = a[i], frd = b[i], bld = c[i], bru = d[i];
        w[i] = 0.5 * (flu + frd + bld + bru);
        x[i] = HALF_SQRT3 * (flu + frd - bld - bru);
        y[i] = HALF_SQRT3 * (flu - frd + bld - bru);
        z[i] = HALF_SQRT3 * (flu - frd - bld + bru);
      }
      return;
    default:
      throw new Error(`convertFoaInto: ${format} is not a 4-channel FOA format`);
  }
}

/**
 * Returns the channels converted to ACN/SN3D (new arrays; the input is not modified). For
 * 'mono' and 'other' the input arrays are returned unchanged. FOA formats need exactly 4 channels.
 */
export function toAcnSn3d(data: Float32Array[], format: ChannelFormat): Float32Array[] {
  if (!isFoaFormat(format)) return data;
  if (data.length !== 4) {
    throw new RangeError(`toAcnSn3d: ${CHANNEL_FORMAT_NAMES[format]} needs 4 channels, got ${data.length}`);
  }
  const n = data[0].length;
  const out = [0, 1, 2, 3].map(() => new Float32Array(n));
  convertFoaInto(data, format, out, n);
  return out;
}

// ------------------------------------------------------------------------------------------------
// Format hint

/** Biquad coefficients (a0-normalised) from the RBJ Audio EQ Cookbook. */
interface Biquad { b0: number; b1: number; b2: number; a1: number; a2: number }

function rbj(kind: 'lp' | 'hp', f0: number, q: number, fs: number): Biquad {
  const w0 = (2 * Math.PI * f0) / fs;
  const cw = Math.cos(w0);
  const alpha = Math.sin(w0) / (2 * q);
  const a0 = 1 + alpha;
  const bb = kind === 'lp' ? (1 - cw) / 2 : (1 + cw) / 2;
  const b1 = kind === 'lp' ? 1 - cw : -(1 + cw);
  return { b0: bb / a0, b1: b1 / a0, b2: bb / a0, a1: (-2 * cw) / a0, a2: (1 - alpha) / a0 };
}

/** Q values of the two sections of a 4th-order Butterworth filter. */
const BUTTER4_Q = [1 / (2 * Math.cos(Math.PI / 8)), 1 / (2 * Math.cos((3 * Math.PI) / 8))];

export const HINT_BAND_HZ = [300, 3000] as const;
export const HINT_MAX_SECONDS = 30;

/**
 * Accumulates band-limited (300–3000 Hz) energy of each of the 4 channels, block by block, so the
 * hint can be measured while streaming a file once. Feed raw file channels (before any conversion).
 */
export class FormatHintMeter {
  private readonly sections: Biquad[];
  /** Filter state: per channel, per section, [x1, x2, y1, y2]. */
  private readonly state: Float64Array[];
  private readonly energy = new Float64Array(4);
  private seen = 0;
  private readonly skip: number;
  readonly maxFrames: number;

  constructor(readonly sampleRate: number, maxSeconds = HINT_MAX_SECONDS) {
    const hi = Math.min(HINT_BAND_HZ[1], 0.45 * sampleRate);
    this.sections = [
      ...BUTTER4_Q.map((q) => rbj('hp', HINT_BAND_HZ[0], q, sampleRate)),
      ...BUTTER4_Q.map((q) => rbj('lp', hi, q, sampleRate)),
    ];
    this.state = [0, 1, 2, 3].map(() => new Float64Array(this.sections.length * 4));
    this.maxFrames = Math.round(maxSeconds * sampleRate);
    this.skip = Math.round(0.01 * sampleRate); // filter start-up transient
  }

  get done(): boolean {
    return this.seen >= this.maxFrames;
  }

  /** Adds the frames [0, frames) of `block` (4 planar channels) until `maxFrames` are seen. */
  push(block: Float32Array[], frames = block[0].length): void {
    const n = Math.min(frames, this.maxFrames - this.seen);
    if (n <= 0) return;
    const ns = this.sections.length;
    for (let c = 0; c < 4; c++) {
      const src = block[c];
      const st = this.state[c];
      let e = 0;
      for (let i = 0; i < n; i++) {
        let v = src[i];
        for (let s = 0; s < ns; s++) {
          const q = this.sections[s];
          const o = s * 4;
          const yv = q.b0 * v + q.b1 * st[o] + q.b2 * st[o + 1] - q.a1 * st[o + 2] - q.a2 * st[o + 3];
          st[o + 1] = st[o];
          st[o] = v;
          st[o + 3] = st[o + 2];
          st[o + 2] = yv;
          v = yv;
        }
        if (this.seen + i >= this.skip) e += v * v;
      }
      this.energy[c] += e;
    }
    this.seen += n;
  }

  /** In-band energy per channel so far (after the start-up skip). */
  energies(): readonly number[] {
    return Array.from(this.energy);
  }

  /** Seconds of audio measured (after the start-up skip). */
  get secondsMeasured(): number {
    return Math.max(0, this.seen - this.skip) / this.sampleRate;
  }

  /** The dipole/omni energy ratio, or null when channel 0 carries no in-band energy. */
  ratio(): number | null {
    const w = this.energy[0];
    const d = this.energy[1] + this.energy[2] + this.energy[3];
    if (!(w > 1e-20 * Math.max(1, this.seen))) return null;
    const r = d / w;
    return Number.isFinite(r) ? r : null;
  }
}

/** The ideal dipole/omni ratio of each format's normalisation, and the band around it (geometric means of neighbours). */
const RATIO_BANDS: Partial<Record<ChannelFormat, [number, number]>> = {
  'foa-acn-sn3d': [0, Math.SQRT2],
  'foa-fuma': [Math.SQRT2, Math.sqrt(6)],
  'foa-acn-n3d': [Math.sqrt(6), Infinity],
};

/** Whether a dipole/omni ratio lies in the band of `format`'s normalisation (A-format/others: true). */
export function ratioFits(ratio: number, format: ChannelFormat): boolean {
  const band = RATIO_BANDS[format];
  return !band || (ratio >= band[0] && ratio < band[1]);
}

/** Height share (dB of the dipoles' total energy) at or below which the quiet channel is taken as Z. */
export const ORDER_HIGH_DB = -20;
export const ORDER_MODERATE_DB = -12;
/** The other candidate must carry at least this share, or both readings put the sound near the horizon. */
export const ORDER_OTHER_MIN_DB = -10;
/** Seconds of audio needed before the channel order is judged. */
export const ORDER_MIN_SECONDS = 0.25;
/** Floor for silent channels in `dipoleDb`. */
const FLOOR_DB = -120;

const SHORT_NAME: Partial<Record<ChannelFormat, string>> = {
  'foa-acn-sn3d': 'ACN/SN3D',
  'foa-acn-n3d': 'ACN/N3D',
  'foa-fuma': 'FuMa',
  'a-format-tetra': 'A-format',
};

const orderOf = (f: ChannelFormat): 'acn' | 'fuma' | null => (f === 'foa-fuma' ? 'fuma' : f === 'foa-acn-sn3d' || f === 'foa-acn-n3d' ? 'acn' : null);

/** Measured facts the hint is built from. */
export interface HintMeasurement {
  /** (ch2² + ch3² + ch4²) / ch1² in band. */
  ratio: number;
  /** Band energy of file channels 2, 3, 4, in dB of their total (≥ −120). */
  dipoleDb: [number, number, number];
  /** Seconds the measurement covers. */
  seconds: number;
}

/**
 * The channel order the quiet height channel points to, and how sure that is: ACN when file
 * channel 3 is quiet, FuMa when channel 4 is (see the header); null when it cannot be told.
 */
export function measureOrder(m: HintMeasurement): { order: 'acn' | 'fuma'; confidence: 'high' | 'moderate' } | null {
  if (m.seconds < ORDER_MIN_SECONDS) return null;
  const [, acnZ, fumaZ] = m.dipoleDb;
  for (const [order, h, other] of [['acn', acnZ, fumaZ], ['fuma', fumaZ, acnZ]] as const) {
    if (h <= ORDER_MODERATE_DB && other >= ORDER_OTHER_MIN_DB) {
      return { order, confidence: h <= ORDER_HIGH_DB ? 'high' : 'moderate' };
    }
  }
  return null;
}

const db = (v: number) => `${v <= FLOOR_DB + 0.05 ? '≤ ' : ''}${Math.round(v)} dB`.replace('-', '−');

/**
 * Builds the FormatHint from the measurement against the format in use (`format`; `declared`
 * says whether the user declared it or it was assumed). A declared format is never questioned. A
 * reorder is suggested only when the order was measured and contradicts an assumed format.
 */
export function hintFromMeasurement(m: HintMeasurement, format: ChannelFormat, declared: boolean): FormatHint {
  const r = m.ratio.toFixed(2);
  const cur = SHORT_NAME[format] ?? format;
  const measured = measureOrder(m);
  const fits = ratioFits(m.ratio, format);
  const base = { ratio: m.ratio, dipoleDb: m.dipoleDb, order: measured?.order ?? null, confidence: measured?.confidence ?? null, ratioFits: fits };
  if (declared) {
    return { ...base, suggested: null, agrees: true, level: 'ok', message: `${cur} declared: not questioned` };
  }
  if (!measured) {
    const why = m.seconds < ORDER_MIN_SECONDS
      ? 'the recording is too short to tell the channel order'
      : 'the channel order cannot be told from this recording (no single quiet height channel)';
    const message = fits
      ? `${cur} assumed; ${why}`
      : `${cur} assumed, but its dipole/omni ratio ${r} is unusual for it (≈1 ACN/SN3D, ≈2 FuMa, ≈3 ACN/N3D; real arrays vary) and ${why}: declare the format if you know it`;
    return { ...base, suggested: null, agrees: true, level: fits ? 'ok' : 'note', message };
  }
  const ch = measured.order === 'acn' ? 3 : 4;
  const other = measured.order === 'acn' ? 4 : 3;
  const sure = measured.confidence === 'high' ? 'high confidence' : 'moderate confidence';
  const quiet = `channel ${ch} holds ${db(m.dipoleDb[ch - 2])} of the dipole energy (channel ${other}: ${db(m.dipoleDb[other - 2])}), so it is taken as the height channel Z, as in most recordings (sources near the horizon)`;
  const order = measured.order === 'acn' ? 'ACN order W Y Z X' : 'FuMa order W X Y Z';
  if (orderOf(format) === measured.order) {
    return { ...base, suggested: null, agrees: true, level: 'ok', message: `${cur} assumed and consistent: ${quiet} — the ${order} (${sure})` };
  }
  // The order contradicts the assumption: offer the format of the measured order. Within ACN the
  // normalisation comes from the ratio (N3D only when it reads N3D's ≈3).
  const suggested: ChannelFormat = measured.order === 'fuma' ? 'foa-fuma' : m.ratio >= Math.sqrt(6) ? 'foa-acn-n3d' : 'foa-acn-sn3d';
  const message = `channel-format hint suggests ${SHORT_NAME[suggested]} (${sure}): ${quiet} — the ${order}. Read as the assumed ${cur} it would be ${measured.order === 'fuma' ? 'X' : 'Y'} and every direction would be wrong`;
  return { ...base, suggested, agrees: false, level: 'warning', message };
}

/** The measurement of a meter, or null when channel 0 carries no in-band energy. */
export function measurementOf(meter: FormatHintMeter): HintMeasurement | null {
  const ratio = meter.ratio();
  if (ratio === null) return null;
  const e = meter.energies();
  const total = e[1] + e[2] + e[3];
  const share = (v: number) => (total > 0 && v > 0 ? Math.max(FLOOR_DB, 10 * Math.log10(v / total)) : FLOOR_DB);
  return { ratio, dipoleDb: [share(e[1]), share(e[2]), share(e[3])], seconds: meter.secondsMeasured };
}

/**
 * The format hint of 4 raw file channels (omni first) over at most their first 30 s, against
 * `format` (default: ACN/SN3D, assumed). Returns null when the omni channel is silent in the
 * band, or for A-format (where neither question applies).
 */
export function formatHint(
  data: Float32Array[], sampleRate: number, format: ChannelFormat = 'foa-acn-sn3d', declared = false,
): FormatHint | null {
  if (data.length !== 4 || format === 'a-format-tetra' || !isFoaFormat(format)) return null;
  const meter = new FormatHintMeter(sampleRate);
  meter.push(data);
  const m = measurementOf(meter);
  return m === null ? null : hintFromMeasurement(m, format, declared);
}
