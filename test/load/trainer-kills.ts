/**
 * Trainer kill campaign (issue #9 item 4): one real training run (the tiny 8-kHz separator on toy
 * scenes, through the app's run manager) is SIGKILLed at random moments — during Python start-up,
 * between steps, while a checkpoint is written, during validation — and resumed each time. For
 * every kill it records where the trainer was (its last progress step), the last checkpoint, and
 * where the resumed trainer says it continues (its own `started` event); steps lost = step at the
 * kill − resumed step. The run must be `interrupted` and resumable after every kill, and the final
 * resume must finish with a registered model.
 *
 * Used by test/integration/faults-trainer.test.ts (a few kills) and, for the full campaign, run
 * directly:  npx tsx test/load/trainer-kills.ts [kills=24] [checkpointEvery=4] [seed=9]
 * which prints one JSON line per kill and a summary (distribution of steps lost).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ModelRegistry } from '../../src/engine/models/registry';
import { SettingsStore } from '../../src/engine/settings/settings';
import { TrainingManager } from '../../src/engine/training/manager';
import type { TrainRun } from '../../src/shared/api-train';
import { parseTrainerEvent, type TrainerEvent } from '../../src/shared/trainer-events';
import { seededRandom } from '../tools/random';

export interface KillRecord {
  kill: number;
  /** Seconds after the (re)start when the SIGKILL was sent. */
  delayS: number;
  /** What the trainer had reported by then. */
  phase: 'start-up' | 'training';
  /** Last progress step the trainer reported before dying. */
  stepAtKill: number;
  /** The run's last checkpoint step (null: none yet). */
  checkpointStep: number | null;
  /** Status and resumability the manager gave the killed run. */
  status: TrainRun['status'];
  resumable: boolean;
  /** Step the next trainer said it continues from (its `started` event); null if it was killed before saying so. */
  resumedFrom: number | null;
  /** stepAtKill − resumedFrom. */
  lost: number | null;
}

