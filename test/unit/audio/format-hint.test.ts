/**
 * The channel-format hint never rotates a scene (issue #16): a dipole/omni ratio says something
 * about normalisation and nothing about channel order, so a reorder is offered only when the
 * order is measured — one candidate height channel (ACN's channel 3, FuMa's channel 4) far below
 * the other dipoles — and never for a declared format. Checked on plane waves encoded here from
 * their definition (SN3D/N3D spherical harmonics, FuMa's −3 dB W in W X Y Z order, four ideal
 * cardioids for A-format), written to WAV files and read back through the engine, with the
 * direction estimated by the engine's own DirectionMeter (the one that gives stems their
 * directions); and on the real FuMa big-band and soundscape recordings of ../shared/realdata.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio, readAudio, writeAudio } from '../../../src/engine/audio';
import { DirectionMeter } from '../../../src/engine/dsp';
import type { ChannelFormat } from '../../../src/shared/audio';

const RATE = 16000;
const N = RATE * 2;
const D = Math.PI / 180;
const tmp = mkdtempSync(path.join(os.tmpdir(), 's5-hint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const REALDATA = path.resolve(__dirname, '../../../../shared/realdata');

function noise(n: number, seed: number): Float32Array {
  let s = seed >>> 0 || 1;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    x[i] = ((s / 2 ** 32) * 2 - 1) * 0.3;
  }
  return x;
}

const unit = (az: number, el: number): [number, number, number] =>
  [Math.cos(az * D) * Math.cos(el * D), Math.sin(az * D) * Math.cos(el * D), Math.sin(el * D)];

/** A plane wave s from (az, el) as a file in `format` stores it (channel order of the format). */
function encode(s: Float32Array, az: number, el: number, format: ChannelFormat): Float32Array[] {
  const [x, y, z] = unit(az, el);
  const g = (k: number) => s.map((v) => v * k);
  switch (format) {
    case 'foa-acn-sn3d': return [g(1), g(y), g(z), g(x)];
    case 'foa-acn-n3d': return [g(1), g(Math.sqrt(3) * y), g(Math.sqrt(3) * z), g(Math.sqrt(3) * x)];
    case 'foa-fuma': return [g(Math.SQRT1_2), g(x), g(y), g(z)];
    case 'a-format-tetra': {
      const tilt = Math.atan(1 / Math.SQRT2) / D;
      const caps: [number, number][] = [[45, tilt], [-45, -tilt], [135, -tilt], [-135, tilt]];
      return caps.map(([a, e]) => {
        const d = unit(a, e);
        return g(0.5 + 0.5 * (d[0] * x + d[1] * y + d[2] * z));
      });
    }
    default: throw new Error(format);
  }
}

/** Adds a weak diffuse field (8 uncorrelated sources around the sphere, −30 dB) in `format`. */
function withRoom(field: Float32Array[], format: ChannelFormat): Float32Array[] {
  const out = field.map((c) => c.slice());
  for (let k = 0; k < 8; k++) {
    const el = Math.asin(1 - (2 * (k + 0.5)) / 8) / D;
    const s = noise(N, 500 + k).map((v) => v * 0.0316 / Math.sqrt(8));
    encode(s, (k * 137.5) % 360, el, format).forEach((c, i) => c.forEach((v, j) => (out[i][j] += v)));
  }
  return out;
}

let fileNo = 0;
async function write(field: Float32Array[]): Promise<string> {
  const file = path.join(tmp, `pw-${fileNo++}.wav`);
  await writeAudio(file, field, RATE, 'float32');
  return file;
}

/** The engine's direction of the whole recording read as `format` (the mixture as its own stem). */
async function direction(file: string, format: ChannelFormat): Promise<{ az: number; el: number }> {
  const { data, sampleRate } = await readAudio(file, { channelFormat: format });
  const meter = new DirectionMeter<string>(sampleRate, data[0].length);
  meter.push(0, data[0].length, data, new Map([['all', data[0]]]));
  const d = meter.finish(data[0].length).get('all');
  if (!d) throw new Error('no direction');
  return { az: d.azimuth_deg, el: d.elevation_deg };
}

const angle = (a: number, b: number) => Math.abs(((a - b + 540) % 360) - 180);

describe('the direction of a known plane wave is right in every format', () => {
  const FORMATS: ChannelFormat[] = ['foa-acn-sn3d', 'foa-acn-n3d', 'foa-fuma', 'a-format-tetra'];
  const DIRS: [number, number][] = [[30, 0], [-120, 20], [160, -35], [75, 60]];
  it.each(FORMATS)('%s, declared', async (format) => {
    for (const [az, el] of DIRS) {
      const file = await write(encode(noise(N, 7), az, el, format));
      const got = await direction(file, format);
      expect(angle(got.az, az), `${format} az ${az} el ${el}: got ${got.az.toFixed(1)}`).toBeLessThan(2);
      expect(Math.abs(got.el - el), `${format} az ${az} el ${el}: got el ${got.el.toFixed(1)}`).toBeLessThan(2);
    }
  });
});

