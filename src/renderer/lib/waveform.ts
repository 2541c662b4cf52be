/**
 * Drawing of the multichannel min/max overview. Pure canvas code (no Svelte): the component owns
 * sizing and redraw scheduling. All sizes here are in device pixels; `dpr` scales the CSS sizes.
 */

/** Height of the time axis under the lanes, in CSS pixels (the label gutter uses the same). */
export const AXIS_HEIGHT_CSS = 22;

export interface WaveformColors {
  background: string;
  laneAlt: string;
  separator: string;
  centre: string;
  grid: string;
  axisText: string;
  lanes: string[];
}

export interface WaveformDrawInput {
  min: Float32Array[];
  max: Float32Array[];
  durationSec: number;
  /** Multiplier applied to sample values before drawing (1 = full scale fills the lane). */
  gain: number;
  colors: WaveformColors;
  dpr: number;
  fontFamily: string;
}

/** Largest absolute value of any bucket, across every channel. */
export function overviewPeak(min: Float32Array[], max: Float32Array[]): number {
  let peak = 0;
  for (let c = 0; c < min.length; c++) {
    const lo = min[c];
    const hi = max[c];
    for (let i = 0; i < lo.length; i++) {
      const a = Math.abs(lo[i]);
      const b = Math.abs(hi[i]);
      if (a > peak) peak = a;
      if (b > peak) peak = b;
    }
  }
  return peak;
}

const NICE_STEPS = [
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800,
  3600,
];

/** The smallest "nice" tick step that keeps ticks at least `minSpacingPx` apart. */
export function tickStep(durationSec: number, widthPx: number, minSpacingPx: number): number {
  if (durationSec <= 0 || widthPx <= 0) return 1;
  const minStep = (durationSec * minSpacingPx) / widthPx;
  return NICE_STEPS.find((s) => s >= minStep) ?? Math.ceil(minStep / 3600) * 3600;
}

/** Tick label: seconds for short files ("0.25 s"), m:ss from a minute on. */
export function tickLabel(t: number, step: number, durationSec: number): string {
  if (durationSec >= 60 && step >= 1) {
    const m = Math.floor(t / 60);
    const s = Math.round(t - m * 60);
    return `${m}:${String(s).padStart(2, '0')}`;
  }
  const decimals = step >= 1 ? 0 : step === 0.25 ? 2 : step >= 0.1 ? 1 : step >= 0.01 ? 2 : 3;
  return `${t.toFixed(decimals)} s`;
}

export function drawWaveform(ctx: CanvasRenderingContext2D, width: number, height: number, input: WaveformDrawInput): void {
  const { min, max, colors, dpr } = input;
  const channels = min.length;
  const axisH = Math.round(AXIS_HEIGHT_CSS * dpr);
  const lanesH = Math.max(0, height - axisH);

  ctx.fillStyle = colors.background;
  ctx.fillRect(0, 0, width, height);
  if (channels === 0 || width <= 0 || lanesH <= 0) return;

  const step = tickStep(input.durationSec, width / dpr, 90);
  const pxPerSec = input.durationSec > 0 ? width / input.durationSec : 0;

  for (let c = 0; c < channels; c++) {
    const top = Math.round((c * lanesH) / channels);
    const bottom = Math.round(((c + 1) * lanesH) / channels);
    const laneH = bottom - top;
    if (c % 2 === 1) {
      ctx.fillStyle = colors.laneAlt;
      ctx.fillRect(0, top, width, laneH);
    }

    // Time grid behind the signal.
    if (pxPerSec > 0) {
      ctx.fillStyle = colors.grid;
      for (let t = step; t < input.durationSec; t += step) {
        ctx.fillRect(Math.round(t * pxPerSec), top, Math.max(1, Math.floor(dpr)), laneH);
      }
    }

    const mid = top + laneH / 2;
    const half = (laneH / 2) * 0.92;
    ctx.fillStyle = colors.centre;
    ctx.fillRect(0, Math.round(mid), width, 1);

    drawLane(ctx, min[c], max[c], width, mid, half * input.gain, colors.lanes[c % colors.lanes.length]);

    if (c > 0) {
      ctx.fillStyle = colors.separator;
      ctx.fillRect(0, top, width, Math.max(1, Math.floor(dpr)));
    }
  }

  drawAxis(ctx, width, lanesH, axisH, step, pxPerSec, input);
}

/** One min/max column per device pixel; several buckets per pixel are merged, one bucket may span pixels. */
function drawLane(
  ctx: CanvasRenderingContext2D,
  lo: Float32Array,
  hi: Float32Array,
  width: number,
  mid: number,
  scale: number,
  color: string,
): void {
  const buckets = Math.min(lo.length, hi.length);
  if (buckets === 0) return;
  const limit = Math.abs(scale) + 0.5; // clip drawing to the lane when gain pushes past full scale
  ctx.fillStyle = color;
  let prevA = Infinity;
  let prevB = -Infinity;
  for (let x = 0; x < width; x++) {
    const b0 = Math.floor((x * buckets) / width);
    const b1 = Math.max(b0 + 1, Math.floor(((x + 1) * buckets) / width));
    let a = Infinity;
    let b = -Infinity;
    for (let i = b0; i < b1 && i < buckets; i++) {
      if (lo[i] < a) a = lo[i];
      if (hi[i] > b) b = hi[i];
    }
    if (a > b) continue;
    // Join this column to the previous one, so a file with fewer frames than columns (a bucket
    // per frame, min = max) draws as a connected trace, not as dashes.
    if (prevA <= prevB) {
      if (a > prevB) a = prevB;
      if (b < prevA) b = prevA;
    }
    prevA = a;
    prevB = b;
    const yTop = mid - Math.min(limit, b * scale);
    const yBot = mid - Math.max(-limit, a * scale);
    ctx.fillRect(x, Math.floor(yTop), 1, Math.max(1, Math.ceil(yBot - yTop)));
  }
}

