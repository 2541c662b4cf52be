/**
 * The run manager: starts `python -m s5trainer train` for a run, follows its stdout events
 * (parsed with the shared zod schema) and its log, streams both to clients, and decides how the
 * run ended — `finished` (export registered in the model library), `cancelled` (SIGTERM honoured),
 * `failed` (the trainer's `failed` event), or `interrupted` (the process ended without a terminal
 * event: killed, crashed, machine off) which can be resumed from the last checkpoint.
 *
 * The trainer runs detached with stdout and stderr going to files in the run folder, so it
 * survives an engine crash; a new engine re-reads every run folder, adopts a trainer that still
 * runs (following its files) and marks a dead one interrupted. An orderly shutdown stops the
 * trainer with SIGTERM (it checkpoints) and marks the run interrupted. One run is active at a time
 * by default; target 'both' queues the second run behind the first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import {
  TrainRequestSchema,
  TrainRoomsSchema,
  type DataCheck,
  type TrainData,
  type TrainRoomsInput,
  type TrainDoctor,
  type TrainRequestParsed,
  type TrainRun,
  type TrainRunDetail,
} from '../../shared/api-train';
import { S5Error } from '../../shared/errors';
import { parseTrainerEvent, type TrainerEvent } from '../../shared/trainer-events';
import type { ModelRegistry } from '../models/registry';
import { arrayBankPlan, isArrayRooms, markArrayModel } from './array-bank';
import { baseModelWeights } from './base-model';
import { buildConfig, runSampleRate, torchrunCommand, type TrainKind } from './config';
import { checkData, checkRooms } from './data-check';
import { findTrainerPython, trainerDir, trainerEnv } from './python';
import {
  CONFIG_FILE, LOG_FILE, STDOUT_FILE, LineTail, applyEvent, curves, eventFile, listRecordDirs, readEvents,
  readRecord, tailLines, type RunRecord, STUDIO_FILE,
} from './store';
import { writeJsonAtomic } from '../atomic-write';

export interface ManagerOptions {
  dataDir: string;
  registry: () => ModelRegistry;
  emit: (event: string, payload: unknown) => void;
  /** Runs active at once (default 1). */
  maxActive?: number;
  /** Seconds between SIGTERM and SIGKILL on cancel (default 30). */
  killAfterS?: number;
  /** Milliseconds between reads of a running trainer's files (default 200). */
  pollMs?: number;
}

interface Live {
  child: ChildProcess | null;
  out: LineTail;
  log: LineTail;
  /** Set by cancel/budget/shutdown before the signal, read when the process ends. */
  intent: 'cancel' | 'budget' | 'shutdown' | null;
  terminal: TrainerEvent | null;
  exported: string | null;
  killTimer: NodeJS.Timeout | null;
  startedAt: number;
  exit: { code: number | null; signal: string | null } | null;
}

const ACTIVE: TrainRun['status'][] = ['preparing', 'running'];
const now = () => new Date().toISOString();

function pidAlive(pid: number, dir: string): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Same pid, other program (pid reuse after a reboot)? The trainer's command line names its run folder.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dir);
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

export class TrainingManager {
  readonly runsDir: string;
  private readonly records = new Map<string, RunRecord>();
  private readonly live = new Map<string, Live>();
  private timer: NodeJS.Timeout | null = null;
  private loaded: Promise<void> | null = null;
  private polling = false;
  private closed = false;
  private lastDoctor: { at: number; setting: string | null; report: TrainDoctor } | null = null;

  constructor(private readonly opts: ManagerOptions) {
    this.runsDir = path.join(opts.dataDir, 'runs');
  }

  // ---------------------------------------------------------------------------------------------
  // Loading and recovery

