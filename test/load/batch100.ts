/**
 * Batch load (issue #9 item 5): N short 4-channel recordings (default 100; 5 s each, cut at
 * different offsets from the three demo scenes looped, so every file differs) separated in one
 * `s5 separate FOLDER -o OUT --json` run with the shipped models. Checks that every recording
 * produced its labels.json and one JSON line, counts the stems, and samples the resident memory
 * of the CLI's process tree every 0.5 s.
 *
 *   npx tsx test/load/batch100.ts [count=100] [seconds=5] [threads]
 *
 * prints one JSON summary line: clips, clips per minute, audio seconds per wall second, RSS
 * first/max/last (MB) and the RSS samples.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readAudio, writeAudio } from '../../src/engine/audio';
import { ROOT, rssBytes, S5_BIN } from '../integration/faults-fixtures';

/** The pid and all its descendants (from /proc/<pid>/task/<pid>/children). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length; i++) {
    try {
      const kids = readFileSync(`/proc/${out[i]}/task/${out[i]}/children`, 'utf8').trim();
      if (kids) out.push(...kids.split(/\s+/).map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

export async function makeClips(dir: string, count: number, seconds: number): Promise<void> {
  const demoDir = path.join(ROOT, 'resources/demo/soundscape');
  const scenes = await Promise.all(readdirSync(demoDir).filter((f) => f.endsWith('.wav')).sort().map((f) => readAudio(path.join(demoDir, f))));
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    const scene = scenes[i % scenes.length];
    const rate = scene.info.sampleRate;
    const n = Math.round(seconds * rate);
    const offset = Math.floor(((i * 0.37) % 1) * scene.data[0].length);
    const data = scene.data.map((ch) => Float32Array.from({ length: n }, (_, k) => ch[(offset + k) % ch.length]));
    await writeAudio(path.join(dir, `clip-${String(i).padStart(3, '0')}.wav`), data, rate, 'pcm16');
  }
}

export interface BatchResult {
  clips: number;
  succeeded: number;
  stems: number;
  exitCode: number | null;
  wallS: number;
  clipsPerMinute: number;
  audioSecondsPerWallSecond: number;
  rssMB: { first: number; max: number; last: number; samples: number[] };
}

export async function runBatch(count: number, seconds: number, threads?: number): Promise<BatchResult> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 's5-batch-'));
  try {
    const clips = path.join(tmp, 'clips');
    const out = path.join(tmp, 'out');
    await makeClips(clips, count, seconds);
    const args = [S5_BIN, 'separate', clips, '-o', out, '--json', ...(threads ? ['--threads', String(threads)] : [])];
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { env: { ...process.env, S5_DATA_DIR: path.join(tmp, 'data') }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const samples: number[] = [];
    const timer = setInterval(() => {
      const total = processTree(child.pid!).reduce((a, p) => a + (rssBytes(p) ?? 0), 0);
      if (total > 0) samples.push(Number((total / 2 ** 20).toFixed(1)));
    }, 500);
    const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    clearInterval(timer);
    const wallS = (performance.now() - t0) / 1000;
    if (exitCode !== 0) process.stderr.write(stderr.slice(-2000));
    const lines = stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as { stems: unknown[]; out_dir: string });
    const succeeded = lines.filter((l) => existsSync(path.join(l.out_dir, 'labels.json'))).length;
    return {
      clips: count, succeeded, stems: lines.reduce((a, l) => a + l.stems.length, 0), exitCode, wallS: Number(wallS.toFixed(1)),
      clipsPerMinute: Number(((succeeded / wallS) * 60).toFixed(1)),
      audioSecondsPerWallSecond: Number(((succeeded * seconds) / wallS).toFixed(2)),
      rssMB: { first: samples[0] ?? 0, max: Math.max(0, ...samples), last: samples.at(-1) ?? 0, samples },
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (require.main === module) {
  const [count = '100', seconds = '5', threads] = process.argv.slice(2);
  runBatch(Number(count), Number(seconds), threads ? Number(threads) : undefined)
    .then((r) => {
      console.log(JSON.stringify(r));
      if (r.exitCode !== 0 || r.succeeded !== r.clips) process.exit(1);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