function drawAxis(
  ctx: CanvasRenderingContext2D,
  width: number,
  top: number,
  axisH: number,
  step: number,
  pxPerSec: number,
  input: WaveformDrawInput,
): void {
  const { colors, dpr } = input;
  ctx.fillStyle = colors.separator;
  ctx.fillRect(0, top, width, Math.max(1, Math.floor(dpr)));
  if (pxPerSec <= 0) return;
  ctx.font = `${Math.round(10.5 * dpr)}px ${input.fontFamily}`;
  ctx.textBaseline = 'middle';
  const tickH = Math.round(5 * dpr);
  const textY = top + tickH + (axisH - tickH) / 2;
  const count = Math.floor(input.durationSec / step + 1e-9);
  for (let i = 0; i <= count; i++) {
    const t = i * step;
    const x = Math.round(t * pxPerSec);
    ctx.fillStyle = colors.grid;
    ctx.fillRect(x, top, Math.max(1, Math.floor(dpr)), tickH);
    const label = tickLabel(t, step, input.durationSec);
    const w = ctx.measureText(label).width;
    if (x + 3 * dpr + w > width) continue; // the last label would be cut off
    ctx.fillStyle = colors.axisText;
    ctx.fillText(label, x + 3 * dpr, textY);
  }
}

/**
 * Min/max columns of `pcm` (at `rate`) over the visible range `view`, one per device pixel, each
 * joined to the previous one. Zoomed in beyond one sample per pixel, a column with no sample
 * gets the straight line between its neighbours, so short files and deep zoom draw a connected
 * waveform. `scale` maps a sample value to pixels around `mid`.
 */
export function drawMinMaxColumns(
  ctx: CanvasRenderingContext2D,
  pcm: Float32Array,
  rate: number,
  view: { start: number; end: number },
  width: number,
  mid: number,
  scale: number,
  color: string,
): void {
  const span = Math.max(1e-9, view.end - view.start);
  const n = pcm.length;
  if (n === 0 || width <= 0) return;
  ctx.fillStyle = color;
  let prev: number | null = null;
  for (let px = 0; px < width; px++) {
    const f0 = (view.start + (px / width) * span) * rate;
    const f1 = (view.start + ((px + 1) / width) * span) * rate;
    // samples whose index lies in [f0, f1)
    const a = Math.max(0, Math.ceil(f0));
    const b = Math.min(n - 1, Math.ceil(f1) - 1);
    let lo: number;
    let hi: number;
    let last: number;
    if (b >= a) {
      lo = hi = pcm[a];
      for (let i = a + 1; i <= b; i++) {
        const v = pcm[i];
        if (v < lo) lo = v;
        else if (v > hi) hi = v;
      }
      last = pcm[b];
    } else {
      const i = Math.floor(f0);
      if (i < 0 || i >= n - 1) {
        prev = null;
        continue;
      }
      lo = hi = last = pcm[i] + (pcm[i + 1] - pcm[i]) * (f0 - i);
    }
    if (prev !== null) {
      if (prev < lo) lo = prev;
      if (prev > hi) hi = prev;
    }
    prev = last;
    const y0 = mid - hi * scale;
    const y1 = mid - lo * scale;
    ctx.fillRect(px, y0, 1, Math.max(1, y1 - y0));
  }
}

export interface TimeTick {
  t: number;
  /** null when the label would not fit before the right edge. */
  label: string | null;
}

/** Ruler ticks for the visible range on a plot `widthPx` CSS pixels wide (labels ≥ 80 px apart). */
export function timeTicks(view: { start: number; end: number }, widthPx: number, duration: number): TimeTick[] {
  const span = view.end - view.start;
  if (!(span > 0) || widthPx <= 0) return [];
  const step = tickStep(span, widthPx, 80);
  const out: TimeTick[] = [];
  for (let k = Math.ceil(view.start / step - 1e-9); k * step <= view.end + 1e-9 && out.length < 200; k++) {
    const t = k * step;
    const label = tickLabel(t, step, duration);
    const x = ((t - view.start) / span) * widthPx;
    // 10 px monospace ≈ 6.1 px per character, plus the tick's 4 px padding and border
    out.push({ t, label: x + label.length * 6.1 + 6 <= widthPx ? label : null });
  }
  return out;
}

export interface FrequencyTick {
  hz: number;
  /** 0 at the bottom of the spectrogram (0 Hz), 1 at the top (Nyquist). */
  fraction: number;
  label: string;
}

/** Frequency-axis ticks for a linear spectrogram up to `nyquist` Hz, `heightPx` tall (≥ 22 px apart). */
export function frequencyTicks(nyquist: number, heightPx: number): FrequencyTick[] {
  if (!(nyquist > 0) || heightPx <= 0) return [];
  const steps = [100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000];
  const step = steps.find((s) => (s / nyquist) * heightPx >= 22) ?? 50000;
  const out: FrequencyTick[] = [];
  const top = Math.floor(nyquist / step + 1e-9);
  for (let k = 0; k <= top; k++) {
    const hz = k * step;
    const kHz = hz / 1000;
    const text = Number.isInteger(kHz) ? String(kHz) : kHz.toFixed(kHz < 1 ? 2 : 1).replace(/0$/, '');
    out.push({ hz, fraction: hz / nyquist, label: k === top ? `${text} kHz` : text });
  }
  return out;
}
