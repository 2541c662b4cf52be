/**
 * The run manager with the real Python trainer (Debian torch on CPU, the tiny 8-kHz config on toy
 * scenes): start → events parsed → finished → exported model registered and valid; cancel →
 * cancelled → resume continues from the checkpoint; SIGKILL → interrupted → resume loses at most
 * the steps since the last checkpoint; an engine that goes away mid-run → a new one adopts the
 * trainer, and a dead trainer is marked interrupted; a misspelt user class is listed and no run
 * starts; a missing Python gets a specific message. Expected values come from the run folder the
 * trainer wrote (its run.json, checkpoints and events.jsonl), not from the manager.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/engine/models/registry';
import { SettingsStore } from '../../src/engine/settings/settings';
import { TrainingManager } from '../../src/engine/training/manager';
import type { TrainRequest, TrainRun } from '../../src/shared/api-train';
import { parseTrainerEvent } from '../../src/shared/trainer-events';
import { sleep } from './host-fixtures';

let tmp: string;
let userModels: string;
let settings: SettingsStore;
const events: Array<{ event: string; payload: unknown }> = [];

function manager(): TrainingManager {
  const registry = new ModelRegistry({ roots: [{ dir: userModels, source: 'user' }], userDir: userModels, settings });
  return new TrainingManager({
    dataDir: tmp, registry: () => registry, emit: (event, payload) => events.push({ event, payload }), killAfterS: 10, pollMs: 100,
  });
}

const tiny = (steps: number, extra: Partial<TrainRequest> = {}): TrainRequest => ({
  name: 'it', target: 'separator', size: 'tiny', data: { source: 'toy' }, budget: { kind: 'steps', steps }, device: 'cpu', ...extra,
});

async function until<T>(what: string, f: () => Promise<T | null | undefined | false> | T | null | undefined | false, timeoutMs = 400_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const runOf = async (m: TrainingManager, id: string) => (await m.list()).find((r) => r.id === id)!;
const statusIs = (m: TrainingManager, id: string, ...s: TrainRun['status'][]) => async () => {
  const r = await runOf(m, id);
  return s.includes(r.status) ? r : null;
};
/** The trainer's own events for a run (its events.jsonl copy), parsed independently of the manager. */
const trainerEvents = (dir: string) => readFileSync(path.join(dir, 'events.jsonl'), 'utf8').trim().split('\n').map(parseTrainerEvent);

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-train-it-'));
  userModels = path.join(tmp, 'models');
  settings = new SettingsStore(path.join(tmp, 'settings.json'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('training run manager (real trainer)', () => {
  it('reports the device from the trainer doctor', async () => {
    const doc = await manager().doctor();
    expect(doc.ok).toBe(true);
    expect(doc.python).toBe('/usr/bin/python3');
    expect(doc.torch).toMatch(/^1\.13/);
    expect(doc.devices).toContain('cpu');
    expect(doc.cpu_threads).toBe(os.availableParallelism());
    expect(doc.disk_free_bytes).toBeGreaterThan(0);
    expect(doc.summary).toMatch(doc.cuda_available ? /^CUDA/ : /^CPU · \d+ thread/);
  });

  it('a missing Python gets a specific message with the fix, and no run starts', async () => {
    const m = manager();
    await m.setPython('/nonexistent/python3');
    const doc = await m.doctor();
    expect(doc.ok).toBe(false);
    expect(doc.tried[0].error).toMatch(/\/nonexistent\/python3: no such program.*apt-get install python3 python3-torch/);
    await expect(m.start(tiny(5))).rejects.toThrow(/no Python with PyTorch/);
    // A Python without torch (pyenv's python3 here has none) is named as such.
    const bare = '/root/.pyenv/shims/python3';
    await m.setPython(bare);
    const noTorch = await m.doctor();
    if (!noTorch.ok) expect(noTorch.tried[0].error).toMatch(/has no PyTorch.*python3-torch/);
    await m.setPython(null);
    expect((await m.doctor()).ok).toBe(true);
    expect(await m.list()).toEqual([]);
  });

  it('a misspelt class in a user folder is listed with the accepted names and no run starts', async () => {
    const folder = path.join(tmp, 'clips');
    mkdirSync(path.join(folder, 'Speech'), { recursive: true });
    mkdirSync(path.join(folder, 'Dishs'), { recursive: true });
    writeFileSync(path.join(folder, 'Speech', 'broken.wav'), 'RIFF1234WAVEjunk');
    const m = manager();
    const check = await m.checkData({ data: { source: 'folder', path: folder }, rooms: { source: 'simulated' } });
    expect(check.ok).toBe(false);
    expect(check.unknown).toEqual([{ name: 'Dishs', suggestion: 'Dishes' }]);
    expect(check.unreadable.map((u) => path.basename(u.file))).toEqual(['broken.wav']);
    expect(check.accepted).toHaveLength(18);
    await expect(m.start(tiny(5, { data: { source: 'folder', path: folder } }))).rejects.toThrow(/Dishs → Dishes\?/);
    expect(await m.list()).toEqual([]);
  });

  it('start → events → finished → the exported model is registered, valid and can be activated', async () => {
    const m = manager();
    const seen = events.length;
    const [run] = await m.start(tiny(12));
    expect(run.status).toBe('running');
    const done = await until('finished', statusIs(m, run.id, 'finished', 'failed', 'interrupted'));
    expect(done.status, done.message ?? '').toBe('finished');
    const own = trainerEvents(run.dir);
    const streamed = events.slice(seen).filter((e) => e.event === 'trainEvent').map((e) => (e.payload as { event: { event: string } }).event.event);
    expect(streamed).toEqual(own.map((e) => e.event));
    expect(own.filter((e) => e.event === 'progress')).toHaveLength(12);
    expect(done.step).toBe(12);
    const finished = own.at(-1)!;
    expect(finished.event).toBe('finished');
    expect(done.metrics?.ca_sdri).toBe(finished.event === 'finished' ? finished.metrics.ca_sdri : NaN);
    expect(JSON.parse(readFileSync(path.join(run.dir, 'run.json'), 'utf8')).status).toBe('finished');
    const registry = new ModelRegistry({ roots: [{ dir: userModels, source: 'user' }], userDir: userModels, settings });
    const model = await registry.require(done.model_id!);
    expect(model.manifest.kind).toBe('separator');
    expect(model.manifest.sample_rate).toBe(8000);
    const detail = await m.detail(run.id);
    expect(detail.loss.map((p) => p.step)).toEqual([...Array(12).keys()].map((k) => k + 1));
    expect(detail.validation.map((v) => v.step)).toEqual([10, 12]);
    const active = await m.activate(run.id);
    expect(active.separator).toBe(done.model_id);
  });

  it('cancel → cancelled with a checkpoint; resume continues from that step to the end', async () => {
    const m = manager();
    const [run] = await m.start(tiny(400, { checkpointEvery: 1000 }));
    await until('step 5', async () => (await runOf(m, run.id)).step >= 5);
    await expect(m.start(tiny(5))).rejects.toThrow(/one run at a time/);
    await m.cancel(run.id);
    const cancelled = await until('cancelled', statusIs(m, run.id, 'cancelled', 'interrupted', 'failed'));
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.resumable).toBe(true);
    const own = trainerEvents(run.dir);
    const stop = own.at(-1)!;
    expect(stop.event).toBe('cancelled');
    expect(cancelled.checkpoint_step).toBe(stop.event === 'cancelled' ? stop.step : -1);
    const stoppedAt = cancelled.checkpoint_step!;
    expect(stoppedAt).toBeGreaterThanOrEqual(5);
    expect(stoppedAt).toBeLessThan(400);
    // Resume with fewer total steps so the test stays short: it continues from the stop, not from 0.
    await m.resume(run.id, stoppedAt + 6);
    const done = await until('finished after resume', statusIs(m, run.id, 'finished', 'failed', 'interrupted'));
    expect(done.status, done.message ?? '').toBe('finished');
    const resumed = trainerEvents(run.dir).filter((e) => e.event === 'started').at(-1)!;
    expect(resumed.event === 'started' && resumed.resumed && resumed.step).toBe(stoppedAt);
    expect(done.step).toBe(stoppedAt + 6);
    const detail = await m.detail(run.id);
    expect(detail.loss.at(-1)!.step).toBe(stoppedAt + 6);
    expect(new Set(detail.loss.map((p) => p.step)).size).toBe(detail.loss.length); // no step twice in the curve
  });

  it('SIGKILL of the trainer → interrupted; resume restarts from the last checkpoint', async () => {
    const m = manager();
    const [run] = await m.start(tiny(400, { checkpointEvery: 4 }));
    await until('a checkpoint past step 4', async () => ((await runOf(m, run.id)).checkpoint_step ?? 0) >= 4 && (await runOf(m, run.id)).step >= 6);
    const rec = JSON.parse(readFileSync(path.join(run.dir, 'studio.json'), 'utf8'));
    process.kill(rec.pid, 'SIGKILL');
    const dead = await until('interrupted', statusIs(m, run.id, 'interrupted', 'failed', 'cancelled'));
    expect(dead.status).toBe('interrupted');
    expect(dead.message).toMatch(/SIGKILL/);
    expect(dead.resumable).toBe(true);
    const killedAt = dead.step;
    const lastCheckpoint = trainerEvents(run.dir).filter((e) => e.event === 'checkpoint' && e.kind === 'last').at(-1)!;
    expect(dead.checkpoint_step).toBe(lastCheckpoint.event === 'checkpoint' ? lastCheckpoint.step : -1);
    await m.resume(run.id, killedAt + 3);
    const done = await until('finished after kill', statusIs(m, run.id, 'finished', 'failed', 'interrupted'));
    expect(done.status, done.message ?? '').toBe('finished');
    const resumed = trainerEvents(run.dir).filter((e) => e.event === 'started').at(-1)!;
    expect(resumed.event === 'started' ? resumed.step : -1).toBe(dead.checkpoint_step);
    expect(killedAt - dead.checkpoint_step!).toBeLessThanOrEqual(4 + 1); // lost at most the steps since the checkpoint
  });

  it('an engine that goes away mid-run: the next one adopts the trainer; a dead trainer is marked interrupted', async () => {
    const first = manager();
    const [run] = await first.start(tiny(15));
    await until('step 3', async () => (await runOf(first, run.id)).step >= 3);
    first.close(); // the engine died: the detached trainer keeps running
    const second = manager();
    const adopted = await runOf(second, run.id);
    expect(adopted.status).toBe('running');
    const done = await until('finished under the new engine', statusIs(second, run.id, 'finished', 'failed', 'interrupted'));
    expect(done.status, done.message ?? '').toBe('finished');
    expect(done.model_id).toBeTruthy();

    const third = manager();
    const [run2] = await third.start(tiny(400));
    await until('step 2', async () => (await runOf(third, run2.id)).step >= 2);
    third.close();
    const pid = JSON.parse(readFileSync(path.join(run2.dir, 'studio.json'), 'utf8')).pid;
    process.kill(pid, 'SIGKILL');
    await until('trainer gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    const fourth = manager();
    const recovered = await runOf(fourth, run2.id);
    expect(recovered.status).toBe('interrupted');
    expect(recovered.resumable).toBe(true);
    expect(recovered.step).toBeGreaterThanOrEqual(2);
  });

  it('imports a run folder made elsewhere and replays its events', async () => {
    const m = manager();
    const runs = await m.list();
    const source = runs.find((r) => r.status === 'finished')!;
    const copy = path.join(tmp, 'elsewhere', 'cluster-run');
    mkdirSync(copy, { recursive: true });
    writeFileSync(path.join(copy, 'events.jsonl'), readFileSync(path.join(source.dir, 'events.jsonl')));
    const imported = await m.importRun(copy);
    expect(imported.origin).toBe('imported');
    expect(imported.step).toBe(source.step);
    expect(imported.status).toBe('finished');
    const detail = await m.detail(imported.id);
    expect(detail.loss.at(-1)!.step).toBe(source.step);
    await expect(m.importRun(path.join(tmp, 'clips'))).rejects.toThrow(/no trainer events/);
  });
});
