/**
 * Audio I/O benchmark (standalone: `npx tsx bench/audio.bench.ts`, env BENCH_SECONDS=30).
 * Prints one JSON object per line. Speeds are "× real time" of the audio's duration, and every
 * figure comes with a ratio against a reference measured in the same run on the same file:
 *   - decode:   vs `sox FILE -t f32 /dev/null` (sox's libsndfile/libFLAC/libvorbis/libmad decoders)
 *               and vs a plain read of the file's bytes (the memcpy-like floor);
 *   - encode:   vs sox writing the same encoding from a float WAV;
 *   - resample: vs `sox … rate -v` (very high quality), with THD+N of a 1 kHz sine 44.1→32 kHz;
 *   - streaming memory: peak RSS growth while streaming, vs the file size.
 * No assertions: numbers are for the report (docs/audio.md), not pass/fail.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openAudioStream, readAudio, resample, writeAudio } from '../src/engine/audio';
import type { WriteEncoding } from '../src/shared/audio';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 30);
const RATE = 48000;
const dir = mkdtempSync(path.join(os.tmpdir(), 's5-audio-bench-'));

function emit(o: Record<string, unknown>): void {
  console.log(JSON.stringify({ bench: 'audio', ...o }));
}

function time<T>(f: () => T): [T, number] {
  const t0 = process.hrtime.bigint();
  const r = f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

async function timeAsync<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = process.hrtime.bigint();
  const r = await f();
  return [r, Number(process.hrtime.bigint() - t0) / 1e9];
}

const round = (x: number, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

/** Best of `n` runs (the machine is shared; the minimum is the least disturbed). */
async function best(n: number, f: () => Promise<unknown>): Promise<number> {
  let t = Infinity;
  for (let i = 0; i < n; i++) t = Math.min(t, (await timeAsync(f))[1]);
  return t;
}

function soxTime(args: string[], n = 2): number {
  let t = Infinity;
  for (let i = 0; i < n; i++) t = Math.min(t, time(() => execFileSync('sox', args, { stdio: 'ignore' }))[1]);
  return t;
}

