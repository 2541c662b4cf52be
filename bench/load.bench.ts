/**
 * Batch load benchmark (standalone: `npx tsx bench/load.bench.ts`, env BENCH_CLIPS=12,
 * BENCH_CLIP_SECONDS=5). One `s5 separate` over a folder of N short 4-channel clips (shipped
 * models) against the reference of the same clips run as N separate `s5 separate` invocations
 * (what a shell loop would do): clips per minute of both, their ratio (the per-file cost the batch
 * saves: process start, model loading), and the batch's peak RSS against a single-file run's.
 * The 100-clip run with RSS over time is `npx tsx test/load/batch100.ts` (docs/fault-injection.md).
 * No assertions.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeClips, runBatch } from '../test/load/batch100';
import { S5_BIN } from '../test/integration/faults-fixtures';

const CLIPS = Number(process.env.BENCH_CLIPS ?? 12);
const SECONDS = Number(process.env.BENCH_CLIP_SECONDS ?? 5);

async function main(): Promise<void> {
  const batch = await runBatch(CLIPS, SECONDS);
  const tmp = mkdtempSync(path.join(os.tmpdir(), 's5-load-bench-'));
  try {
    const clips = path.join(tmp, 'clips');
    await makeClips(clips, CLIPS, SECONDS);
    const env = { ...process.env, S5_DATA_DIR: path.join(tmp, 'data') };
    const t0 = performance.now();
    let failed = 0;
    for (const f of readdirSync(clips).sort()) {
      const r = spawnSync(process.execPath, [S5_BIN, 'separate', path.join(clips, f), '-o', path.join(tmp, 'out'), '--json'], { env, stdio: 'ignore' });
      if (r.status !== 0) failed++;
    }
    const singleS = (performance.now() - t0) / 1000;
    const singleClipsPerMinute = ((CLIPS - failed) / singleS) * 60;
    console.log(JSON.stringify({
      bench: 'load', clips: CLIPS, clip_seconds: SECONDS,
      batch_clips_per_min: batch.clipsPerMinute, one_process_per_clip_clips_per_min: Number(singleClipsPerMinute.toFixed(1)),
      batch_vs_per_clip_ratio: Number((batch.clipsPerMinute / singleClipsPerMinute).toFixed(2)),
      batch_audio_x_realtime: batch.audioSecondsPerWallSecond, batch_rss_max_mb: batch.rssMB.max,
      failed: failed + (batch.clips - batch.succeeded),
    }));
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

void main();