  /** Reads every run folder once; adopts live trainers, marks dead ones interrupted. */
  ready(): Promise<void> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private async load(): Promise<void> {
    await mkdir(this.runsDir, { recursive: true });
    for (const dir of await listRecordDirs(this.runsDir)) {
      const rec = await readRecord(dir);
      if (!rec) continue;
      this.records.set(rec.run.id, rec);
      if (!ACTIVE.includes(rec.run.status)) continue;
      if (rec.pid !== null && rec.phase === 'train' && pidAlive(rec.pid, dir)) {
        // Still training: follow its files from where they are now, after replaying what was missed.
        const file = path.join(dir, STDOUT_FILE);
        const { events } = await readEvents(file);
        let run = rec.run;
        for (const e of events) run = applyEvent(run, e);
        rec.run = run;
        const size = (await stat(file).catch(() => null))?.size ?? 0;
        const logSize = (await stat(path.join(dir, LOG_FILE)).catch(() => null))?.size ?? 0;
        this.live.set(rec.run.id, this.newLive(null, dir, size, logSize));
        const terminal = events.find((e) => e.event === 'finished' || e.event === 'cancelled' || e.event === 'failed');
        if (terminal) this.live.get(rec.run.id)!.terminal = terminal;
        await this.save(rec);
        this.ensurePolling();
        continue;
      }
      if (rec.pid !== null && rec.phase === 'prepare') {
        try {
          process.kill(rec.pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      const { events } = await readEvents(path.join(dir, STDOUT_FILE));
      let run = rec.run;
      for (const e of events) run = applyEvent(run, e);
      const terminal = [...events].reverse().find((e) => e.event === 'finished' || e.event === 'cancelled' || e.event === 'failed');
      rec.run = run;
      rec.pid = null;
      rec.phase = null;
      if (terminal?.event === 'finished' && rec.run.status === 'running') {
        await this.finishRun(rec, terminal, [...events].reverse().find((e) => e.event === 'exported')?.dir ?? null);
      } else {
        await this.setStatus(rec, 'interrupted', `the trainer stopped while the engine was not running; resume continues from ${rec.run.checkpoint_step !== null ? `step ${rec.run.checkpoint_step}` : 'the start (no checkpoint yet)'}`);
      }
    }
    await this.startQueued();
  }

  // ---------------------------------------------------------------------------------------------
  // Doctor and checks

  async pythonSetting(): Promise<string | null> {
    const s = await this.opts.registry().settings.load();
    const t = (s as Record<string, unknown>).training as { python?: unknown } | undefined;
    return typeof t?.python === 'string' && t.python.length > 0 ? t.python : null;
  }

  async setPython(python: string | null): Promise<void> {
    await this.opts.registry().settings.update((s) => {
      const prev = ((s as Record<string, unknown>).training ?? {}) as Record<string, unknown>;
      return { ...s, training: { ...prev, python } };
    });
  }

  /** The doctor's report; `fresh` false reuses one younger than a minute (start checks this way). */
  async doctor(fresh = true): Promise<TrainDoctor> {
    const setting = await this.pythonSetting();
    if (!fresh && this.lastDoctor && this.lastDoctor.setting === setting && Date.now() - this.lastDoctor.at < 60_000) return this.lastDoctor.report;
    await mkdir(this.runsDir, { recursive: true });
    const report = await findTrainerPython(setting, this.runsDir);
    this.lastDoctor = { at: Date.now(), setting, report };
    return report;
  }

  checkData(req: { data: TrainData; rooms?: TrainRoomsInput }): Promise<DataCheck> {
    return checkData(req.data, this.opts.dataDir, TrainRoomsSchema.parse(req.rooms ?? { source: 'simulated' }));
  }

  /** Rooms (an IR folder, or a simulated array: its spec is validated here too). `rate`: the run's model rate. */
  checkRooms(req: { rooms: unknown; rate?: number }): Promise<DataCheck> {
    return checkRooms(req.rooms, this.opts.dataDir, req.rate ?? 16000);
  }

  // ---------------------------------------------------------------------------------------------
  // Queries

  async list(): Promise<TrainRun[]> {
    await this.ready();
    return [...this.records.values()].map((r) => r.run).sort((a, b) => b.created.localeCompare(a.created));
  }

  private get(id: string): RunRecord {
    const rec = this.records.get(id);
    if (!rec) throw new S5Error('not_found', `no training run '${id}' in ${this.runsDir}${this.records.size ? ` (runs: ${[...this.records.keys()].join(', ')})` : ''}`);
    return rec;
  }

  async detail(id: string): Promise<TrainRunDetail> {
    await this.ready();
    const rec = this.get(id);
    const { events } = await readEvents(await eventFile(rec.run.dir));
    return { run: rec.run, ...curves(events), log: await tailLines(path.join(rec.run.dir, LOG_FILE), 40) };
  }

  // ---------------------------------------------------------------------------------------------
  // Start

  private newRunId(name: string | undefined, kind: TrainKind): string {
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const base = (name ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 24) || 'ft';
    let id = `${base}-${kind === 'tagger' ? 'tag' : 'sep'}-${stamp}`;
    for (let k = 2; this.records.has(id); k++) id = `${base}-${kind === 'tagger' ? 'tag' : 'sep'}-${stamp}-${k}`;
    return id;
  }

  /** Config, prepare steps and base label for one kind of a request. */
  private async plan(req: TrainRequestParsed, kind: TrainKind, dir: string) {
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
        ? (await this.opts.registry().require(req.base.id)).manifest.sample_rate
        : runSampleRate(req.size);
      const bank = await arrayBankPlan(this.opts.dataDir, req.rooms.array, rate, req.rooms.bank);
      roomsBank = bank.dir;
      if (!bank.ready) prepare.push(bank.build);
    }
    if (req.data.source === 'folder') {
      library = path.join(this.opts.dataDir, 'libraries', path.basename(req.data.path).toLowerCase().replace(/[^a-z0-9]+/g, '-') || 'user');
      prepare.push(['library', 'build', '--out', library, '--user', `${req.data.path}:target`]);
    }
    let init: string | undefined;
    let base: TrainRun['base'] = { label: 'new model (random weights)', metrics: null };
    if (req.base.from === 'run') {
      const from = this.get(req.base.run);
      if (from.run.kind !== kind) throw new S5Error('invalid_request', `run '${req.base.run}' trained a ${from.run.kind}; it cannot be the base of a ${kind}`);
      const best = path.join(from.run.dir, 'checkpoints', 'best.pt');
      const last = path.join(from.run.dir, 'checkpoints', 'last.pt');
      init = (await stat(best).catch(() => null)) ? best : last;
      if (!(await stat(init).catch(() => null))) throw new S5Error('bad_input', `run '${req.base.run}' has no checkpoint to start from (${best})`, best);
      base = { label: `run ${from.run.id}${from.run.model_id ? ` (model ${from.run.model_id})` : ''}`, metrics: from.run.metrics };
    } else if (req.base.from === 'file') {
      if (!(await stat(req.base.path).catch(() => null))) throw new S5Error('not_found', 'no such checkpoint file', req.base.path);
      init = req.base.path;
      base = { label: path.basename(req.base.path), metrics: null };
    } else if (req.base.from === 'model') {
      const from = await baseModelWeights(this.opts.registry(), req.base.id, kind, this.opts.dataDir);
      init = from.weights;
      if (!from.cached) prepare.unshift(from.recover);
      base = { label: `model ${from.manifest.id} (${from.manifest.name})`, metrics: null };
      const config = buildConfig(req, kind, { dataDir: this.opts.dataDir, roomsBank, library, init });
      // The architecture is the base model's; its size overrides come from the recovered file
      // (the trainer adopts them), and the folded BatchNorms stay frozen.
      config.model = { arch: from.manifest.architecture, init, freeze_bn: true };
      return { config, prepare, base };
    }
    const config = buildConfig(req, kind, { dataDir: this.opts.dataDir, roomsBank, library, init });
    return { config, prepare, base };
  }

  async start(raw: unknown): Promise<TrainRun[]> {
    await this.ready();
    const req = TrainRequestSchema.parse(raw);
    this.assertCanStart();
    const doctor = await this.doctor(false);
    if (!doctor.python) throw new S5Error('unsupported', `no Python with PyTorch to train with:\n  ${doctor.problems.join('\n  ')}`);
    if (req.device === 'cuda' && !doctor.cuda_available) throw new S5Error('unsupported', `device 'cuda' was asked for but ${doctor.python} sees no usable GPU (${doctor.summary}); choose CPU or auto`);
    const check = await this.checkData(req);
    const rooms = await this.checkRooms({ rooms: req.rooms, rate: runSampleRate(req.size) });
    if (!check.ok || !rooms.ok) {
      const lines = [...check.errors, ...rooms.errors, ...[...check.unreadable, ...rooms.unreadable].map((u) => `${u.file}: ${u.reason}`)];
      throw new S5Error('bad_input', `the run was not started; fix the data first:\n  ${lines.join('\n  ')}`);
    }
    const kinds: TrainKind[] = req.target === 'both' ? ['tagger', 'separator'] : [req.target];
    const group = kinds.length > 1 ? `group-${Date.now()}` : null;
    const created: RunRecord[] = [];
    for (const kind of kinds) {
      const id = this.newRunId(req.name, kind);
      const dir = path.join(this.runsDir, id);
      const { config, prepare, base } = await this.plan(req, kind, dir);
      await mkdir(dir, { recursive: true });
      await writeJsonAtomic(path.join(dir, CONFIG_FILE), config);
      const t = now();
      const rec: RunRecord = {
        run: {
          id, name: req.name ?? id, dir, kind, status: 'queued', message: null, created: t, updated: t,
          step: 0, total: req.budget.steps, checkpoint_step: null, loss: null, samples_per_s: null, eta_s: null,
          device: null, resumable: false, model_id: null, metrics: null, base, origin: 'studio', request: req,
          deadline: null,
        },
        pid: null, phase: null, python: doctor.python, group, elapsed_ms: 0, prepare, prepared: prepare.length === 0,
      };
      this.records.set(id, rec);
      await this.save(rec);
      created.push(rec);
    }
    await this.launch(created[0], false);
    return created.map((r) => r.run);
  }

  private assertCanStart(except?: string): void {
    const active = [...this.records.values()].filter((r) => ACTIVE.includes(r.run.status) && r.run.id !== except);
    if (active.length >= (this.opts.maxActive ?? 1)) {
      throw new S5Error('invalid_request', `run '${active[0].run.id}' is ${active[0].run.status}; one run at a time — cancel it or wait until it ends`);
    }
  }

  private newLive(child: ChildProcess | null, dir: string, outFrom = 0, logFrom = 0): Live {
    return {
      child, out: new LineTail(path.join(dir, STDOUT_FILE), outFrom), log: new LineTail(path.join(dir, LOG_FILE), logFrom),
      intent: null, terminal: null, exported: null, killTimer: null, startedAt: Date.now(), exit: null,
    };
  }

  /** Runs the preparation steps (if any), then the trainer. `resume`: continue from last.pt. */
  private async launch(rec: RunRecord, resume: boolean, maxSteps?: number, message: string | null = null): Promise<void> {
    const dir = rec.run.dir;
    const python = rec.python ?? (await this.doctor(false)).python;
    if (!python) throw new S5Error('unsupported', 'no Python with PyTorch to train with (see Train → device check)');
    rec.python = python;
    const req = rec.run.request ? TrainRequestSchema.parse(rec.run.request) : null;
    const outSize = (await stat(path.join(dir, STDOUT_FILE)).catch(() => null))?.size ?? 0;
    const logSize = (await stat(path.join(dir, LOG_FILE)).catch(() => null))?.size ?? 0;
    const live = this.newLive(null, dir, outSize, logSize);
    this.live.set(rec.run.id, live);
    rec.run.message = message;
    if (!rec.prepared) {
      await this.setStatus(rec, 'preparing', 'preparing data and rooms');
      for (const argv of rec.prepare) {
        const code = await this.runStep(rec, live, python, argv);
        if (live.intent === 'cancel') return this.ended(rec, live, 'cancelled', 'cancelled while preparing the data');
        if (code !== 0) return this.ended(rec, live, 'failed', `preparing the data failed (s5trainer ${argv.slice(0, 2).join(' ')} exited with ${code}); see the log`);
      }
      rec.prepared = true;
    }
    const args = ['-m', 's5trainer', 'train', '--workdir', dir, '--device', req?.device ?? 'auto'];
    const hasLast = await stat(path.join(dir, 'checkpoints', 'last.pt')).catch(() => null);
    if (resume && hasLast) {
      args.push('--resume');
    } else {
      // Fresh start (also a resume before the first checkpoint): the trainer refuses an old run.json.
      await unlink(path.join(dir, 'run.json')).catch(() => undefined);
      args.push('--config', path.join(dir, CONFIG_FILE));
    }
    if (maxSteps !== undefined) args.push('--max-steps', String(maxSteps));
    const out = openSync(path.join(dir, STDOUT_FILE), 'a');
    const err = openSync(path.join(dir, LOG_FILE), 'a');
    let child: ChildProcess;
    try {
      child = spawn(python, args, { cwd: trainerDir(), env: trainerEnv(), detached: true, stdio: ['ignore', out, err] });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    live.child = child;
    live.startedAt = Date.now();
    child.on('error', (e) => {
      live.exit = { code: null, signal: null };
      rec.run.message = `cannot start ${python}: ${e.message}`;
    });
    child.on('exit', (code, signal) => {
      live.exit = { code, signal };
    });
    rec.pid = child.pid ?? null;
    rec.phase = 'train';
    const minutes = req?.budget.kind === 'minutes' ? req.budget.minutes : null;
    rec.run.deadline = minutes !== null && maxSteps === undefined ? new Date(Date.now() + Math.max(0, minutes * 60_000 - rec.elapsed_ms)).toISOString() : rec.run.deadline;
    await this.setStatus(rec, 'running', message);
    this.ensurePolling();
  }

  /** One preparation command; its output goes to the run's log. Resolves with the exit code. */
  private runStep(rec: RunRecord, live: Live, python: string, argv: string[]): Promise<number | null> {
    return new Promise((resolve) => {
      const err = openSync(path.join(rec.run.dir, LOG_FILE), 'a');
      let child: ChildProcess;
      try {
        child = spawn(python, ['-m', 's5trainer', ...argv], { cwd: trainerDir(), env: trainerEnv(), stdio: ['ignore', err, err] });
      } finally {
        closeSync(err);
      }
      live.child = child;
      rec.pid = child.pid ?? null;
      rec.phase = 'prepare';
      void this.save(rec);
      this.ensurePolling();
      child.on('error', () => resolve(null));
      child.on('exit', (code) => {
        live.child = null;
        resolve(code);
      });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Following

  private ensurePolling(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.poll(), this.opts.pollMs ?? 200);
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      for (const [id, live] of [...this.live]) {
        const rec = this.records.get(id);
        if (!rec) continue;
        await this.drain(rec, live);
        if (rec.phase !== 'train') continue;
        if (rec.run.deadline && live.intent === null && Date.now() >= Date.parse(rec.run.deadline)) {
          live.intent = 'budget';
          this.signal(rec, live, 'SIGTERM');
          rec.run.message = 'time budget spent: stopping, then validating and exporting';
          this.emitRun(rec);
        }
        const gone = live.child ? live.exit !== null : rec.pid === null || !pidAlive(rec.pid, rec.run.dir);
        if (gone) {
          await this.drain(rec, live);
          await this.processEnded(rec, live);
        }
      }
      if (this.live.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    } finally {
      this.polling = false;
    }
  }

  /** Reads new stdout events and log lines; applies and streams them. */
  private async drain(rec: RunRecord, live: Live): Promise<void> {
    const lines = await live.out.read();
    let changed = false;
    for (const line of lines) {
      let e: TrainerEvent;
      try {
        e = parseTrainerEvent(line);
      } catch {
        this.opts.emit('trainLog', { run: rec.run.id, lines: [`(engine) ignored a stdout line that is not a protocol event: ${line.slice(0, 200)}`] });
        continue;
      }
      rec.run = applyEvent(rec.run, e);
      if (e.event === 'exported') live.exported = e.dir;
      if (e.event === 'finished' || e.event === 'cancelled' || e.event === 'failed') live.terminal = e;
      if (e.event === 'checkpoint' || e.event === 'started' || e.event === 'validation') changed = true;
      this.opts.emit('trainEvent', { run: rec.run.id, event: e });
    }
    if (lines.length) {
      this.emitRun(rec);
      if (changed) await this.save(rec);
    }
    const log = await live.log.read();
    if (log.length) this.opts.emit('trainLog', { run: rec.run.id, lines: log.slice(-200) });
  }

  /** The trainer process is gone: decide the run's status from its last event and why it stopped. */
  private async processEnded(rec: RunRecord, live: Live): Promise<void> {
    if (live.killTimer) clearTimeout(live.killTimer);
    rec.elapsed_ms += Date.now() - live.startedAt;
    const t = live.terminal;
    if (t?.event === 'finished') return this.finishRun(rec, t, live.exported);
    if (t?.event === 'failed') return this.ended(rec, live, 'failed', `${t.error} [${t.code}]`);
    if (t?.event === 'cancelled' && live.intent === 'budget') {
      // Finish at the step reached: --resume --max-steps=step validates, exports and emits `finished`.
      this.live.delete(rec.run.id);
      await this.launch(rec, true, t.step, `time budget spent at step ${t.step}: validating and exporting`);
      return;
    }
    if (t?.event === 'cancelled' && live.intent === 'shutdown') {
      return this.ended(rec, live, 'interrupted', `stopped when the app closed at step ${t.step}; resume continues from there`);
    }
    if (t?.event === 'cancelled') return this.ended(rec, live, 'cancelled', `cancelled at step ${t.step}`);
    if (live.intent === 'cancel') return this.ended(rec, live, 'cancelled', `cancelled (the trainer was killed after the grace period); resume continues from ${this.fromWhere(rec)}`);
    const how = live.exit
      ? live.exit.signal ? `was killed (${live.exit.signal})` : `exited with code ${live.exit.code}`
      : 'stopped (the engine had restarted meanwhile)';
    return this.ended(rec, live, 'interrupted', `the trainer ${how} without finishing; resume continues from ${this.fromWhere(rec)}`);
  }

  private fromWhere(rec: RunRecord): string {
    return rec.run.checkpoint_step !== null ? `step ${rec.run.checkpoint_step}` : 'the start (no checkpoint was written)';
  }

  private async ended(rec: RunRecord, live: Live, status: TrainRun['status'], message: string): Promise<void> {
    if (live.killTimer) clearTimeout(live.killTimer);
    this.live.delete(rec.run.id);
    rec.pid = null;
    rec.phase = null;
    rec.run.eta_s = null;
    if (status === 'cancelled' && rec.group) {
      for (const other of this.records.values()) {
        if (other.group === rec.group && other.run.status === 'queued') await this.setStatus(other, 'cancelled', `not started: run '${rec.run.id}' was cancelled`);
      }
    }
    await this.setStatus(rec, status, message);
    if (!this.closed) await this.startQueued();
  }

  private async finishRun(rec: RunRecord, t: Extract<TrainerEvent, { event: 'finished' }>, exported: string | null): Promise<void> {
    const live = this.live.get(rec.run.id) ?? this.newLive(null, rec.run.dir);
    let message = `finished at step ${t.step}`;
    if (exported) {
      try {
        const req = rec.run.request ? TrainRequestSchema.safeParse(rec.run.request) : null;
        if (req?.success && isArrayRooms(req.data.rooms)) await markArrayModel(exported, req.data.rooms.array);
        const entry = await this.opts.registry().importModel(exported, { force: true });
        rec.run.model_id = entry.manifest?.id ?? entry.id;
        message += `; model '${rec.run.model_id}' added to the model library`;
      } catch (e) {
        message += `; the exported model could not be registered: ${(e as Error).message}`;
      }
    } else {
      message += '; no exported model (export.on_finish was off)';
    }
    rec.run.step = t.step;
    rec.run.deadline = null;
    await this.ended(rec, live, 'finished', message);
  }

  private async startQueued(): Promise<void> {
    if ([...this.records.values()].some((r) => ACTIVE.includes(r.run.status))) return;
    const next = [...this.records.values()].filter((r) => r.run.status === 'queued').sort((a, b) => a.run.created.localeCompare(b.run.created))[0];
    if (next) {
      try {
        await this.launch(next, false);
      } catch (e) {
        await this.setStatus(next, 'failed', (e as Error).message);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Control

  private signal(rec: RunRecord, live: Live, sig: NodeJS.Signals): void {
    const pid = live.child?.pid ?? rec.pid;
    if (!pid) return;
    try {
      // SIGTERM to the trainer only (it checkpoints and stops its loader workers); SIGKILL to its whole group.
      process.kill(sig === 'SIGKILL' ? -pid : pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  }

  async cancel(id: string, intent: 'cancel' | 'shutdown' = 'cancel'): Promise<TrainRun> {
    await this.ready();
    const rec = this.get(id);
    if (rec.run.status === 'queued') {
      await this.setStatus(rec, 'cancelled', 'cancelled before it started');
      return rec.run;
    }
    const live = this.live.get(id);
    if (!live || !ACTIVE.includes(rec.run.status)) throw new S5Error('invalid_request', `run '${id}' is ${rec.run.status}, not running`);
    live.intent = intent;
    this.signal(rec, live, 'SIGTERM');
    live.killTimer = setTimeout(() => this.signal(rec, live, 'SIGKILL'), (this.opts.killAfterS ?? 30) * 1000);
    rec.run.message = 'stopping: the trainer writes a checkpoint first';
    this.emitRun(rec);
    return rec.run;
  }

  async resume(id: string, maxSteps?: number): Promise<TrainRun> {
    await this.ready();
    const rec = this.get(id);
    if (!['cancelled', 'interrupted', 'failed'].includes(rec.run.status) && !(rec.run.status === 'finished' && maxSteps)) {
      throw new S5Error('invalid_request', `run '${id}' is ${rec.run.status}; only cancelled, interrupted or failed runs can be resumed (a finished run with more steps)`);
    }
    if (rec.run.origin === 'imported' || !rec.run.request) throw new S5Error('unsupported', `run '${id}' was imported; resume it where it was made (\`s5trainer train --workdir ${rec.run.dir} --resume\`)`);
    this.assertCanStart(id);
    if (maxSteps) rec.run.total = maxSteps;
    await this.launch(rec, true, maxSteps);
    return rec.run;
  }

  async remove(id: string): Promise<void> {
    await this.ready();
    const rec = this.get(id);
    if (ACTIVE.includes(rec.run.status)) throw new S5Error('invalid_request', `run '${id}' is ${rec.run.status}; cancel it first`);
    this.records.delete(id);
    await rm(rec.run.dir, { recursive: true, force: true });
  }

  async activate(id: string): Promise<{ tagger: string | null; separator: string | null }> {
    await this.ready();
    const rec = this.get(id);
    if (!rec.run.model_id) throw new S5Error('invalid_request', `run '${id}' has no registered model (${rec.run.status})`);
    // A tagger + separator trained together (target 'both') are activated as a pair: they share rate and window.
    const partner = rec.group
      ? [...this.records.values()].find((r) => r.group === rec.group && r.run.id !== id && r.run.model_id && r.run.kind !== rec.run.kind)
      : undefined;
    return this.opts.registry().activate(partner?.run.model_id ? [rec.run.model_id, partner.run.model_id] : [rec.run.model_id]);
  }

  /** Registers a run folder made elsewhere: reads its run.json and replays its events.jsonl. */
  async importRun(source: string): Promise<TrainRun> {
    await this.ready();
    const dir = path.resolve(source);
    const { events, bad } = await readEvents(path.join(dir, 'events.jsonl'));
    if (events.length === 0) {
      throw new S5Error('bad_input', `no trainer events in events.jsonl${bad ? ` (${bad} lines do not parse as protocol events)` : ''}; import a folder written by \`s5trainer train --workdir\``, dir);
    }
    const started = events.find((e): e is Extract<TrainerEvent, { event: 'started' }> => e.event === 'started');
    const id = (events[0].run.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^[^a-z0-9]+/, '') || 'imported').slice(0, 56);
    let unique = id;
    for (let k = 2; this.records.has(unique); k++) unique = `${id}-${k}`;
    const t = now();
    let run: TrainRun = {
      id: unique, name: events[0].run, dir, kind: started?.kind ?? 'separator', status: 'interrupted', message: null, created: events[0].time, updated: t,
      step: 0, total: started?.total ?? 0, checkpoint_step: null, loss: null, samples_per_s: null, eta_s: null, device: started?.device ?? null,
      resumable: false, model_id: null, metrics: null, base: { label: 'imported run', metrics: null }, origin: 'imported', request: null, deadline: null,
    };
    for (const e of events) run = applyEvent(run, e);
    const last = [...events].reverse().find((e) => e.event === 'finished' || e.event === 'cancelled' || e.event === 'failed');
    const rec: RunRecord = { run, pid: null, phase: null, python: null, group: null, elapsed_ms: 0, prepare: [], prepared: true };
    this.records.set(unique, rec);
    const exported = [...events].reverse().find((e) => e.event === 'exported');
    if (last?.event === 'finished') {
      await this.finishRun(rec, last, exported?.event === 'exported' && (await stat(exported.dir).catch(() => null)) ? exported.dir : null);
    } else {
      await this.setStatus(rec, last?.event === 'failed' ? 'failed' : last?.event === 'cancelled' ? 'cancelled' : 'interrupted', `imported from ${dir}${bad ? ` (${bad} unreadable event lines skipped)` : ''}`);
    }
    return rec.run;
  }

  async command(raw: unknown, gpusPerNode: number, nodes: number): Promise<{ config: Record<string, unknown>; configJson: string; command: string }> {
    await this.ready();
    const req = TrainRequestSchema.parse(raw);
    const kind: TrainKind = req.target === 'tagger' ? 'tagger' : 'separator';
    const { config } = await this.plan(req, kind, path.join(this.runsDir, 'RUN_NAME'));
    const doctor = await this.doctor(false).catch(() => null);
    const command = torchrunCommand({
      configFile: 'config.json', workdir: path.join('runs', 'RUN_NAME'), trainerDir: trainerDir(), gpusPerNode, nodes,
      device: req.device === 'auto' ? (gpusPerNode > 1 || doctor?.cuda_available ? 'cuda' : 'auto') : req.device,
      extraArgs: doctor?.torchrun_extra_args ?? [],
    });
    return { config, configJson: JSON.stringify(config, null, 2), command };
  }

  // ---------------------------------------------------------------------------------------------
  // State

  private async setStatus(rec: RunRecord, status: TrainRun['status'], message: string | null): Promise<void> {
    rec.run.status = status;
    rec.run.message = message;
    rec.run.updated = now();
    rec.run.resumable = (status === 'cancelled' || status === 'interrupted' || status === 'failed') && rec.run.origin === 'studio';
    await this.save(rec);
    this.emitRun(rec);
  }

  private emitRun(rec: RunRecord): void {
    this.opts.emit('trainRun', { run: rec.run });
  }

  private async save(rec: RunRecord): Promise<void> {
    if (!(await stat(rec.run.dir).catch(() => null))) return; // deleted meanwhile
    await writeJsonAtomic(path.join(rec.run.dir, STUDIO_FILE), rec);
  }

  /** Stops following (what an engine crash amounts to): trainers keep running and are adopted later. */
  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const live of this.live.values()) if (live.killTimer) clearTimeout(live.killTimer);
  }

  /** Orderly shutdown: active trainers checkpoint and stop (SIGTERM), their runs are marked interrupted. */
  async dispose(timeoutMs = 20_000): Promise<void> {
    const active = [...this.live.keys()];
    for (const id of active) await this.cancel(id, 'shutdown').catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (this.live.size > 0 && Date.now() < deadline) {
      await this.poll();
      await new Promise((r) => setTimeout(r, 100));
    }
    for (const [id, live] of this.live) {
      const rec = this.records.get(id);
      if (rec) this.signal(rec, live, 'SIGKILL');
    }
    this.close();
  }
}