async function main(): Promise<void> {
  // ---- fixtures: 4-channel 48 kHz noise-plus-tones (MP3: 2 channels, its maximum) ----
  execFileSync('/usr/bin/python3', ['-c', String.raw`
import sys, numpy as np, soundfile as sf
d, secs = sys.argv[1], float(sys.argv[2]); fs = 48000; n = int(secs * fs)
rng = np.random.default_rng(0); t = np.arange(n) / fs
x = np.stack([0.3 * np.sin(2 * np.pi * (200 + 300 * c) * t) + 0.1 * rng.standard_normal(n) for c in range(4)], 1)
x = np.clip(x, -1, 1)
sf.write(d + '/pcm16.wav', x, fs, subtype='PCM_16'); sf.write(d + '/pcm24.wav', x, fs, subtype='PCM_24')
sf.write(d + '/float32.wav', x, fs, subtype='FLOAT'); sf.write(d + '/flac16.flac', x, fs, subtype='PCM_16')
sf.write(d + '/flac24.flac', x, fs, subtype='PCM_24'); sf.write(d + '/vorbis.ogg', x, fs, subtype='VORBIS')
sf.write(d + '/stereo.mp3', x[:, :2], fs, format='MP3', subtype='MPEG_LAYER_III')
`, dir, String(SECONDS)]);
  emit({ what: 'setup', seconds: SECONDS, rate: RATE, channels: 4, node: process.versions.node, cpus: os.cpus().length });

  // ---- decode ----
  for (const [name, ch] of [['pcm16.wav', 4], ['pcm24.wav', 4], ['float32.wav', 4], ['flac16.flac', 4], ['flac24.flac', 4], ['vorbis.ogg', 4], ['stereo.mp3', 2]] as const) {
    const file = path.join(dir, name);
    await readAudio(file); // warm-up (wasm compile, JIT)
    const ours = await best(2, async () => {
      const s = await openAudioStream(file);
      for await (const _ of s) { /* drain */ }
    });
    const sox = soxTime([file, '-t', 'f32', '/dev/null']);
    const raw = time(() => readFileSync(file))[1];
    emit({
      what: 'decode', file: name, channels: ch, bytes: statSync(file).size,
      x_realtime: round(SECONDS / ours, 1), sox_x_realtime: round(SECONDS / sox, 1),
      ratio_vs_sox: round(sox / ours, 3), ratio_vs_raw_read: round(raw / ours, 4),
    });
  }

  // ---- encode ----
  const { data } = await readAudio(path.join(dir, 'float32.wav'));
  const soxArgs: Record<WriteEncoding, string[]> = {
    pcm16: ['-b', '16', '-e', 'signed-integer'], pcm24: ['-b', '24', '-e', 'signed-integer'],
    float32: ['-b', '32', '-e', 'floating-point'], flac16: ['-b', '16'], flac24: ['-b', '24'],
  };
  for (const enc of ['pcm16', 'pcm24', 'float32', 'flac16', 'flac24'] as const) {
    const ext = enc.startsWith('flac') ? 'flac' : 'wav';
    const out = path.join(dir, `enc_${enc}.${ext}`);
    const ours = await best(2, () => writeAudio(out, data, RATE, enc));
    const sox = soxTime([path.join(dir, 'float32.wav'), ...soxArgs[enc], path.join(dir, `sox_${enc}.${ext}`)]);
    emit({ what: 'encode', encoding: enc, x_realtime: round(SECONDS / ours, 1), sox_x_realtime: round(SECONDS / sox, 1), ratio_vs_sox: round(sox / ours, 3), bytes: statSync(out).size });
  }

  // ---- resample 48 → 32 kHz, 4 channels ----
  for (const quality of ['best', 'medium'] as const) {
    await resample(data.map((c) => c.subarray(0, 4800)), RATE, 32000, quality);
    const ours = await best(1, () => resample(data, RATE, 32000, quality));
    const sox = soxTime([path.join(dir, 'float32.wav'), '-t', 'f32', '/dev/null', 'rate', '-v', '32000'], 1);
    emit({ what: 'resample', from: RATE, to: 32000, channels: 4, quality, x_realtime: round(SECONDS / ours, 1), sox_v_x_realtime: round(SECONDS / sox, 1), ratio_vs_sox_v: round(sox / ours, 3) });
  }

  // ---- THD+N of a 1 kHz sine, 44.1 → 32 kHz ----
  for (const quality of ['best', 'medium', 'fast'] as const) {
    const x = new Float32Array(44100).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / 44100));
    const [y] = await resample([x], 44100, 32000, quality);
    let ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
    const w = (i: number) => (2 * Math.PI * 1000 * i) / 32000;
    for (let i = 3200; i < y.length - 3200; i++) {
      const s = Math.sin(w(i)), c = Math.cos(w(i));
      ss += s * s; cc += c * c; sc += s * c; ys += y[i] * s; yc += y[i] * c;
    }
    const det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
    let e = 0, p = 0;
    for (let i = 3200; i < y.length - 3200; i++) {
      const m = a * Math.sin(w(i)) + b * Math.cos(w(i));
      e += (y[i] - m) ** 2;
      p += m * m;
    }
    emit({ what: 'thd+n', signal: '1 kHz sine, 44.1 → 32 kHz', quality, thd_n_db: round(10 * Math.log10(e / p), 1) });
  }

  // ---- streaming memory: peak RSS growth while streaming, vs file size ----
  for (const name of ['pcm24.wav', 'flac24.flac', 'vorbis.ogg']) {
    const file = path.join(dir, name);
    globalThis.gc?.();
    const base = process.memoryUsage().rss;
    let peak = base;
    const s = await openAudioStream(file);
    for await (const _ of s) peak = Math.max(peak, process.memoryUsage().rss);
    emit({ what: 'stream-memory', file: name, file_mb: round(statSync(file).size / 2 ** 20, 1), decoded_mb: round((SECONDS * RATE * 4 * 4) / 2 ** 20, 1), peak_rss_growth_mb: round((peak - base) / 2 ** 20, 1) });
  }
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
