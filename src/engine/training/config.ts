/**
 * From the Train form's request to the trainer's config (trainer/PROTOCOL.md "Config"): the
 * architecture per size and kind, data and rooms sources, budget, optimiser values, and the
 * equivalent `torchrun` command for a workstation or cluster. The config is written as JSON (the
 * trainer reads JSON without PyYAML) and holds only values that differ from the trainer's defaults.
 */
import path from 'node:path';
import type { TrainRequestParsed } from '../../shared/api-train';
import { S5Error } from '../../shared/errors';

export type TrainKind = 'tagger' | 'separator';

interface Recipe {
  arch: string;
  overrides?: Record<string, unknown>;
  batch: number;
  lr: number;
  logEvery: number;
  checkpointEvery: number;
  validationEvery: number;
  validationN?: number;
  /** Further `model` keys (the M2D-AT stages: init_strict, finetune). */
  model?: Record<string, unknown>;
  bestMetric?: string;
}

/** The two stages of the official M2D-AT recipe (trainer/configs/m2dat-head.yaml, m2dat-blocks.yaml). */
export type M2datStage = 'head' | 'blocks';

const M2DAT_RECIPE = 'the official M2D-AT recipe';

/**
 * Which stage of the official M2D-AT recipe a request is (null: another size), or a specific
 * refusal: the recipe trains a tagger, stage 1 (head only) starts from the pretrained M2D encoder,
 * stage 2 (last 2 blocks) from a stage-1 run or checkpoint; the encoder is the base of this recipe only.
 */
export function m2datStage(req: TrainRequestParsed): M2datStage | null {
  if (req.size !== 'm2dat') {
    if (req.base.from === 'pretrained') {
      throw new S5Error('invalid_request', `the pretrained M2D encoder is the starting point of ${M2DAT_RECIPE} only; choose Size: M2D-AT (or another base for size ${req.size})`);
    }
    return null;
  }
  if (req.target !== 'tagger') {
    throw new S5Error('invalid_request', `${M2DAT_RECIPE} trains a tagger; choose Train: tagger (a separator needs another size)`);
  }
  switch (req.base.from) {
    case 'pretrained':
      return 'head';
    case 'run':
    case 'file':
      return 'blocks';
    default:
      throw new S5Error('invalid_request', `${M2DAT_RECIPE} starts from the pretrained M2D encoder (stage 1: head only) or continues a stage-1 run or checkpoint (stage 2: last 2 blocks); `
        + (req.base.from === 'scratch' ? 'a ViT-Base from random weights is not part of it' : 'a registered model cannot be its base'));
  }
}

/** Per size and kind: the shipped recipes (trainer/configs/*.yaml); 'tiny' is configs/tiny.yaml's scale. */
export function recipe(size: TrainRequestParsed['size'], kind: TrainKind, task: TrainRequestParsed['task'], stage: M2datStage | null = null): Recipe {
  const tag2026 = task === 'dcase2026t4';
  if (size === 'm2dat') {
    // 2025: the 1-channel M2D-AT; 2026: the baseline's 4-channel M2D-AT (one encoder per channel).
    const arch = tag2026 ? 'm2dat4c' : 'm2dat';
    return stage === 'blocks'
      ? { arch, batch: 16, lr: 1e-5, logEvery: 50, checkpointEvery: 500, validationEvery: 500, model: { finetune: '2_blocks' }, bestMetric: 'loss' }
      : { arch, batch: 32, lr: 1e-3, logEvery: 50, checkpointEvery: 1000, validationEvery: 3125, model: { init_strict: false, finetune: 'head' }, bestMetric: 'loss' };
  }
  if (size === 'tiny') {
    return kind === 'separator'
      ? {
          arch: 'sep-small-16k',
          overrides: { sample_rate: 8000, window_seconds: 1.0, n_fft: 256, hop: 64, widths: [8, 16], pools: [[2, 2], [2, 2]], cond_dim: 16 },
          batch: 4, lr: 1e-2, logEvery: 1, checkpointEvery: 10, validationEvery: 10, validationN: 4,
        }
      : {
          arch: tag2026 ? 'tag-small-2026' : 'tag-small',
          overrides: { sample_rate: 8000, window_seconds: 1.0, widths: [8, 16], convs: [1, 1], n_mels: 16 },
          batch: 4, lr: 3e-3, logEvery: 1, checkpointEvery: 10, validationEvery: 10, validationN: 4,
        };
  }
  const rate = size === 'small-32k' ? '32k' : '16k';
  if (kind === 'separator') {
    return { arch: `sep-small-${rate}`, batch: 8, lr: 3e-4, logEvery: 20, checkpointEvery: 500, validationEvery: 1000 };
  }
  const arch = tag2026 ? 'tag-small-2026' : rate === '32k' ? 'tag-small-32k' : 'tag-small';
  return { arch, batch: 16, lr: 1e-3, logEvery: 20, checkpointEvery: 500, validationEvery: 1000 };
}

