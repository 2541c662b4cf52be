/**
 * Audio I/O benchmark (standalone: `npx tsx bench/audio.bench.ts`, env BENCH_SECONDS=30).
 * Prints one JSON object per line. Speeds are "× real time" of the audio's duration, and every
 * figure comes with a ratio against a reference measured in the same run on the same file:
 *   - decode:   vs `sox FILE -t f32 /dev/null` (sox's libsndfile/libFLAC/libvorbis/libmad decoders)
 *               and vs a plain read of the file's bytes (the memcpy-like floor);
 *   - encode:   vs sox writing the same encoding from a float WAV;
 *   - resample: 4 channels, the input path's rate pairs (48/44.1/32 → 16 kHz, 48/44.1 → 32 kHz), the
 *               engine's FIR 'medium', libsamplerate's SINC_MEDIUM it replaced and 'best', vs
 *               `sox … rate -v` (very high quality), by wall and by CPU time; THD+N of a 1 kHz sine
 *               (44.1→32, 48→16 kHz) for each and for sox -v;
 *   - streaming memory: peak RSS growth while streaming, vs the file size.
 * No assertions: numbers are for the report (docs/audio.md), not pass/fail.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openAudioStream, readAudio, resample, writeAudio } from '../src/engine/audio';
import { createLibsamplerateResampler } from '../src/engine/audio/resample';
import type { WriteEncoding } from '../src/shared/audio';

/** libsamplerate's SINC_MEDIUM (what 'medium' was before the FIR resampler), one shot. */
async function resampleWithLibsamplerate(data: Float32Array[], from: number, to: number): Promise<Float32Array[]> {
  const r = await createLibsamplerateResampler(from, to, data.length, 'medium');
  const head = r.process(data);
  const tail = r.flush();
  return head.map((h, c) => {
    const o = new Float32Array(h.length + tail[c].length);
    o.set(h);
    o.set(tail[c], h.length);
    return o;
  });
}

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

  // ---- resample, 4 channels: the input path's rate pairs (→ 16 kHz model rate, → 32 kHz) ----
  // 'medium' is the engine's FIR resampler (polyphase.ts); 'src-medium' is libsamplerate's
  // SINC_MEDIUM it replaced; sox `rate -v` (very high quality) is the reference. Speeds from both
  // wall time (best of n, as above) and CPU time (user + sys: robust on a busy shared machine).
  const soxCpu = (args: string[]): { wall: number; cpu: number } => {
    let wall = Infinity;
    let cpu = Infinity;
    for (let i = 0; i < 3; i++) {
      const t0 = process.hrtime.bigint();
      const r = spawnSync('/usr/bin/time', ['-f', '%U %S', 'sox', ...args], { encoding: 'utf8' });
      wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e9);
      const m = /^(\d+\.\d+) (\d+\.\d+)$/m.exec(r.stderr); // /usr/bin/time's line among sox's warnings
      if (m) cpu = Math.min(cpu, Number(m[1]) + Number(m[2]));
    }
    return { wall, cpu };
  };
  const cpuOf = async (f: () => Promise<unknown>, n = 3): Promise<{ wall: number; cpu: number }> => {
    let wall = Infinity;
    let cpu = Infinity;
    for (let i = 0; i < n; i++) {
      const c0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await f();
      wall = Math.min(wall, Number(process.hrtime.bigint() - t0) / 1e9);
      const c = process.cpuUsage(c0);
      cpu = Math.min(cpu, (c.user + c.system) / 1e6);
    }
    return { wall, cpu };
  };
  for (const [from, to] of [[48000, 16000], [44100, 16000], [32000, 16000], [48000, 32000], [44100, 32000]] as const) {
    const src = from === RATE ? path.join(dir, 'float32.wav') : path.join(dir, `rs_${from}.wav`);
    if (from !== RATE) execFileSync('sox', [path.join(dir, 'float32.wav'), '-e', 'floating-point', '-b', '32', src, 'rate', '-v', String(from)]);
    const { data: x } = from === RATE ? { data } : await readAudio(src);
    const sox = soxCpu([src, '-t', 'f32', '/dev/null', 'rate', '-v', String(to)]);
    const soxRead = soxCpu([src, '-t', 'f32', '/dev/null']); // sox's own decode + write, without rate
    for (const quality of ['medium', 'src-medium', 'best'] as const) {
      const q = quality === 'src-medium' ? 'medium' : quality;
      const run = quality === 'src-medium' ? () => resampleWithLibsamplerate(x, from, to) : () => resample(x, from, to, q);
      await resample(x.map((c) => c.subarray(0, 4800)), from, to, q);
      const ours = await cpuOf(run);
      emit({
        what: 'resample', from, to, channels: 4, quality, x_realtime: round(SECONDS / ours.wall, 1), x_realtime_cpu: round(SECONDS / ours.cpu, 1),
        sox_v_x_realtime: round(SECONDS / sox.wall, 1), sox_v_x_realtime_cpu: round(SECONDS / sox.cpu, 1),
        ratio_vs_sox_v: round(sox.wall / ours.wall, 3), ratio_vs_sox_v_cpu: round(sox.cpu / ours.cpu, 3),
        // sox's time less its decode/encode: its resampling alone (the stricter reference)
        ratio_vs_sox_v_rate_only_cpu: round(Math.max(1e-3, sox.cpu - soxRead.cpu) / ours.cpu, 3),
      });
    }
  }

  // ---- THD+N of a 1 kHz sine (44.1 → 32 and 48 → 16 kHz), ours and sox -v ----
  const thdN = (y: Float32Array, rate: number) => {
    let ss = 0, cc = 0, sc = 0, ys = 0, yc = 0;
    const w = (i: number) => (2 * Math.PI * 1000 * i) / rate;
    const skip = rate / 10;
    for (let i = skip; i < y.length - skip; i++) {
      const s = Math.sin(w(i)), c = Math.cos(w(i));
      ss += s * s; cc += c * c; sc += s * c; ys += y[i] * s; yc += y[i] * c;
    }
    const det = ss * cc - sc * sc, a = (ys * cc - yc * sc) / det, b = (yc * ss - ys * sc) / det;
    let e = 0, p = 0;
    for (let i = skip; i < y.length - skip; i++) {
      const m = a * Math.sin(w(i)) + b * Math.cos(w(i));
      e += (y[i] - m) ** 2;
      p += m * m;
    }
    return round(10 * Math.log10(e / p), 1);
  };
  for (const [from, to] of [[44100, 32000], [48000, 16000]] as const) {
    const x = new Float32Array(from).map((_, i) => 0.5 * Math.sin((2 * Math.PI * 1000 * i) / from));
    const sine = path.join(dir, `sine_${from}.wav`);
    await writeAudio(sine, [x], from, 'float32');
    const soxOut = path.join(dir, `sine_${from}_sox.wav`);
    execFileSync('sox', [sine, '-e', 'floating-point', '-b', '32', soxOut, 'rate', '-v', String(to)]);
    const row: Record<string, unknown> = { what: 'thd+n', signal: `1 kHz sine, ${from / 1000} → ${to / 1000} kHz`, sox_v_db: thdN((await readAudio(soxOut)).data[0], to) };
    for (const quality of ['medium', 'best', 'fast'] as const) row[`${quality}_db`] = thdN((await resample([x], from, to, quality))[0], to);
    row.src_medium_db = thdN((await resampleWithLibsamplerate([x], from, to))[0], to);
    emit(row);
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
