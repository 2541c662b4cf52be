/**
 * A run on a custom 4-mic array with the real trainer (Debian torch on CPU, the tiny 8-kHz
 * separator): the preparation step simulates a small room bank for the geometry
 * (`s5trainer rooms bank --array geom:…`) into `<data>/rooms/array-<hash>`, the run trains on
 * scenes rendered with it from a small tone library (`s5trainer.testing.make_dummy_library`),
 * finishes, and the registered model says channel_format 'other' with the array in its
 * provenance. A second run reuses the bank. Expected values come from the bank the trainer wrote
 * (its rooms.json) and the geometry given, not from the manager.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/engine/models/registry';
import { SettingsStore } from '../../src/engine/settings/settings';
import { arrayBankDir } from '../../src/engine/training/array-bank';
import { TrainingManager } from '../../src/engine/training/manager';
import type { TrainRequest, TrainRun } from '../../src/shared/api-train';
import { sleep } from './host-fixtures';

const REPO = path.resolve(__dirname, '..', '..');
const GEOMETRY: Array<[number, number, number]> = [[0.03, 0.02, 0], [-0.02, 0.03, 0.005], [-0.03, -0.02, 0], [0.02, -0.03, -0.005]];
const BANK = { rooms: 10, positions: 4, max_seconds: 0.3 };

let tmp: string;
let library: string;
let userModels: string;
let settings: SettingsStore;

function manager(): TrainingManager {
  const registry = new ModelRegistry({ roots: [{ dir: userModels, source: 'user' }], userDir: userModels, settings });
  return new TrainingManager({ dataDir: tmp, registry: () => registry, emit: () => undefined, killAfterS: 10, pollMs: 100 });
}

const request = (steps: number): TrainRequest => ({
  name: 'array', target: 'separator', size: 'tiny', data: { source: 'library', path: library },
  rooms: { source: 'simulated', array: { kind: 'custom', positions_m: GEOMETRY }, bank: BANK },
  budget: { kind: 'steps', steps }, device: 'cpu',
});

async function until<T>(what: string, f: () => Promise<T | null | false>, timeoutMs = 240_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const ended = (m: TrainingManager, id: string) => async () => {
  const r = (await m.list()).find((x) => x.id === id)!;
  return ['finished', 'failed', 'interrupted', 'cancelled'].includes(r.status) ? r : null;
};

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-train-array-'));
  userModels = path.join(tmp, 'models');
  settings = new SettingsStore(path.join(tmp, 'settings.json'));
  library = path.join(tmp, 'toy-library');
  execFileSync('/usr/bin/python3', ['-c', `from s5trainer.testing import make_dummy_library; make_dummy_library(${JSON.stringify(library)}, rate=8000, seconds=(0.3, 1.0))`], {
    env: { ...process.env, PYTHONPATH: path.join(REPO, 'trainer') },
  });
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('training on a custom 4-mic array (real trainer)', () => {
  it('builds the array bank, trains, and registers a model that says it takes raw array channels', async () => {
    const m = manager();
    const [run] = await m.start(request(3));
    const bankDir = arrayBankDir(tmp, { kind: 'custom', positions_m: GEOMETRY }, 8000, BANK);
    const done: TrainRun = await until('the run to end', ended(m, run.id));
    expect(done.message).toMatch(/^finished at step 3; model '.+' added to the model library$/);

    // The bank the trainer simulated: this geometry, 8 kHz, 10 rooms × 4 positions.
    const spec = `geom:${GEOMETRY.flat().join(',')}`;
    const bank = JSON.parse(readFileSync(path.join(bankDir, 'rooms.json'), 'utf8'));
    expect(bank).toMatchObject({ format: 's5-rooms', rate: 8000, array: spec });
    expect(bank.rooms).toHaveLength(10);
    expect(bank.rooms.every((r: { array: string }) => r.array === spec)).toBe(true);
    expect(bank.rooms.every((r: { positions: unknown[] }) => r.positions.length === 4)).toBe(true);
    const config = JSON.parse(readFileSync(path.join(done.dir, 'studio-config.json'), 'utf8'));
    expect(config.data.rooms).toBe(bankDir);

    const registry = new ModelRegistry({ roots: [{ dir: userModels, source: 'user' }], userDir: userModels, settings });
    const model = await registry.require(done.model_id!);
    expect(model.manifest.channel_format).toBe('other');
    expect(model.manifest.channels).toBe(4);
    expect(model.manifest.provenance.data).toContain('custom 4-mic omni array, capsules (x, y, z mm; x front, y left, z up) (30, 20, 0) (-20, 30, 5) (-30, -20, 0) (20, -30, -5)');
    expect(model.manifest.provenance.data).toContain('--array geom:0.03,0.02,0,-0.02,0.03,0.005,-0.03,-0.02,0,0.02,-0.03,-0.005');
  }, 600_000);

  it('a second run on the same array reuses the bank (no preparation step)', async () => {
    const m = manager();
    const bankDir = arrayBankDir(tmp, { kind: 'custom', positions_m: GEOMETRY }, 8000, BANK);
    expect(existsSync(path.join(bankDir, 'rooms.json'))).toBe(true);
    const { config } = await m.command(request(1), 1, 1);
    expect((config.data as { rooms: string }).rooms).toBe(bankDir);
    const [run] = await m.start(request(1));
    const rec = JSON.parse(readFileSync(path.join(run.dir, 'studio.json'), 'utf8'));
    expect(rec.prepare).toEqual([]);
    const done = await until('the second run to end', ended(m, run.id));
    expect(done.status).toBe('finished');
  }, 600_000);
});