export interface CampaignResult {
  records: KillRecord[];
  checkpointEvery: number;
  finished: TrainRun;
  modelId: string | null;
  wallS: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const random = seededRandom;

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, ms = 120_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** The trainer's events so far; none when it was killed before creating its events file (start-up on a busy machine). */
const readEvents = (dir: string): string => {
  try {
    return readFileSync(path.join(dir, 'events.jsonl'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  }
};

const trainerEvents = (dir: string): TrainerEvent[] =>
  readEvents(dir).split('\n').filter(Boolean).flatMap((l) => {
    try {
      return [parseTrainerEvent(l)];
    } catch {
      return []; // a line cut short by the kill
    }
  });

export async function runKillCampaign(opts: { kills: number; checkpointEvery?: number; seed?: number; maxDelayS?: number; log?: (r: KillRecord) => void }): Promise<CampaignResult> {
  const checkpointEvery = opts.checkpointEvery ?? 4;
  const rand = random(opts.seed ?? 9);
  const maxDelayS = opts.maxDelayS ?? 9;
  const t0 = performance.now();
  const tmp = mkdtempSync(path.join(os.tmpdir(), 's5-trainer-kills-'));
  try {
    const models = path.join(tmp, 'models');
    const settings = new SettingsStore(path.join(tmp, 'settings.json'));
    const registry = new ModelRegistry({ roots: [{ dir: models, source: 'user' }], userDir: models, settings });
    const m = new TrainingManager({ dataDir: tmp, registry: () => registry, emit: () => undefined, killAfterS: 10, pollMs: 50 });
    const runOf = async (id: string) => (await m.list()).find((r) => r.id === id)!;
    const [run] = await m.start({
      name: 'kills', target: 'separator', size: 'tiny', data: { source: 'toy' }, budget: { kind: 'steps', steps: 100_000 }, device: 'cpu', checkpointEvery,
    });
    const records: KillRecord[] = [];
    const startedAt: number[] = []; // per kill: how many `started` events existed when its trainer launched
    const started = () => trainerEvents(run.dir).filter((e) => e.event === 'started').length;
    let launchedWith = 0;
    for (let k = 0; k < opts.kills; k++) {
      const pid = await until('the trainer pid', async () => (JSON.parse(readFileSync(path.join(run.dir, 'studio.json'), 'utf8')) as { pid: number | null }).pid);
      const delayS = 0.2 + rand() * (maxDelayS - 0.2);
      await sleep(delayS * 1000);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        throw new Error(`kill ${k}: the trainer (pid ${pid}) was already gone: ${(await runOf(run.id)).message}`);
      }
      const dead = await until('interrupted', async () => {
        const r = await runOf(run.id);
        return ['interrupted', 'failed', 'cancelled', 'finished'].includes(r.status) ? r : null;
      });
      // Where this trainer got to, from its own events: its `started` step, then its progress steps.
      const evs = trainerEvents(run.dir);
      const startIdx = evs.findIndex((e, i) => e.event === 'started' && evs.slice(0, i).filter((x) => x.event === 'started').length === launchedWith);
      const own = startIdx < 0 ? [] : evs.slice(startIdx);
      const lastStep = own.filter((e) => e.event === 'progress' || e.event === 'started').at(-1);
      records.push({
        kill: k, delayS: Number(delayS.toFixed(2)), phase: startIdx < 0 ? 'start-up' : 'training',
        stepAtKill: lastStep && (lastStep.event === 'progress' || lastStep.event === 'started') ? lastStep.step : -1,
        checkpointStep: dead.checkpoint_step, status: dead.status, resumable: dead.resumable, resumedFrom: null, lost: null,
      });
      if (dead.status !== 'interrupted' || !dead.resumable) {
        throw new Error(`kill ${k}: the run is ${dead.status} (resumable ${dead.resumable}): ${dead.message ?? ''}`);
      }
      launchedWith = started();
      startedAt.push(launchedWith);
      await m.resume(run.id);
    }
    await until('the last resume to start', async () => started() > launchedWith);
    // Each kill's resume point: the first `started` event after it (a trainer killed during start-up
    // trains nothing, so the checkpoint it would have continued from is the same one).
    const all = trainerEvents(run.dir).filter((e) => e.event === 'started');
    let previousStep = 0;
    for (const [k, r] of records.entries()) {
      const next = all[startedAt[k]];
      r.resumedFrom = next && next.event === 'started' ? next.step : null;
      if (r.stepAtKill < 0) r.stepAtKill = previousStep; // killed before it said anything: nothing trained since
      r.lost = r.resumedFrom === null ? null : r.stepAtKill - r.resumedFrom;
      previousStep = r.resumedFrom ?? previousStep;
      opts.log?.(r);
    }
    const now = await runOf(run.id);
    await m.cancel(run.id).catch(() => undefined);
    await until('cancelled before the final resume', async () => {
      const r = await runOf(run.id);
      return ['cancelled', 'interrupted', 'finished', 'failed'].includes(r.status) ? r : null;
    });
    await m.resume(run.id, Math.max(now.step, now.checkpoint_step ?? 0) + 3);
    const finished = await until('finished', async () => {
      const r = await runOf(run.id);
      return ['finished', 'failed', 'interrupted', 'cancelled'].includes(r.status) ? r : null;
    }, 300_000);
    m.close();
    return { records, checkpointEvery, finished, modelId: finished.model_id, wallS: (performance.now() - t0) / 1000 };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export function summarize(r: CampaignResult): string {
  const lost = r.records.map((x) => x.lost).filter((x): x is number => x !== null);
  const hist = new Map<number, number>();
  for (const l of lost) hist.set(l, (hist.get(l) ?? 0) + 1);
  const phases = r.records.reduce<Record<string, number>>((a, x) => ({ ...a, [x.phase]: (a[x.phase] ?? 0) + 1 }), {});
  return JSON.stringify({
    kills: r.records.length, checkpointEvery: r.checkpointEvery, phases,
    allInterruptedAndResumable: r.records.every((x) => x.status === 'interrupted' && x.resumable),
    lostMeasured: lost.length, lostMax: Math.max(...lost), lostMean: Number((lost.reduce((a, b) => a + b, 0) / Math.max(1, lost.length)).toFixed(2)),
    lostHistogram: Object.fromEntries([...hist].sort((a, b) => a[0] - b[0])),
    final: r.finished.status, finalStep: r.finished.step, modelId: r.modelId, wallS: Math.round(r.wallS),
  });
}

if (require.main === module) {
  const [kills = '24', every = '4', seed = '9'] = process.argv.slice(2);
  runKillCampaign({ kills: Number(kills), checkpointEvery: Number(every), seed: Number(seed), log: (r) => console.log(JSON.stringify(r)) })
    .then((r) => console.log(summarize(r)))
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
