/**
 * Start-up of the `s5` command as users run it (`npm run bench cli`, or `npx tsx bench/cli.bench.ts`):
 * the real bin (`node bin/s5.cjs …`) as a child process, cwd outside the repository, no TypeScript
 * loader in NODE_OPTIONS. Each figure is a ratio against a reference from the same run:
 *   - tag_10s:       wall time of `s5 tag` on a 10-s 4-channel clip vs the time the pipeline itself
 *                    reports for that clip (timings.total_s: decoding, resampling, the tagger) and
 *                    vs the tagger alone (timings.tag_s); goal wall ≤ 2x model time;
 *   - separate_60s:  `s5 separate` of a 60-s file, 2 threads: wall / 60 s = real-time factor
 *                    including start-up (goal ≤ 0.06), next to the pipeline's own RTF;
 *   - help:          `s5 --help` (loading the command line, no model) vs `node -e 0` (Node itself);
 * each for the bundle (dist/node/s5.js, S5_CLI_FROM_SOURCE=0) and for the sources through tsx
 * (S5_CLI_FROM_SOURCE=1, what every run did before the bundle), interleaved run by run so both see
 * the same machine load. Medians of BENCH_RUNS (5). Clips are the demo scenes (32 kHz) joined by
 * sox. No assertions.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 's5.cjs');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const THREADS = '2';
const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const emit = (o: Record<string, unknown>) => console.log(JSON.stringify({ bench: 'cli', ...o }));

type Mode = 'bundle' | 'source';
const MODES: Mode[] = ['bundle', 'source'];

/** A user's shell: no loader options, no Vitest/tsx variables, a data folder of its own. */
function userEnv(mode: Mode, dataDir: string): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !k.startsWith('VITEST') && !k.startsWith('TSX')));
  return { ...env, S5_DATA_DIR: dataDir, S5_CLI_FROM_SOURCE: mode === 'bundle' ? '0' : '1' };
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string): { wall: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd, env, encoding: 'utf8', maxBuffer: 1 << 26 });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-2000)}`);
  return { wall, stdout: r.stdout };
}

function main(): void {
  const dir = mkdtempSync(path.join(os.tmpdir(), 's5-cli-bench-'));
  try {
    execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'build-node.mjs'), '--if-stale', '--quiet'], { stdio: 'inherit' });
    const demo = path.join(ROOT, 'resources', 'demo', 'soundscape');
    const scenes = readdirSync(demo).filter((f) => f.endsWith('.wav')).sort().map((f) => path.join(demo, f));
    const clip = path.join(dir, 'clip10.wav');
    const long = path.join(dir, 'rec60.wav');
    const join = (out: string, seconds: number) => {
      const inputs = Array.from({ length: Math.ceil(seconds / 4) + 1 }, (_, i) => scenes[i % scenes.length]);
      execFileSync('sox', [...inputs, out, 'trim', '0', String(seconds)]);
    };
    join(clip, 10);
    join(long, 60);
    const data = path.join(dir, 'data');
    emit({ what: 'setup', cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, load1: round(os.loadavg()[0], 2), runs: RUNS, threads: Number(THREADS), clip_rate: 32000 });

    const nodeWalls: number[] = [];
    const help: Record<Mode, number[]> = { bundle: [], source: [] };
    const tag: Record<Mode, { wall: number; total: number; tagS: number }[]> = { bundle: [], source: [] };
    const sep: Record<Mode, { wall: number; rtf: number }[]> = { bundle: [], source: [] };
    for (const mode of MODES) run(process.execPath, [BIN, 'tag', clip, '--threads', THREADS], userEnv(mode, data), dir); // warm caches (code cache, tsx cache, page cache)
    for (let i = 0; i < RUNS; i++) {
      nodeWalls.push(run(process.execPath, ['-e', '0'], userEnv('bundle', data), dir).wall);
      for (const mode of MODES) {
        const env = userEnv(mode, data);
        help[mode].push(run(process.execPath, [BIN, '--help'], env, dir).wall);
        const t = run(process.execPath, [BIN, 'tag', clip, '--json', '--threads', THREADS], env, dir);
        const timings = JSON.parse(t.stdout.trim().split('\n').pop() as string).timings;
        tag[mode].push({ wall: t.wall, total: timings.total_s, tagS: timings.tag_s });
        const out = path.join(dir, `out-${mode}`);
        const s = run(process.execPath, [BIN, 'separate', long, '-o', out, '--json', '--threads', THREADS], env, dir);
        sep[mode].push({ wall: s.wall, rtf: JSON.parse(s.stdout.trim().split('\n').pop() as string).timings.rtf });
        rmSync(out, { recursive: true, force: true });
      }
    }
    const nodeS = median(nodeWalls);
    for (const mode of MODES) {
      const wall = median(tag[mode].map((r) => r.wall));
      const model = median(tag[mode].map((r) => r.total));
      const tagS = median(tag[mode].map((r) => r.tagS));
      emit({ what: 'tag_10s', mode, wall_s: round(wall), model_s: round(model), tag_s: round(tagS), startup_s: round(wall - model), wall_vs_model: round(wall / model, 2), wall_vs_tagger: round(wall / tagS, 2) });
    }
    for (const mode of MODES) {
      const wall = median(sep[mode].map((r) => r.wall));
      emit({ what: 'separate_60s', mode, threads: Number(THREADS), wall_s: round(wall, 2), rtf_with_startup: round(wall / 60, 4), pipeline_rtf: round(median(sep[mode].map((r) => r.rtf)), 4) });
    }
    for (const mode of MODES) {
      const wall = median(help[mode]);
      emit({ what: 'help', mode, wall_s: round(wall), node_s: round(nodeS), wall_vs_node: round(wall / nodeS, 2) });
    }
    const b = median(tag.bundle.map((r) => r.wall));
    const s = median(tag.source.map((r) => r.wall));
    emit({ what: 'bundle_vs_source', tag_10s_speedup: round(s / b, 2), separate_60s_speedup: round(median(sep.source.map((r) => r.wall)) / median(sep.bundle.map((r) => r.wall)), 2), load1_end: round(os.loadavg()[0], 2) });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main();
