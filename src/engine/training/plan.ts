/**
 * Planning a fine-tuning run before anything starts: its id, the trainer config (config.ts), the
 * preparation commands (rooms import, an array's room bank, a library build, a base model's
 * weights recovered from ONNX) and the label of what it starts from, the record the run manager
 * keeps for it, the trainer's command line, and the equivalent `torchrun` command for a cluster.
 * Nothing is written here but a stale run.json removed; the manager creates the run folder.
 */
import path from 'node:path';
import { stat, unlink } from 'node:fs/promises';
import type { TrainDoctor, TrainRequestParsed, TrainRun } from '../../shared/api-train';
import { S5Error } from '../../shared/errors';
import type { ModelRegistry } from '../models/registry';
import { arrayBankPlan, isArrayRooms } from './array-bank';
import { baseModelWeights } from './base-model';
import { buildConfig, m2datStage, runSampleRate, shellQuote, torchrunCommand, type TrainKind } from './config';
import { defaultM2dWeights, M2D_AS_FOLDER, M2D_AS_URL } from './pretrained';
import { trainerDir } from './python';
import { CONFIG_FILE, type RunRecord } from './store';

export interface PlanContext {
  dataDir: string;
  registry: () => ModelRegistry;
  /** An earlier run by id (a run as the base); throws `not_found` when there is none. */
  run: (id: string) => RunRecord;
}

export interface RunPlan {
  config: Record<string, unknown>;
  /** Commands to run before training, as argv after `python -m s5trainer`. */
  prepare: string[][];
  base: TrainRun['base'];
}

/** `<name>-<tag|sep>-<yyyymmdd-hhmmss>`, with `-2`, `-3`… while `taken`. */
export function newRunId(name: string | undefined, kind: TrainKind, taken: (id: string) => boolean): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  const base = (name ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24) || 'ft';
  let id = `${base}-${kind === 'tagger' ? 'tag' : 'sep'}-${stamp}`;
  for (let k = 2; taken(id); k++) id = `${base}-${kind === 'tagger' ? 'tag' : 'sep'}-${stamp}-${k}`;
  return id;
}

/** Config, prepare steps and base label for one kind of a request; `dir` is the run folder to be. */
export async function planRun(ctx: PlanContext, req: TrainRequestParsed, kind: TrainKind, dir: string): Promise<RunPlan> {
  const stage = m2datStage(req);
  const prepare: string[][] = [];
  let roomsBank: string | undefined;
  let library: string | undefined;
  if (req.rooms.source === 'folder' && req.data.source !== 'toy' && req.data.source !== 'dcase') {
    roomsBank = path.join(dir, 'rooms');
    prepare.push(['rooms', 'import', '--out', roomsBank, '--wav', req.rooms.path, '--format', req.rooms.format]);
  }
  if (isArrayRooms(req.rooms) && req.data.source !== 'toy' && req.data.source !== 'dcase') {
    // A bank simulated for this array at the model's rate, built once and shared by later runs.
    const rate = req.base.from === 'model'
      ? (await ctx.registry().require(req.base.id)).manifest.sample_rate
      : runSampleRate(req.size);
    const bank = await arrayBankPlan(ctx.dataDir, req.rooms.array, rate, req.rooms.bank);
    roomsBank = bank.dir;
    if (!bank.ready) prepare.push(bank.build);
  }
  if (req.data.source === 'folder') {
    library = path.join(ctx.dataDir, 'libraries', path.basename(req.data.path).toLowerCase().replace(/[^a-z0-9]+/g, '-') || 'user');
    prepare.push(['library', 'build', '--out', library, '--user', `${req.data.path}:target`]);
  }
  let init: string | undefined;
  let base: TrainRun['base'] = { label: 'new model (random weights)', metrics: null };
  if (req.base.from === 'run') {
    const from = ctx.run(req.base.run);
    if (from.run.kind !== kind) throw new S5Error('invalid_request', `run '${req.base.run}' trained a ${from.run.kind}; it cannot be the base of a ${kind}`);
    const fromSize = (from.run.request as { size?: unknown } | null)?.size;
    if (stage && fromSize !== undefined && fromSize !== 'm2dat') {
      throw new S5Error('invalid_request', `run '${req.base.run}' trained a ${String(fromSize)} tagger; stage 2 of the official M2D-AT recipe continues an M2D-AT run (stage 1: Start from the pretrained M2D encoder)`);
    }
    const best = path.join(from.run.dir, 'checkpoints', 'best.pt');
    const last = path.join(from.run.dir, 'checkpoints', 'last.pt');
    init = (await stat(best).catch(() => null)) ? best : last;
    if (!(await stat(init).catch(() => null))) throw new S5Error('bad_input', `run '${req.base.run}' has no checkpoint to start from (${best})`, best);
    base = { label: `run ${from.run.id}${from.run.model_id ? ` (model ${from.run.model_id})` : ''}`, metrics: from.run.metrics };
  } else if (req.base.from === 'file') {
    if (!(await stat(req.base.path).catch(() => null))) throw new S5Error('not_found', 'no such checkpoint file', req.base.path);
    init = req.base.path;
    base = { label: path.basename(req.base.path), metrics: null };
  } else if (req.base.from === 'pretrained') {
    // Stage 1 of the M2D-AT recipe; the file is checked by the manager before a run starts.
    init = path.resolve(req.base.path ?? defaultM2dWeights(ctx.dataDir));
    base = { label: `pretrained M2D encoder ${path.basename(path.dirname(init))}/${path.basename(init)}`, metrics: null };
  } else if (req.base.from === 'model') {
    const from = await baseModelWeights(ctx.registry(), req.base.id, kind, ctx.dataDir);
    init = from.weights;
    if (!from.cached) prepare.unshift(from.recover);
    base = { label: `model ${from.manifest.id} (${from.manifest.name})`, metrics: null };
    const config = buildConfig(req, kind, { dataDir: ctx.dataDir, roomsBank, library, init });
    // The architecture is the base model's; its size overrides come from the recovered file
    // (the trainer adopts them), and the folded BatchNorms stay frozen.
    config.model = { arch: from.manifest.architecture, init, freeze_bn: true };
    return { config, prepare, base };
  }
  const config = buildConfig(req, kind, { dataDir: ctx.dataDir, roomsBank, library, init });
  return { config, prepare, base };
}

