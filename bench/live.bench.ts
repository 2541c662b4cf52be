/**
 * Live path benchmark (`npm run bench live`, or `npx tsx bench/live.bench.ts`). A demo scene is
 * replayed as live (real clock, looped) through the engine with the active models on 2 ONNX
 * Runtime threads, for BENCH_LIVE_SECONDS (12) per configuration. One JSON line per configuration:
 *   - rt_margin:  processing time per hop / hop length (tagger, tagger + separator): < 1 keeps up;
 *                 the reference is the hop itself, measured on the same clock;
 *   - updates_per_s: label frames per second of wall time (goal ≥ 4);
 *   - latency p50/p95 of the listen path (capture → written to the output), also as a ratio to
 *                 the 300 ms goal; late blocks, skipped separations, dropouts.
 * No assertions.
 */
import path from 'node:path';
import { Engine } from '../src/engine/engine';
import type { LiveStats } from '../src/shared/api-live';

const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 12);
const SCENE = path.join(__dirname, '..', 'resources/demo/soundscape/demo_000000.wav');
const round = (x: number | null, d = 3) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

async function run(engine: Engine, frames: { n: number }, listen: string[], hop: number, listenWindow: number): Promise<void> {
  const start = await engine.dispatch('liveStart', {
    source: { kind: 'replay', path: SCENE, speed: 1, loop: true },
    listen, hopSeconds: hop, listenWindowSeconds: listenWindow, output: { kind: listen.length ? 'client' : 'none' },
  });
  if (!start.ok) throw new Error(start.error.message);
  frames.n = 0;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const stop = await engine.dispatch('liveStop', {});
  const wall = (performance.now() - t0) / 1000;
  if (!stop.ok) throw new Error(stop.error.message);
  const s = (stop.value as { stats: LiveStats }).stats;
  const hopMs = hop * 1000;
  console.log(JSON.stringify({
    bench: 'live',
    config: `hop ${hop} s, listen ${listen.length ? `${listen.join('+')} (${listenWindow} s window)` : 'off'}`,
    rt_margin_tag: round(s.tagMs / hopMs),
    rt_margin_total: round((s.tagMs + s.separateMs) / hopMs),
    load: round(s.load),
    updates_per_s: round(frames.n / wall, 2),
    latency_p50_ms: round(s.latencyP50Ms, 1),
    latency_p95_ms: round(s.latencyP95Ms, 1),
    latency_p95_vs_goal_300ms: s.latencyP95Ms === null ? null : round(s.latencyP95Ms / 300),
    late_blocks: s.lateBlocks,
    skipped_separations: s.skippedSeparations,
    dropouts: s.dropouts,
    cpu: round(s.cpu),
    seconds: round(wall, 1),
  }));
}

async function main(): Promise<void> {
  const frames = { n: 0 };
  const engine = new Engine({ shell: 'inprocess', inference: { threads: 2 }, emit: (e) => { if (e === 'liveFrame') frames.n++; } });
  try {
    await run(engine, frames, [], 0.25, 2);
    await run(engine, frames, ['Pour'], 0.25, 2);
    await run(engine, frames, ['Pour'], 0.25, 1);
  } finally {
    await engine.dispose();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
