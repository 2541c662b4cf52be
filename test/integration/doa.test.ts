/**
 * Direction of separated stems in reverberant scenes built with known impulse responses: a
 * shoebox image-source FOA room (direct path + reflections up to third order; the truth is the
 * direct path's direction from the geometry) with two sources of different classes, and the real
 * JSAmbisonics FOA room impulse response (FuMa, 44.1 kHz; direct sound at ≈ 14° azimuth, 0°
 * elevation per its notes). Sources are bursts of band noise (events are not stationary). The
 * pipeline (real ONNX Runtime, tiny test models) must put each stem's azimuth within 10° of the
 * truth.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readAudio, writeAudio } from '../../src/engine/audio';
import { Fft } from '../../src/engine/dsp/fft';
import { InferenceHost } from '../../src/engine/inference/ort-client';
import { Pipeline } from '../../src/engine/pipeline/pipeline';
import { angleDiff, bandNoise, cachedTestModels, classHz, mixInto, testRegistry, torchReady } from '../fixtures/models/helpers';

const RATE = 8000;
const C = 343;
const ready = torchReady();
const REAL_IR = path.resolve(__dirname, '../../../shared/realdata/jsambisonics_room_1_bf_wxyz_44k.wav');
let dir: string;
let inference: InferenceHost;
let pipeline: Pipeline;

type Vec = [number, number, number];

/**
 * FOA (ACN/SN3D) impulse response of a shoebox room by the image-source method: every image up to
 * `maxOrder` reflections adds a tap of gain β^order / distance at its delay (linear interpolation
 * between samples), encoded from its direction as seen from the microphone.
 */
function shoeboxFoaIr(room: Vec, src: Vec, mic: Vec, beta: number, maxOrder: number): Float32Array[] {
  const taps: { delay: number; gain: number; dir: Vec }[] = [];
  for (let nx = -maxOrder; nx <= maxOrder; nx++) {
    for (let ny = -maxOrder; ny <= maxOrder; ny++) {
      for (let nz = -maxOrder; nz <= maxOrder; nz++) {
        for (const [px, py, pz] of [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]]) {
          const order = Math.abs(2 * nx - px) + Math.abs(2 * ny - py) + Math.abs(2 * nz - pz);
          if (order > maxOrder) continue;
          const img: Vec = [
            2 * nx * room[0] + (px ? -src[0] : src[0]),
            2 * ny * room[1] + (py ? -src[1] : src[1]),
            2 * nz * room[2] + (pz ? -src[2] : src[2]),
          ];
          const d: Vec = [img[0] - mic[0], img[1] - mic[1], img[2] - mic[2]];
          const r = Math.hypot(...d);
          taps.push({ delay: (r / C) * RATE, gain: beta ** order / r, dir: [d[0] / r, d[1] / r, d[2] / r] });
        }
      }
    }
  }
  const length = Math.ceil(Math.max(...taps.map((t) => t.delay))) + 2;
  const ir = [0, 1, 2, 3].map(() => new Float32Array(length));
  for (const t of taps) {
    const g = [1, t.dir[1], t.dir[2], t.dir[0]]; // W, Y, Z, X
    const i = Math.floor(t.delay);
    const frac = t.delay - i;
    for (let c = 0; c < 4; c++) {
      ir[c][i] += t.gain * g[c] * (1 - frac);
      ir[c][i + 1] += t.gain * g[c] * frac;
    }
  }
  return ir;
}

/** Sound events are not stationary: bursts of `onS` every `periodS` (10 ms raised-cosine ramps). */
function gate(s: Float32Array, offsetS = 0, onS = 0.15, periodS = 0.5): Float32Array {
  const ramp = 0.01 * RATE;
  return s.map((v, i) => {
    const t = ((i / RATE - offsetS) % periodS + periodS) % periodS;
    const pos = t * RATE;
    const on = onS * RATE;
    if (pos >= on) return 0;
    const g = pos < ramp ? 0.5 - 0.5 * Math.cos((Math.PI * pos) / ramp) : pos > on - ramp ? 0.5 - 0.5 * Math.cos((Math.PI * (on - pos)) / ramp) : 1;
    return v * g;
  });
}

function azimuthOf(src: Vec, mic: Vec): number {
  return (Math.atan2(src[1] - mic[1], src[0] - mic[0]) * 180) / Math.PI;
}

function elevationOf(src: Vec, mic: Vec): number {
  return (Math.atan2(src[2] - mic[2], Math.hypot(src[0] - mic[0], src[1] - mic[1])) * 180) / Math.PI;
}

/** Linear convolution of a mono signal with each channel of an impulse response (FFT), cut to the signal's length. */
function convolve(s: Float32Array, ir: Float32Array[]): Float32Array[] {
  let n = 1;
  while (n < s.length + ir[0].length) n *= 2;
  const fft = new Fft(n);
  const sr = new Float64Array(n);
  const si = new Float64Array(n);
  sr.set(s);
  fft.forward(sr, si);
  return ir.map((h) => {
    const hr = new Float64Array(n);
    const hi = new Float64Array(n);
    hr.set(h);
    fft.forward(hr, hi);
    // product, then the inverse through the forward transform of the conjugate
    for (let k = 0; k < n; k++) {
      const re = sr[k] * hr[k] - si[k] * hi[k];
      const im = sr[k] * hi[k] + si[k] * hr[k];
      hr[k] = re;
      hi[k] = -im;
    }
    fft.forward(hr, hi);
    return Float32Array.from({ length: s.length }, (_, i) => hr[i] / n);
  });
}