describe('the hint on a synthesised FuMa plane wave', () => {
  it('horizontal source: the order is measured (channel 4 quiet), FuMa is offered, and following it gives the true direction', async () => {
    const file = await write(withRoom(encode(noise(N, 11), 30, 0, 'foa-fuma'), 'foa-fuma'));
    const { info } = await openAudio({ path: file, overviewBuckets: 64 });
    const h = info.formatHint!;
    expect(h).toMatchObject({ order: 'fuma', confidence: 'high', suggested: 'foa-fuma', agrees: false, level: 'warning' });
    expect(h.dipoleDb[2]).toBeLessThan(-20);
    expect(h.message).toMatch(/suggests FuMa \(high confidence\): channel 4 holds −\d+ dB of the dipole energy/);
    expect(info.warnings).toContain(h.message);
    // Read as assumed (ACN) the source is rotated off the horizon; read as suggested it is right.
    const wrong = await direction(file, info.channelFormat);
    expect(Math.abs(wrong.el)).toBeGreaterThan(20);
    const right = await direction(file, h.suggested!);
    expect(angle(right.az, 30)).toBeLessThan(2);
    expect(Math.abs(right.el)).toBeLessThan(2);
    // Declared, the hint is silent: nothing suggested, nothing in the warnings.
    const declared = await openAudio({ path: file, channelFormat: 'foa-fuma', overviewBuckets: 64 });
    expect(declared.info.formatHint).toMatchObject({ suggested: null, agrees: true, level: 'ok' });
    expect(declared.info.warnings).toEqual([]);
  });

  it.each([
    ['elevated (az 45°, el 30°): Z is not quiet', 45, 30],
    ['near the X axis (az 10°): both readings put it near the horizon', 10, 0],
    ['on the X axis (az 0°): two silent channels', 0, 0],
  ])('%s — no reorder is offered', async (_what, az, el) => {
    const file = await write(withRoom(encode(noise(N, 13), az, el, 'foa-fuma'), 'foa-fuma'));
    const { info } = await openAudio({ path: file, overviewBuckets: 64 });
    const h = info.formatHint!;
    expect(h.order).toBeNull();
    expect(h.suggested).toBeNull();
    expect(h.agrees).toBe(true);
    // FuMa's ratio (≈2) is unusual for the assumed ACN/SN3D: a note asking to declare, no button.
    expect(h.ratio).toBeGreaterThan(1.6);
    expect(h).toMatchObject({ ratioFits: false, level: 'note' });
    expect(h.message).toMatch(/declare the format if you know it$/);
  });

  it('a horizontal ACN/SN3D source agrees with the assumption (channel 3 quiet)', async () => {
    const file = await write(withRoom(encode(noise(N, 17), -60, 0, 'foa-acn-sn3d'), 'foa-acn-sn3d'));
    const { info } = await openAudio({ path: file, overviewBuckets: 64 });
    expect(info.formatHint).toMatchObject({ order: 'acn', confidence: 'high', suggested: null, agrees: true, level: 'ok' });
    expect(info.warnings).toEqual([]);
    // Declared as FuMa by the user, it is not questioned (the user knows their file).
    const declared = await openAudio({ path: file, channelFormat: 'foa-fuma', overviewBuckets: 64 });
    expect(declared.info.formatHint).toMatchObject({ suggested: null, agrees: true, level: 'ok' });
  });

  it('too short to judge the order (256 frames): nothing is offered', async () => {
    const field = encode(noise(256, 19), 30, 0, 'foa-fuma');
    const file = path.join(tmp, 'short.wav');
    await writeAudio(file, field, RATE, 'float32');
    const { info } = await openAudio({ path: file, overviewBuckets: 64 });
    expect(info.formatHint?.suggested ?? null).toBeNull();
  });
});

describe('the hint on real FuMa recordings (W X Y Z, W −3 dB)', () => {
  it('big band: ratio 2.94 but no quiet height channel — no reorder offered; declared FuMa silences it', async () => {
    const file = path.join(REALDATA, 'jsambisonics_BF_rec2_bigband_wxyz_44k.ogg');
    const assumed = await openAudio({ path: file, overviewBuckets: 64 });
    const h = assumed.info.formatHint!;
    expect(h.ratio).toBeCloseTo(2.94, 1);
    expect(h).toMatchObject({ order: null, suggested: null, agrees: true, level: 'note' });
    const declared = await openAudio({ path: file, channelFormat: 'foa-fuma', overviewBuckets: 64 });
    expect(declared.info.formatHint).toMatchObject({ suggested: null, agrees: true, level: 'ok' });
    expect(declared.info.warnings).toEqual([]);
  });

  it('soundscape: its Z channel is empty (−79 dB), so FuMa is measured with high confidence', async () => {
    const file = path.join(REALDATA, 'jsambisonics_BF_rec1_soundscape_wxyz_44k.ogg');
    const { info } = await openAudio({ path: file, overviewBuckets: 64 });
    expect(info.formatHint).toMatchObject({ order: 'fuma', confidence: 'high', suggested: 'foa-fuma', level: 'warning' });
    expect(info.formatHint!.dipoleDb[2]).toBeLessThan(-60);
  });
});
