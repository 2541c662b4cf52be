/**
 * Fine-tuning from a registered model (the shipped tagger, ONNX only) through the run manager with
 * the real trainer: the manager recovers its PyTorch weights once (`weights-from-onnx`, cached in
 * `<data>/cache/weights/`), starts the run with the model's architecture and frozen BatchNorms,
 * and the finished run's model is registered and valid. Expected values come from the shipped
 * manifest and the files the trainer wrote.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/engine/models/registry';
import { SettingsStore } from '../../src/engine/settings/settings';
import { weightsCachePath } from '../../src/engine/training/base-model';
import { TrainingManager } from '../../src/engine/training/manager';
import { planRun } from '../../src/engine/training/plan';
import type { TrainRequestParsed, TrainRun } from '../../src/shared/api-train';
import { parseTrainerEvent } from '../../src/shared/trainer-events';
import { sleep } from './host-fixtures';

const SHIPPED = path.resolve('models');
const TAGGER = 's5-tag-small-v2';
let tmp: string;
let registry: ModelRegistry;

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs = 180_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-train-base-'));
  const user = path.join(tmp, 'models');
  registry = new ModelRegistry({
    roots: [{ dir: SHIPPED, source: 'shipped' }, { dir: user, source: 'user' }], userDir: user,
    settings: new SettingsStore(path.join(tmp, 'settings.json')),
  });
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('fine-tuning a registered model', () => {
  it('the shipped tagger: weights recovered from ONNX and cached, 3 steps, finished and registered', async () => {
    const m = new TrainingManager({ dataDir: tmp, registry: () => registry, emit: () => undefined, pollMs: 100 });
    const manifest = JSON.parse(readFileSync(path.join(SHIPPED, TAGGER, 'manifest.json'), 'utf8'));
    const [run] = await m.start({
      name: 'base', target: 'tagger', size: 'tiny', base: { from: 'model', id: TAGGER },
      data: { source: 'toy' }, budget: { kind: 'steps', steps: 3 }, device: 'cpu', validationEvery: 0,
    });
    const done = await until('finished', async () => {
      const r = (await m.list()).find((x) => x.id === run.id)!;
      return (['finished', 'failed', 'interrupted'] as TrainRun['status'][]).includes(r.status) ? r : null;
    });
    expect(done.status, done.message ?? '').toBe('finished');
    expect(done.base.label).toContain(TAGGER);
    const weights = weightsCachePath(tmp, TAGGER, manifest.sha256);
    expect(existsSync(weights)).toBe(true);
    const config = JSON.parse(readFileSync(path.join(run.dir, 'studio-config.json'), 'utf8'));
    expect(config.model).toEqual({ arch: manifest.architecture, init: weights, freeze_bn: true });
    const started = readFileSync(path.join(run.dir, 'events.jsonl'), 'utf8').trim().split('\n').map(parseTrainerEvent)[0];
    expect(started.event).toBe('started');
    if (started.event === 'started') expect((started.config as { model: { freeze_bn: boolean } }).model.freeze_bn).toBe(true);
    const model = await registry.require(done.model_id!);
    expect(model.manifest.kind).toBe('tagger');
    expect(model.manifest.architecture).toBe(manifest.architecture);
    expect(model.manifest.sample_rate).toBe(manifest.sample_rate);
    // a second plan reuses the cached weights: no recovery step
    const planning = { dataDir: tmp, registry: () => registry, run: (id: string) => { throw new Error(`no run '${id}' here`); } };
    const { prepare } = await planRun(planning, { ...run.request!, base: { from: 'model', id: TAGGER } } as TrainRequestParsed, 'tagger', path.join(tmp, 'x'));
    expect(prepare.some((argv) => argv[0] === 'weights-from-onnx')).toBe(false);
  }, 600_000);

  it('a model of the other kind is refused with a specific message', async () => {
    const m = new TrainingManager({ dataDir: tmp, registry: () => registry, emit: () => undefined, pollMs: 100 });
    await expect(m.start({
      target: 'separator', size: 'tiny', base: { from: 'model', id: TAGGER }, data: { source: 'toy' },
      budget: { kind: 'steps', steps: 3 }, device: 'cpu',
    })).rejects.toThrow(/is a tagger; it cannot be the base of a separator/);
  });
});
