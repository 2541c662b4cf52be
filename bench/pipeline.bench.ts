/**
 * Pipeline benchmark (`npm run bench pipeline`, or `npx tsx bench/pipeline.bench.ts`). One JSON
 * object per line; every figure comes with a reference measured in the same run:
 *   - rtf:    tag + separate + direction of one 10-s clip (real-time factor = seconds per second of
 *             audio), 1 and 2 ONNX Runtime threads; reference: the 1-thread run (speed-up) and the
 *             time spent inside ONNX Runtime (its share of the total); session creation time.
 *   - long:   a separate child process separating an N-minute recording and a 1-minute one with
 *             the clip's thread count (2): RTF of each and its ratio to the 10-s clip's RTF (≈ 1: a
 *             long recording costs what clips of the same total length cost); peak RSS ratio
 *             (≈ 1: memory does not grow with the length). N = BENCH_LONG_MIN (60); the recording's
 *             rate is BENCH_LONG_RATE (default: the model's; 48000 adds the input resampler).
 *   - batch:  clips per minute over BENCH_BATCH (100) different 10-s clips with one engine
 *             (sessions reused); reference: the single-clip RTF.
 * Models: the active pair when one is installed (the shipped default models), else the tiny test
 * models of test/fixtures/models/make_test_models.py (cached in bench/results/models; the numbers
 * then measure the engine around the models, not a real network). No assertions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createAudioWriter } from '../src/engine/audio';
import { InferenceHost } from '../src/engine/inference/ort-client';
import { ModelRegistry } from '../src/engine/models/registry';
import { Pipeline } from '../src/engine/pipeline/pipeline';
import { SettingsStore } from '../src/engine/settings/settings';

const LONG_MIN = Number(process.env.BENCH_LONG_MIN ?? 60);
const BATCH = Number(process.env.BENCH_BATCH ?? 100);
const round = (x: number, d = 4) => Math.round(x * 10 ** d) / 10 ** d;
const emit = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'pipeline', ...o }));

/** The active pair, or the test models (generated once). */
async function chooseModels(): Promise<{ registry: ModelRegistry; ids: string[]; kind: string }> {
  const installed = new ModelRegistry();
  const active = await installed.activePair();
  if (active.tagger && active.separator) return { registry: installed, ids: [active.tagger.manifest.id, active.separator.manifest.id], kind: 'installed' };
  const dir = path.join(__dirname, 'results', 'models');
  if (!existsSync(path.join(dir, 'test-sep-k3', 'manifest.json'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('/usr/bin/python3', [path.join(__dirname, '..', 'test', 'fixtures', 'models', 'make_test_models.py'), '--out', dir], { stdio: ['ignore', 'ignore', 'ignore'] });
  }
  const data = mkdtempSync(path.join(os.tmpdir(), 's5-bench-data-'));
  const registry = new ModelRegistry({ roots: [{ dir, source: 'shipped' }], userDir: path.join(data, 'models'), settings: new SettingsStore(path.join(data, 'settings.json')) });
  return { registry, ids: ['test-tagger-2025', 'test-sep-k3'], kind: 'test models (tiny, fixed weights)' };
}

/** A 4-channel scene: three class tones/noise bands from three directions, 16-bit WAV. */
async function writeScene(file: string, seconds: number, rate: number, seed: number, toneRate = rate): Promise<void> {
  const w = await createAudioWriter(file, 4, rate, 'pcm16', Math.round(seconds * rate));
  const classes = [seed % 18, (seed * 7 + 3) % 18, (seed * 11 + 5) % 18];
  const block = rate;
  for (let o = 0; o < seconds * rate; o += block) {
    const n = Math.min(block, Math.round(seconds * rate) - o);
    const ch = [0, 1, 2, 3].map(() => new Float32Array(n));
    classes.forEach((c, k) => {
      const hz = (toneRate * (8 + 12 * c)) / 512; // the same tones at any file rate
      const az = (k * 2.1 + seed) % (2 * Math.PI);
      for (let i = 0; i < n; i++) {
        const s = 0.08 * Math.sin((2 * Math.PI * hz * (o + i)) / rate);
        ch[0][i] += s;
        ch[1][i] += s * Math.sin(az);
        ch[3][i] += s * Math.cos(az);
      }
    });
    await w.write(ch);
  }
  await w.close();
}

/** Child mode: separate one file, print peak RSS. */
async function child(file: string, outDir: string, modelsDir: string | undefined, ids: string[], threads: number): Promise<void> {
  const { registry } = modelsDir ? { registry: new ModelRegistry({ roots: [{ dir: modelsDir, source: 'shipped' }], settings: new SettingsStore(path.join(outDir, 'settings.json')), userDir: path.join(outDir, 'models') }) } : { registry: new ModelRegistry() };
  const inference = new InferenceHost({ threads });
  const c0 = process.cpuUsage();
  const r = await new Pipeline(registry, inference).separate({ path: file, outDir, models: ids });
  const c = process.cpuUsage(c0);
  await inference.dispose();
  console.log(JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024, rtf: r.timings.rtf, cpu_rtf: (c.user + c.system) / 1e6 / r.recording.duration_s, timings: r.timings, windows: r.timeline.length, seconds: r.recording.duration_s }));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--child') {
    await child(process.argv[3], process.argv[4], process.argv[5] || undefined, process.argv[6].split(','), Number(process.argv[7]));
    return;
  }
  const { registry, ids, kind } = await chooseModels();
  const tagger = await registry.require(ids[0]);
  const rate = tagger.manifest.sample_rate;
  const dir = mkdtempSync(path.join(os.tmpdir(), 's5-pipeline-bench-'));
  try {
    emit({ what: 'setup', models: ids, kind, rate, cores: os.availableParallelism(), cpu: os.cpus()[0]?.model });
    // ---- RTF per 10-s clip, 1 and 2 threads ----
    const clip = path.join(dir, 'clip.wav');
    await writeScene(clip, 10, rate, 1);
    const rtf: Record<number, number> = {};
    const cpuRtf: Record<number, number> = {};
    for (const threads of [1, 2]) {
      const inference = new InferenceHost({ threads });
      const pipeline = new Pipeline(registry, inference);
      const t0 = performance.now();
      const loaded = await pipeline.models(ids, true);
      const createS = (performance.now() - t0) / 1000;
      await pipeline.separate({ path: clip, outDir: dir, loaded }); // warm-up
      const runs = [];
      let cpuBest = Infinity;
      for (let i = 0; i < 5; i++) {
        const c0 = process.cpuUsage();
        runs.push(await pipeline.separate({ path: clip, outDir: dir, loaded }));
        const c = process.cpuUsage(c0);
        cpuBest = Math.min(cpuBest, (c.user + c.system) / 1e6 / 10);
      }
      const best = runs.reduce((a, b) => (b.timings.total_s < a.timings.total_s ? b : a));
      rtf[threads] = best.timings.rtf;
      cpuRtf[threads] = cpuBest;
      const inOrt = best.timings.tag_s + best.timings.separate_s;
      emit({
        what: 'rtf_10s_clip', threads, rtf: best.timings.rtf, total_s: best.timings.total_s, tag_s: best.timings.tag_s, separate_s: best.timings.separate_s,
        direction_s: best.timings.direction_s, other_s: best.timings.other_s, inference_share: round(inOrt / best.timings.total_s, 3), cpu_rtf: round(cpuBest, 5),
        speedup_vs_1_thread: round(rtf[1] / best.timings.rtf, 3), session_create_s: round(createS, 3),
        provider: best.models.tagger.provider, fallback_reason: best.models.tagger.fallback_reason,
      });
      await inference.dispose();
    }
    const modelsDir = kind === 'installed' ? '' : path.join(__dirname, 'results', 'models');
    // ---- long recordings: N minutes vs 1 minute, each in its own process, the clip's 2 threads ----
    const longThreads = Math.min(2, os.availableParallelism());
    const longRate = Number(process.env.BENCH_LONG_RATE ?? rate);
    const rss: Record<string, number> = {};
    for (const minutes of [1, LONG_MIN]) {
      const file = path.join(dir, `rec-${minutes}min.wav`);
      await writeScene(file, minutes * 60, longRate, 2, rate);
      const out = mkdtempSync(path.join(dir, 'out-'));
      const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', file, out, modelsDir, ids.join(','), String(longThreads)], { encoding: 'utf8', maxBuffer: 1 << 24 });
      if (r.status !== 0) throw new Error(`child failed: ${r.stderr.slice(-2000)}`);
      const res = JSON.parse(r.stdout.trim().split('\n').pop() as string);
      rss[minutes] = res.maxRssMB;
      emit({
        what: 'long_recording', minutes, rate: longRate, threads: longThreads, windows: res.windows, rtf: res.rtf, cpu_rtf: round(res.cpu_rtf, 5),
        rtf_vs_10s_clip: round(res.rtf / rtf[longThreads], 3), cpu_rtf_vs_10s_clip: round(res.cpu_rtf / cpuRtf[longThreads], 3),
        tag_s: res.timings.tag_s, separate_s: res.timings.separate_s, direction_s: res.timings.direction_s, other_s: res.timings.other_s, max_rss_mb: round(res.maxRssMB, 1),
      });
      rmSync(file, { force: true });
      rmSync(out, { recursive: true, force: true });
    }
    emit({ what: 'peak_rss_ratio', long_minutes: LONG_MIN, ratio_long_vs_1min: round(rss[LONG_MIN] / rss[1], 3) });
    // ---- batch of clips ----
    const inference = new InferenceHost({ threads: os.availableParallelism() });
    const pipeline = new Pipeline(registry, inference);
    const loaded = await pipeline.models(ids, true);
    const clips: string[] = [];
    for (let i = 0; i < BATCH; i++) {
      clips.push(path.join(dir, `batch_${String(i).padStart(3, '0')}.wav`));
      await writeScene(clips[i], 10, rate, i + 3);
    }
    const t0 = performance.now();
    for (const c of clips) await pipeline.separate({ path: c, outDir: path.join(dir, 'batch-out'), loaded });
    const seconds = (performance.now() - t0) / 1000;
    emit({ what: 'batch', clips: BATCH, threads: inference.threads, seconds: round(seconds, 2), clips_per_minute: round((BATCH * 60) / seconds, 1), single_clip_rtf_ref: rtf[Math.min(2, inference.threads)] });
    await inference.dispose();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