/** The record of a planned run, queued (the first of a request is launched at once). */
export function newRunRecord(
  req: TrainRequestParsed,
  run: { id: string; dir: string; kind: TrainKind; base: TrainRun['base']; created: string },
  extra: { python: string; group: string | null; prepare: string[][] },
): RunRecord {
  const { id, dir, kind, base, created } = run;
  return {
    run: {
      id, name: req.name ?? id, dir, kind, status: 'queued', message: null, created, updated: created,
      step: 0, total: req.budget.steps, checkpoint_step: null, loss: null, samples_per_s: null, eta_s: null,
      device: null, resumable: false, model_id: null, metrics: null, base, origin: 'studio', request: req,
      deadline: null,
    },
    pid: null, phase: null, python: extra.python, group: extra.group, elapsed_ms: 0, prepare: extra.prepare, prepared: extra.prepare.length === 0,
  };
}

/**
 * The trainer's arguments for the run folder `dir`: `--resume` when asked and a last checkpoint
 * exists, else a fresh start from the run's config (a stale run.json is removed: the trainer
 * refuses one); `maxSteps` caps the run (a time budget finishes at the step reached).
 */
export async function trainerArgs(dir: string, device: string, resume: boolean, maxSteps?: number): Promise<string[]> {
  const args = ['-m', 's5trainer', 'train', '--workdir', dir, '--device', device];
  const hasLast = await stat(path.join(dir, 'checkpoints', 'last.pt')).catch(() => null);
  if (resume && hasLast) {
    args.push('--resume');
  } else {
    // Fresh start (also a resume before the first checkpoint): the trainer refuses an old run.json.
    await unlink(path.join(dir, 'run.json')).catch(() => undefined);
    args.push('--config', path.join(dir, CONFIG_FILE));
  }
  if (maxSteps !== undefined) args.push('--max-steps', String(maxSteps));
  return args;
}

/** "Show command": the config of one run of `req` and the `torchrun` line that trains it on a GPU workstation or cluster. */
export async function clusterCommand(
  ctx: PlanContext,
  req: TrainRequestParsed,
  dir: string,
  opts: { gpusPerNode: number; nodes: number; doctor: TrainDoctor | null },
): Promise<{ config: Record<string, unknown>; configJson: string; command: string }> {
  const kind: TrainKind = req.target === 'tagger' ? 'tagger' : 'separator';
  const { config } = await planRun(ctx, req, kind, dir);
  const { gpusPerNode, nodes, doctor } = opts;
  let command = torchrunCommand({
    configFile: 'config.json', workdir: path.join('runs', 'RUN_NAME'), trainerDir: trainerDir(), gpusPerNode, nodes,
    device: req.device === 'auto' ? (gpusPerNode > 1 || doctor?.cuda_available ? 'cuda' : 'auto') : req.device,
    extraArgs: doctor?.torchrun_extra_args ?? [],
  });
  if (req.base.from === 'pretrained') {
    // The encoder must be at the config's model.init on the machine that trains: say so, and check it there first.
    const init = String((config.model as { init: string }).init);
    command = `# the pretrained M2D encoder must be at ${init} on the training machine\n`
      + `# (download ${M2D_AS_URL} and unzip it so that ${M2D_AS_FOLDER}/ is in ${path.dirname(path.dirname(init))}); the first line checks it\n`
      + `PYTHONPATH=${shellQuote(trainerDir())} python3 -m s5trainer m2d-weights ${shellQuote(init)} && \\\n${command}`;
  }
  return { config, configJson: JSON.stringify(config, null, 2), command };
}
