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
