/**
 * openAudio: the min/max overview (against numpy's per-bucket min/max of the same file, and against
 * brute force for the bounded-memory accumulator on lengths and block sizes of every kind), the
 * channel conversion applied to the overview, and AudioInfo fields.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio, OverviewBuilder, writeAudio } from '../../../src/engine/audio';
import { ExactOverview } from '../../../src/engine/audio/open';
import { makeTmp, python, realdata } from './helpers';

const tmp = makeTmp('open');
afterAll(() => tmp.cleanup());

/** Bucket b covers [floor(bN/B), floor((b+1)N/B)), at least one frame. */
function bounds(b: number, n: number, buckets: number): [number, number] {
  const s = Math.floor((b * n) / buckets);
  return [s, Math.max(s + 1, Math.floor(((b + 1) * n) / buckets))];
}

/**
 * The accumulator may widen a bucket by less than one bucket on each side (its fine buckets do not
 * fall on bucket edges), so: true extreme of the bucket ≤ ours ≤ extreme of the bucket and its
 * neighbours.
 */
function expectEnvelope(x: ArrayLike<number>, min: Float32Array, max: Float32Array, buckets: number, label: string): void {
  const n = x.length;
  const ext = (a: number, b: number) => {
    let lo = Infinity, hi = -Infinity;
    for (let i = Math.max(0, a); i < Math.min(n, b); i++) {
      lo = Math.min(lo, x[i]);
      hi = Math.max(hi, x[i]);
    }
    return [lo, hi];
  };
  for (let b = 0; b < buckets; b++) {
    const [s, e] = bounds(b, n, buckets);
    const [lo, hi] = ext(s, e);
    const [wlo, whi] = ext(bounds(Math.max(0, b - 1), n, buckets)[0], bounds(Math.min(buckets - 1, b + 1), n, buckets)[1]);
    expect(max[b], `${label} max[${b}]`).toBeGreaterThanOrEqual(Math.fround(hi));
    expect(max[b], `${label} max[${b}]`).toBeLessThanOrEqual(Math.fround(whi));
    expect(min[b], `${label} min[${b}]`).toBeLessThanOrEqual(Math.fround(lo));
    expect(min[b], `${label} min[${b}]`).toBeGreaterThanOrEqual(Math.fround(wlo));
  }
}

describe('OverviewBuilder', () => {
  it('brackets the exact envelope for short, long and odd lengths and any block sizes', () => {
    let seed = 5;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1;
    for (const [n, buckets, block] of [[5, 16, 3], [100, 16, 7], [1000, 64, 1000], [12345, 64, 997], [200000, 128, 4096], [77777, 1000, 65536]]) {
      const x = Float32Array.from({ length: n }, rnd);
      const ob = new OverviewBuilder(1, Math.max(4 * buckets, 64));
      for (let o = 0; o < n; o += block) ob.push([x.subarray(o, Math.min(n, o + block))]);
      const ov = ob.finish(buckets);
      expect(ov.buckets).toBe(buckets);
      expectEnvelope(x, ov.min[0], ov.max[0], buckets, `n=${n}`);
    }
  });

  it('is exact when the file is shorter than the bucket count (each frame repeats)', () => {
    const ob = new OverviewBuilder(1, 64);
    ob.push([new Float32Array([0.5, -0.25, 0.125])]);
    const ov = ob.finish(6);
    expect(Array.from(ov.max[0])).toEqual([0.5, 0.5, -0.25, -0.25, 0.125, 0.125]);
    expect(Array.from(ov.min[0])).toEqual([0.5, 0.5, -0.25, -0.25, 0.125, 0.125]);
  });
});

describe('ExactOverview (length known up front)', () => {
  it('equals brute force per bucket for any length/bucket ratio and block size', () => {
    let seed = 11;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647) * 2 - 1;
    for (const [n, buckets, block] of [[3, 8, 1], [17, 16, 5], [1000, 64, 33], [65536, 1024, 65536], [99991, 700, 4096]]) {
      const x = Float32Array.from({ length: n }, rnd);
      const ov = new ExactOverview(1, n, buckets);
      for (let o = 0; o < n; o += block) ov.push([x.subarray(o, Math.min(n, o + block))]);
      const r = ov.finish()!;
      for (let b = 0; b < buckets; b++) {
        const [s, e] = bounds(b, n, buckets);
        const seg = Array.from(x.subarray(s, e));
        expect(r.min[0][b], `n=${n} b=${b}`).toBe(Math.min(...seg));
        expect(r.max[0][b], `n=${n} b=${b}`).toBe(Math.max(...seg));
      }
    }
  });

  it('refuses (null) when the stream length differs from the announced one', () => {
    const short = new ExactOverview(1, 10, 4);
    short.push([new Float32Array(9)]);
    expect(short.finish()).toBeNull();
    const long = new ExactOverview(1, 10, 4);
    long.push([new Float32Array(11)]);
    expect(long.finish()).toBeNull();
  });
});

