/**
 * The official M2D-AT recipe from its pretrained backbone (issue #14), through the run manager
 * and the real trainer: the encoder file is checked by the trainer's own check
 * (`s5trainer m2d-weights --json`) at the default place `<data>/pretrained/<official folder>/…`
 * or a chosen file; a missing, corrupt or wrong-size file is refused before anything starts, with
 * the file, what is wrong and what is accepted; a stand-in in the official layout and size
 * (random weights, `s5trainer.testing.make_m2d_encoder`) passes, plans stage 1 (head only) or
 * stage 2 (last 2 blocks) as trainer/configs/m2dat-*.yaml do, and a started run loads it (the
 * trainer's `started` event: the official-size model with only the head trainable).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelRegistry } from '../../src/engine/models/registry';
import { SettingsStore } from '../../src/engine/settings/settings';
import { TrainingManager } from '../../src/engine/training/manager';
import { M2D_AS_FILE, M2D_AS_FOLDER, M2D_AS_URL } from '../../src/engine/training/pretrained';
import type { TrainRequest } from '../../src/shared/api-train';
import { S5Error } from '../../src/shared/errors';
import { parseTrainerEvent, type TrainerEvent } from '../../src/shared/trainer-events';
import { sleep } from './host-fixtures';

const TRAINER = path.resolve('trainer');
let tmp: string;
let data: string;
let manager: TrainingManager;

/** An M2D encoder file from random weights, written by the trainer's test helper. */
function standIn(file: string, depth = 12): string {
  execFileSync('/usr/bin/python3', ['-c', `from s5trainer.testing import make_m2d_encoder; make_m2d_encoder(${JSON.stringify(file)}, depth=${depth})`], {
    env: { ...process.env, PYTHONPATH: TRAINER }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return file;
}

const request = (extra: Partial<TrainRequest> = {}): TrainRequest => ({
  name: 'm2d', target: 'tagger', size: 'm2dat', base: { from: 'pretrained' },
  data: { source: 'toy' }, budget: { kind: 'steps', steps: 1 }, device: 'cpu', ...extra,
});

async function refusal(p: Promise<unknown>): Promise<S5Error> {
  const err = await p.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(S5Error);
  return err as S5Error;
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-train-m2d-'));
  data = path.join(tmp, 'data');
  const user = path.join(data, 'models');
  const registry = new ModelRegistry({
    roots: [{ dir: path.resolve('models'), source: 'shipped' }, { dir: user, source: 'user' }], userDir: user,
    settings: new SettingsStore(path.join(data, 'settings.json')),
  });
  manager = new TrainingManager({ dataDir: data, registry: () => registry, emit: () => undefined, pollMs: 100, killAfterS: 60 });
});

afterAll(async () => {
  await manager?.dispose();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('the official M2D-AT recipe and its pretrained encoder', () => {
  it('a missing, corrupt or wrong-size encoder is named, explained and refused before a run starts', async () => {
    const expected = path.join(data, 'pretrained', M2D_AS_FOLDER, M2D_AS_FILE);
    // Nothing at the default place: the trainer's check names it and the download.
    const missing = await manager.checkPretrained({});
    expect(missing).toMatchObject({ ok: false, file: expected, default_file: expected, url: M2D_AS_URL, encoder: null });
    expect(missing.problem).toContain('no such file');
    expect(missing.problem).toContain(M2D_AS_URL);
    expect(missing.problem).toContain(`unzip it into ${path.join(data, 'pretrained')}`);
    const noFile = await refusal(manager.start(request()));
    expect(noFile.code).toBe('bad_input');
    expect(noFile.file).toBe(expected);
    expect(noFile.message).toMatch(/^the run was not started: the pretrained M2D encoder of the M2D-AT recipe cannot be used: no such file\. The official M2D-AT recipe starts from the M2D encoder /);

    // Not a PyTorch file.
    const corrupt = path.join(tmp, 'corrupt', M2D_AS_FOLDER, M2D_AS_FILE);
    mkdirSync(path.dirname(corrupt), { recursive: true });
    writeFileSync(corrupt, Buffer.from('PK\x03\x04 this is not a torch zip archive'.repeat(40)));
    const bad = await manager.checkPretrained({ path: corrupt });
    expect(bad).toMatchObject({ ok: false, file: corrupt, encoder: null });
    expect(bad.problem).toMatch(/^cannot be read as a PyTorch file \(.+\); expected the M2D encoder layout of m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly\/weights_ep69it3124-0\.47998\.pth: .*pos_embed \[1, 311, 768\]/);
    const badStart = await refusal(manager.start(request({ base: { from: 'pretrained', path: corrupt } })));
    expect(badStart.file).toBe(corrupt);
    expect(badStart.message).toContain('cannot be read as a PyTorch file');

    // The layout but not the size (3 blocks): the trainer reads it; the recipe's ViT-Base cannot load it.
    const small = standIn(path.join(tmp, 'small', M2D_AS_FOLDER, M2D_AS_FILE), 3);
    const wrong = await manager.checkPretrained({ path: small });
    expect(wrong.ok).toBe(false);
    expect(wrong.encoder).toMatchObject({ depth: 3, dim: 768, tokens: 311 });
    expect(wrong.problem).toContain('an M2D encoder of 3 blocks × 768 with 311 position tokens');
    expect(wrong.problem).toContain('needs m2d_as_vit_base-80x1001p16x16p32k-240413_AS-FT_enconly/weights_ep69it3124-0.47998.pth: 12 blocks × 768, 311 position tokens');
    expect((await refusal(manager.start(request({ base: { from: 'pretrained', path: small } })))).file).toBe(small);

    // Combinations outside the recipe.
    expect((await refusal(manager.start(request({ target: 'separator' })))).message).toContain('trains a tagger');
    expect((await refusal(manager.start(request({ base: { from: 'scratch' } })))).message).toContain('a ViT-Base from random weights is not part of it');
    expect((await refusal(manager.start(request({ size: 'small-16k' })))).message).toContain('starting point of the official M2D-AT recipe only');
    expect(await manager.list()).toEqual([]);
    expect(readdirSync(path.join(data, 'runs'))).toEqual([]);
  }, 300_000);

  it('a stand-in at the default place passes, is planned as stage 1 or 2, and a started run loads it', async () => {
    const file = standIn(path.join(data, 'pretrained', M2D_AS_FOLDER, M2D_AS_FILE));
    const ok = await manager.checkPretrained({});
    expect(ok).toMatchObject({ ok: true, file, problem: null, encoder: { depth: 12, dim: 768, tokens: 311, norm_stats_default: false } });
    expect(ok.encoder!.norm_stats[0]).toBeCloseTo(-6.2, 5); // the helper's values, read back by the trainer

    // Stage 1 as trainer/configs/m2dat-head.yaml; the command checks the file on the training machine first.
    const one = await manager.command(request({ budget: { kind: 'steps', steps: 100_000 } }), 4, 1);
    expect(one.config).toMatchObject({
      task: 'dcase2025t4',
      model: { arch: 'm2dat', init: file, init_strict: false, finetune: 'head' },
      train: { steps: 100_000, batch_size: 32, lr: 1e-3 },
      validation: { every: 3125, best_metric: 'loss' },
    });
    expect(one.command).toContain(`# the pretrained M2D encoder must be at ${file} on the training machine`);
    expect(one.command).toContain(`python3 -m s5trainer m2d-weights ${file} && \\\nPYTHONPATH=${TRAINER} torchrun --nproc_per_node 4`);
    // Stage 2 as m2dat-blocks.yaml; 2026 trains the baseline's 4-channel M2D-AT.
    const two = await manager.command(request({ base: { from: 'file', path: file } }), 1, 1);
    expect(two.config).toMatchObject({ model: { arch: 'm2dat', finetune: '2_blocks' }, train: { batch_size: 16, lr: 1e-5 }, validation: { every: 500, best_metric: 'loss' } });
    expect((two.config.model as Record<string, unknown>).init_strict).toBeUndefined();
    expect(two.command).not.toContain('m2d-weights');
    expect((await manager.command(request({ task: 'dcase2026t4' }), 1, 1)).config).toMatchObject({ task: 'dcase2026t4', model: { arch: 'm2dat4c', finetune: 'head' } });

    // A real start: the trainer builds the official-size M2D-AT from the file; only the head trains.
    const [run] = await manager.start(request({ batchSize: 1, validationEvery: 0 }));
    expect(run.base.label).toBe(`pretrained M2D encoder ${M2D_AS_FOLDER}/${M2D_AS_FILE}`);
    const stdout = path.join(run.dir, 'stdout.jsonl');
    type Started = Extract<TrainerEvent, { event: 'started' }>;
    const startedEvent = async (): Promise<Started> => {
      for (const end = Date.now() + 240_000; Date.now() < end; await sleep(200)) {
        const events = existsSync(stdout) ? readFileSync(stdout, 'utf8').split('\n').filter(Boolean).map(parseTrainerEvent) : [];
        const failed = events.find((e) => e.event === 'failed');
        if (failed) throw new Error(`the trainer failed: ${JSON.stringify(failed)}`);
        const found = events.find((e): e is Started => e.event === 'started');
        if (found) return found;
      }
      throw new Error('no started event within 240 s');
    };
    const started = await startedEvent();
    await manager.cancel(run.id);
    expect(started.arch).toBe('m2dat');
    expect((started.config as { model: Record<string, unknown> }).model).toMatchObject({ init: file, finetune: 'head', init_strict: false });
    // Official M2D-AT: 85 562 130 trainable parameters (the trainer registry's count for 'all') + the
    // 2 fixed norm_stats; the head = BatchNorm1d(5 × 768, no affine, as the official) + Linear(3840 → 18).
    expect(started.params.total).toBe(85_562_130 + 2);
    expect(started.params.trainable).toBe(3840 * 18 + 18);
  }, 600_000);
});
