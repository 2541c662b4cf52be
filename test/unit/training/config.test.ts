/**
 * Form request → trainer config and torchrun command; curve replay across a resume; class-name
 * suggestions. The trainer accepting these configs is checked with the real trainer in
 * test/integration/training.test.ts; here the mapping itself is pinned against PROTOCOL.md's keys.
 */
import { describe, expect, it } from 'vitest';
import { TrainRequestSchema } from '../../../src/shared/api-train';
import { buildConfig, m2datStage, runSampleRate, setDotted, shellQuote, torchrunCommand } from '../../../src/engine/training/config';
import { nearestLabel } from '../../../src/engine/training/data-check';
import { curves } from '../../../src/engine/training/store';
import { parseTrainerEvent } from '../../../src/shared/trainer-events';

const req = (extra: object) => TrainRequestSchema.parse({ data: { source: 'library' }, budget: { kind: 'steps', steps: 100 }, ...extra });

describe('training config', () => {
  it('maps the library, rooms and budget onto the trainer keys and always exports on finish', () => {
    const c = buildConfig(req({ target: 'tagger', size: 'small-32k', lr: 5e-4 }), 'tagger', { dataDir: '/d', roomsBank: '/r/rooms' });
    expect(c).toMatchObject({
      task: 'dcase2025t4',
      model: { arch: 'tag-small-32k' },
      data: { source: 'synth', library: '/d/library', rooms: '/r/rooms' },
      train: { steps: 100, lr: 5e-4, batch_size: 16 },
      export: { on_finish: true },
    });
  });

  it('the DCASE dev_set trains and validates on its test/ soundscapes; 2026 picks the slot tagger', () => {
    const c = buildConfig(req({ task: 'dcase2026t4', data: { source: 'dcase', path: '/x/dev_set' } }), 'tagger', { dataDir: '/d' });
    expect(c).toMatchObject({ model: { arch: 'tag-small-2026' }, data: { source: 'folder', folder: '/x/dev_set/test' }, validation: { source: 'folder', folder: '/x/dev_set/test' } });
  });

  it('the official M2D-AT recipe: stage 1 from the encoder, stage 2 from a run or file, as trainer/configs/m2dat-*.yaml; other combinations refused', () => {
    const head = req({ target: 'tagger', size: 'm2dat', base: { from: 'pretrained' } });
    expect(m2datStage(head)).toBe('head');
    expect(buildConfig(head, 'tagger', { dataDir: '/d', init: '/d/pretrained/x/w.pth' })).toMatchObject({
      model: { arch: 'm2dat', init: '/d/pretrained/x/w.pth', init_strict: false, finetune: 'head' },
      train: { batch_size: 32, lr: 1e-3, log_every: 50, checkpoint_every: 1000 },
      validation: { every: 3125, best_metric: 'loss' },
    });
    const blocks = req({ target: 'tagger', size: 'm2dat', task: 'dcase2026t4', base: { from: 'run', run: 'm2d-tag-1' } });
    expect(m2datStage(blocks)).toBe('blocks');
    expect(buildConfig(blocks, 'tagger', { dataDir: '/d', init: '/r/best.pt' })).toMatchObject({
      model: { arch: 'm2dat4c', init: '/r/best.pt', finetune: '2_blocks' }, train: { batch_size: 16, lr: 1e-5 }, validation: { every: 500, best_metric: 'loss' },
    });
    expect(runSampleRate('m2dat')).toBe(32000);
    expect(m2datStage(req({ target: 'tagger', size: 'small-16k' }))).toBeNull();
    expect(() => m2datStage(req({ target: 'both', size: 'm2dat', base: { from: 'pretrained' } }))).toThrow(/trains a tagger/);
    expect(() => m2datStage(req({ target: 'tagger', size: 'm2dat', base: { from: 'model', id: 's5-tag-small-v2' } }))).toThrow(/a registered model cannot be its base/);
    expect(() => m2datStage(req({ target: 'tagger', size: 'tiny', base: { from: 'pretrained' } }))).toThrow(/starting point of the official M2D-AT recipe only/);
  });

  it('dotted overrides parse JSON values and create sections', () => {
    const c: Record<string, unknown> = { train: { lr: 1 } };
    setDotted(c, 'train.lr=3e-4');
    setDotted(c, 'data.curriculum=[{"until_step": 3, "nevent_range": [1, 1]}]');
    setDotted(c, 'model.init=/a b/c.pt');
    expect(c).toEqual({ train: { lr: 3e-4 }, data: { curriculum: [{ until_step: 3, nevent_range: [1, 1] }] }, model: { init: '/a b/c.pt' } });
  });

  it('torchrun command: static rendezvous on one node, c10d across nodes, paths quoted', () => {
    const one = torchrunCommand({ configFile: 'my config.json', workdir: 'runs/x', trainerDir: '/t', gpusPerNode: 4, nodes: 1, device: 'cuda', extraArgs: ['--redirects', '9:1'] });
    expect(one).toBe("PYTHONPATH=/t torchrun --nproc_per_node 4 --nnodes 1 --master_addr 127.0.0.1 --master_port 29500 --redirects 9:1 -m s5trainer train --config 'my config.json' --workdir runs/x --device cuda");
    expect(torchrunCommand({ configFile: 'c', workdir: 'w', trainerDir: '/t', gpusPerNode: 8, nodes: 2, device: 'cuda', extraArgs: [] })).toContain('--nnodes 2 --rdzv-backend c10d');
    expect(shellQuote("it's")).toBe(`'it'\\''s'`);
  });
});

describe('curves and names', () => {
  it('a resumed run drops the steps after its checkpoint from the curve', () => {
    const base = { v: 1, time: '2026-01-01T00:00:00.000Z', run: 'r' };
    const p = (step: number, loss: number) => parseTrainerEvent(JSON.stringify({ ...base, event: 'progress', step, total: 10, loss, lr: 1, samples_per_s: 1, eta_s: 1 }));
    const started = (step: number) => parseTrainerEvent(JSON.stringify({
      ...base, event: 'started', config: {}, device: 'cpu', world_size: 1, params: { trainable: 1, total: 1 }, kind: 'separator', arch: 'a', step, total: 10, resumed: step > 0, torch: '1',
    }));
    const { loss } = curves([started(0), p(1, 5), p(2, 4), p(3, 3), p(4, 2.5), started(2), p(3, 3.1), p(4, 2.4)]);
    expect(loss).toEqual([{ step: 1, loss: 5 }, { step: 2, loss: 4 }, { step: 3, loss: 3.1 }, { step: 4, loss: 2.4 }]);
  });

  it('suggests the accepted class nearest to a misspelt folder name, and none for unrelated names', () => {
    expect(nearestLabel('Dishs')).toBe('Dishes');
    expect(nearestLabel('footsteps')).toBe('FootSteps');
    expect(nearestLabel('Vacuumcleaner')).toBe('VacuumCleaner');
    expect(nearestLabel('Helicopter')).toBeNull();
  });
});