describe('openAudio', () => {
  it('overview of a real 4-channel WAV equals numpy’s per-bucket min/max', async () => {
    const file = realdata('audiofactory_bamboo_amb_foa_acn_sn3d_48k.wav');
    const buckets = 500;
    const { info, overview } = await openAudio({ path: file, overviewBuckets: buckets });
    expect(info).toMatchObject({ container: 'wav', encoding: 'pcm_s16', sampleRate: 48000, channels: 4, frames: 344064, bytes: 2752592 });
    expect(info.durationSec).toBeCloseTo(7.168, 9);
    const ref = JSON.parse(python(String.raw`
import json, sys, numpy as np, soundfile as sf
x, _ = sf.read(sys.argv[1], always_2d=True); n, B = len(x), int(sys.argv[2])
e = [max(b * n // B + 1, (b + 1) * n // B) for b in range(B)]
print(json.dumps(dict(min=[[float(x[b * n // B:e[b], c].min()) for b in range(B)] for c in range(4)],
                      max=[[float(x[b * n // B:e[b], c].max()) for b in range(B)] for c in range(4)])))
`, file, String(buckets))) as { min: number[][]; max: number[][] };
    // WAV states its length, so every bucket is exact
    for (let c = 0; c < 4; c++) {
      expect(Array.from(overview.min[c]), `min, channel ${c}`).toEqual(ref.min[c].map(Math.fround));
      expect(Array.from(overview.max[c]), `max, channel ${c}`).toEqual(ref.max[c].map(Math.fround));
    }
  });

  it('overview is taken after channel conversion (FuMa W × √2, order W Y Z X)', async () => {
    const file = path.join(tmp.dir, 'fuma.wav');
    // W X Y Z file channels with distinct constant levels
    const n = 4000;
    const ch = [0.5, 0.1, 0.2, 0.3].map((v) => new Float32Array(n).fill(v));
    await writeAudio(file, ch, 32000, 'float32');
    const { info, overview } = await openAudio({ path: file, channelFormat: 'foa-fuma', overviewBuckets: 16 });
    expect(info.channelFormat).toBe('foa-fuma');
    const firstMax = overview.max.map((m) => m[0]);
    expect(firstMax[0]).toBeCloseTo(0.5 * Math.SQRT2, 6);
    expect(firstMax.slice(1)).toEqual([0.2, 0.3, 0.1].map(Math.fround)); // Y, Z, X
  });

  it('an .amb file (AMBISONIC_B_FORMAT sub-format GUID) is treated as FuMa, with a warning', async () => {
    const file = path.join(tmp.dir, 'test.amb');
    const n = 1000;
    await writeAudio(file, [0.5, 0.1, 0.2, 0.3].map((v) => new Float32Array(n).fill(v)), 32000, 'pcm24');
    // turn the KSDATAFORMAT_SUBTYPE_PCM GUID into AMBISONIC_B_FORMAT_PCM (00000001-0721-11d3-8644-c8c1ca000000)
    const bytes = readFileSync(file);
    const guid = bytes.indexOf(Buffer.from([0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71]));
    expect(guid).toBeGreaterThan(0);
    Buffer.from([0x01, 0x00, 0x00, 0x00, 0x21, 0x07, 0xd3, 0x11, 0x86, 0x44, 0xc8, 0xc1, 0xca, 0x00, 0x00, 0x00]).copy(bytes, guid);
    writeFileSync(file, bytes);
    const { info, overview } = await openAudio({ path: file, overviewBuckets: 16 });
    expect(info).toMatchObject({ channelFormat: 'foa-fuma', channelFormatDeclared: false });
    expect(info.warnings).toContain('the file marks itself as AMBISONIC_B_FORMAT (.amb), which is FuMa: treated as FuMa');
    expect(overview.max[0][0]).toBeCloseTo(0.5 * Math.SQRT2, 5);
  });

  it('declared A-format: no hint; 4 channels out', async () => {
    const { info, overview } = await openAudio({ path: realdata('jsambisonics_room_1_bf_wxyz_44k.wav'), channelFormat: 'a-format-tetra', overviewBuckets: 32 });
    expect(info).toMatchObject({ channelFormat: 'a-format-tetra', channelFormatDeclared: true, formatHint: null, warnings: [] });
    expect(overview.max.length).toBe(4);
  });

  it('a silent 4-channel file says the hint is unavailable', async () => {
    const file = path.join(tmp.dir, 'silent.wav');
    await writeAudio(file, Array.from({ length: 4 }, () => new Float32Array(16000)), 16000, 'pcm16');
    const { info } = await openAudio({ path: file });
    expect(info.formatHint).toBeNull();
    expect(info.warnings).toContain('channel-format hint unavailable: the W channel has no energy in 300–3000 Hz');
  });
});