beforeAll(() => {
  if (!ready) return;
  dir = mkdtempSync(path.join(os.tmpdir(), 's5-doa-'));
  inference = new InferenceHost({ threads: 1 });
  pipeline = new Pipeline(testRegistry(cachedTestModels(RATE, 4)), inference);
});
afterAll(async () => {
  await inference?.dispose();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!ready)('direction in reverberant scenes', () => {
  it('image-source room, two sources: each stem within 10° of its direct path', async () => {
    const room: Vec = [6.2, 4.9, 3.1];
    const mic: Vec = [2.1, 2.3, 1.4];
    const srcA: Vec = [3.3, 4.2, 1.6]; // ≈ 58° azimuth
    const srcB: Vec = [0.6, 1.1, 1.2]; // ≈ −141°
    const n = 10 * RATE;
    const a = gate(bandNoise(n, classHz('Blender', RATE), 55, RATE, 0.3, 7));
    const b = gate(bandNoise(n, classHz('Speech', RATE), 55, RATE, 0.3, 8), 0.21);
    const mix = convolve(a, shoeboxFoaIr(room, srcA, mic, 0.6, 3));
    mixInto(mix, convolve(b, shoeboxFoaIr(room, srcB, mic, 0.6, 3)));
    const file = path.join(dir, 'room.wav');
    await writeAudio(file, mix, RATE, 'float32');
    const r = await pipeline.separate({ path: file, outDir: dir, format: 'wav16', models: ['test-tagger-2025', 'test-sep-1'] });
    const byLabel = Object.fromEntries(r.stems.map((s) => [s.label, s.direction!]));
    expect(Object.keys(byLabel).sort()).toEqual(['Blender', 'Speech']);
    const errA = angleDiff(byLabel.Blender.azimuth_deg, azimuthOf(srcA, mic));
    const errB = angleDiff(byLabel.Speech.azimuth_deg, azimuthOf(srcB, mic));
    console.log(`image-source room: Blender ${byLabel.Blender.azimuth_deg.toFixed(1)}° (truth ${azimuthOf(srcA, mic).toFixed(1)}°, conf ${byLabel.Blender.confidence.toFixed(2)}), Speech ${byLabel.Speech.azimuth_deg.toFixed(1)}° (truth ${azimuthOf(srcB, mic).toFixed(1)}°, conf ${byLabel.Speech.confidence.toFixed(2)})`);
    expect(errA).toBeLessThan(10);
    expect(errB).toBeLessThan(10);
    // Elevation: floor and ceiling reflections bias it at 500 Hz (Blender) far more than at 2.9 kHz.
    console.log(`elevations: Blender ${byLabel.Blender.elevation_deg.toFixed(1)}° (truth ${elevationOf(srcA, mic).toFixed(1)}°), Speech ${byLabel.Speech.elevation_deg.toFixed(1)}° (truth ${elevationOf(srcB, mic).toFixed(1)}°)`);
    expect(Math.abs(byLabel.Speech.elevation_deg - elevationOf(srcB, mic))).toBeLessThan(8);
    expect(Math.abs(byLabel.Blender.elevation_deg - elevationOf(srcA, mic))).toBeLessThan(15);
    expect(byLabel.Blender.confidence).toBeLessThan(0.99); // reverberation lowers it
  });

  it.skipIf(!existsSync(REAL_IR))('real FOA room impulse response (JSAmbisonics room_1, FuMa): azimuth within 10° of 14°', async () => {
    const ir = await readAudio(REAL_IR, { channelFormat: 'foa-fuma', targetRate: RATE });
    const n = 10 * RATE;
    const s = gate(bandNoise(n, classHz('Blender', RATE), 55, RATE, 0.3, 9));
    const file = path.join(dir, 'real.wav');
    const scene = convolve(s, ir.data);
    const peak = Math.max(...scene.map((c) => Math.max(...c.map(Math.abs))));
    await writeAudio(file, scene.map((c) => c.map((v) => (v / peak) * 0.5)), RATE, 'float32');
    const r = await pipeline.separate({ path: file, outDir: dir, format: 'wav16', models: ['test-tagger-2025', 'test-sep-1'] });
    const d = r.stems.find((x) => x.label === 'Blender')!.direction!;
    console.log(`real room IR: ${d.azimuth_deg.toFixed(1)}° / ${d.elevation_deg.toFixed(1)}° (confidence ${d.confidence.toFixed(2)})`);
    expect(angleDiff(d.azimuth_deg, 14)).toBeLessThan(10);
    // The elevation reads ≈ 12° against 0° for the direct sound: floor/ceiling reflections at
    // 500 Hz (see docs/direction.md); only the azimuth is held to 10° here.
  });
});
