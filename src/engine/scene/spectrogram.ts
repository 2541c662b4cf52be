/**
 * Magnitude spectrogram for the Scene view: Hann window, real FFT (dsp/fft.ts), dB re a
 * full-scale sine (a 0 dBFS sine of a bin-centred frequency reads 0 dB), column-major. The hop is
 * chosen from the source length so a whole recording fits the requested column count; the
 * renderer only maps these numbers to colours.
 */
import { Fft } from '../dsp/fft';

export const SPECTROGRAM_FLOOR_DB = -120;

/** Hop so that `frames` fit in at most `maxColumns` columns, never below fftSize / 4. */
export function spectrogramHop(frames: number, fftSize: number, maxColumns: number): number {
  return Math.max(Math.floor(fftSize / 4), Math.ceil(Math.max(0, frames - fftSize) / Math.max(1, maxColumns - 1)) || 1);
}

export function spectrogramColumns(frames: number, fftSize: number, hop: number): number {
  if (frames <= 0) return 0;
  return frames <= fftSize ? 1 : Math.floor((frames - fftSize) / hop) + 1;
}

/** Periodic Hann window. */
export function hann(n: number): Float64Array {
  const w = new Float64Array(n);
  for (let i = 0; i < n; i++) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / n);
  return w;
}

/**
 * Spectrogram of `x` (column i starts at i·hop; the last partial frame is zero-padded only when
 * the signal is shorter than one FFT). Returns `columns × (fftSize/2 + 1)` dB values.
 */
export function spectrogramDb(x: Float32Array, fftSize: number, hop: number): { db: Float32Array<ArrayBuffer>; columns: number; bins: number } {
  const bins = fftSize / 2 + 1;
  const columns = spectrogramColumns(x.length, fftSize, hop);
  const db = new Float32Array(columns * bins);
  const fft = new Fft(fftSize);
  const win = hann(fftSize);
  // A full-scale sine through a Hann window peaks at amplitude · N/4 in its bin.
  const scale = 4 / fftSize;
  const re = new Float64Array(fftSize);
  const im = new Float64Array(fftSize);
  for (let c = 0; c < columns; c++) {
    const o = c * hop;
    for (let i = 0; i < fftSize; i++) {
      re[i] = (o + i < x.length ? x[o + i] : 0) * win[i];
      im[i] = 0;
    }
    fft.forward(re, im);
    for (let k = 0; k < bins; k++) {
      const mag = Math.hypot(re[k], im[k]) * scale;
      db[c * bins + k] = mag > 0 ? Math.max(SPECTROGRAM_FLOOR_DB, 20 * Math.log10(mag)) : SPECTROGRAM_FLOOR_DB;
    }
  }
  return { db, columns, bins };
}