/** The sample rate a run's model works at (size presets; a registered base model keeps its own). */
export function runSampleRate(size: TrainRequestParsed['size']): number {
  return size === 'tiny' ? 8000 : size === 'small-32k' || size === 'm2dat' ? 32000 : 16000;
}

export interface ConfigPaths {
  /** `<data>` folder: library/ and rooms/default/ live there. */
  dataDir: string;
  /** Where a rooms folder was imported for this run (rooms.source = folder), or an array's simulated bank. */
  roomsBank?: string;
  /** Library extended with the user's folder (data.source = folder). */
  library?: string;
  /** Weights to start from (a run's best.pt or a file). */
  init?: string;
}

/** The trainer config for one run of `kind`. Total steps: the step budget, or the cap of a minutes budget. */
export function buildConfig(req: TrainRequestParsed, kind: TrainKind, paths: ConfigPaths): Record<string, unknown> {
  const r = recipe(req.size, kind, req.task, m2datStage(req));
  const data: Record<string, unknown> = {};
  const validation: Record<string, unknown> = { every: req.validationEvery ?? r.validationEvery };
  if (r.bestMetric) validation.best_metric = r.bestMetric;
  switch (req.data.source) {
    case 'toy':
      data.source = 'random';
      data.workers = 0;
      validation.source = 'random';
      validation.n = r.validationN ?? 16;
      break;
    case 'library':
    case 'folder':
      data.source = 'synth';
      data.library = paths.library ?? req.data.path ?? path.join(paths.dataDir, 'library');
      data.rooms = paths.roomsBank ?? path.join(paths.dataDir, 'rooms', 'default');
      if (r.validationN) validation.n = r.validationN;
      break;
    case 'dcase':
      data.source = 'folder';
      data.folder = path.join(req.data.path, 'test');
      validation.source = 'folder';
      validation.folder = path.join(req.data.path, 'test');
      validation.n = r.validationN ?? 200;
      break;
  }
  const model: Record<string, unknown> = { arch: r.arch };
  if (r.overrides) model.overrides = r.overrides;
  if (paths.init) model.init = paths.init;
  Object.assign(model, r.model);
  const config: Record<string, unknown> = {
    task: req.task,
    model,
    data,
    validation,
    train: {
      steps: req.budget.steps,
      batch_size: req.batchSize ?? r.batch,
      lr: req.lr ?? r.lr,
      log_every: r.logEvery,
      checkpoint_every: req.checkpointEvery ?? r.checkpointEvery,
      ...(req.size === 'tiny' ? { threads: 1 } : {}),
    },
    export: { on_finish: true },
  };
  for (const assignment of req.set) setDotted(config, assignment);
  return config;
}

/** `a.b.c=value`, value parsed as JSON when it is JSON (numbers, booleans, lists), else a string. */
export function setDotted(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf('=');
  const keys = assignment.slice(0, eq).split('.');
  const raw = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = raw;
  }
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]] = value;
}

/** Single-quotes for a POSIX shell. */
export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The data-parallel command equivalent to a run (PROTOCOL.md "Distributed"): torchrun with the
 * static single-node rendezvous, or c10d across nodes; the extra args doctor reports for torch 1.x.
 */
export function torchrunCommand(opts: {
  configFile: string; workdir: string; trainerDir: string; gpusPerNode: number; nodes: number; device: string; extraArgs: string[];
}): string {
  const rdzv = opts.nodes > 1
    ? ['--nnodes', String(opts.nodes), '--rdzv-backend', 'c10d', '--rdzv-endpoint', 'HEAD_NODE:29500']
    : ['--nnodes', '1', '--master_addr', '127.0.0.1', '--master_port', '29500'];
  const parts = [
    `PYTHONPATH=${shellQuote(opts.trainerDir)}`,
    'torchrun', '--nproc_per_node', String(opts.gpusPerNode), ...rdzv, ...opts.extraArgs,
    '-m', 's5trainer', 'train', '--config', shellQuote(opts.configFile), '--workdir', shellQuote(opts.workdir),
    '--device', opts.device,
  ];
  return parts.join(' ');
}
