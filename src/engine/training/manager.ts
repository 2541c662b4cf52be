/**
 * The run manager: the state machine and queue of fine-tuning runs. It plans a run (plan.ts),
 * starts `python -m s5trainer train` for it and follows the trainer through its files
 * (follow.ts), streams events and log to clients, and decides how the run ended — `finished`
 * (export registered in the model library), `cancelled` (SIGTERM honoured), `failed` (the trainer's
 * `failed` event), or `interrupted` (the process ended without a terminal event: killed, crashed,
 * machine off) which can be resumed from the last checkpoint.
 *
 * The trainer runs detached, so it survives an engine crash; a new engine re-reads every run
 * folder, adopts a trainer that still runs (following its files) and marks a dead one interrupted.
 * An orderly shutdown stops the trainer with SIGTERM (it checkpoints) and marks the run
 * interrupted. One run is active at a time by default; target 'both' queues the second run behind
 * the first.
 */
import { mkdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  TrainRequestSchema,
  TrainRoomsSchema,
  type DataCheck,
  type TrainData,
  type TrainRoomsInput,
  type TrainDoctor,
  type TrainPretrainedCheck,
  type TrainRun,
  type TrainRunDetail,
} from '../../shared/api-train';
import { S5Error } from '../../shared/errors';
import type { TrainerEvent } from '../../shared/trainer-events';
import { writeJsonAtomic } from '../atomic-write';
import type { ModelRegistry } from '../models/registry';
import { runSampleRate, type TrainKind } from './config';
import { checkData, checkRooms } from './data-check';
import { isTerminal, pidAlive, TrainerFollow, type StopIntent } from './follow';
import { clusterCommand, newRunId, newRunRecord, planRun, trainerArgs, type PlanContext } from './plan';
import { checkM2dWeights, requirePretrainedEncoder } from './pretrained';
import { TrainerPythonChoice } from './python';
import { importedRecord, registerExport } from './results';
import {
  CONFIG_FILE, LOG_FILE, STDOUT_FILE, applyEvent, curves, eventFile, listRecordDirs, readEvents,
  readRecord, replay, tailLines, type RunRecord, STUDIO_FILE,
} from './store';

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

const ACTIVE: TrainRun['status'][] = ['preparing', 'running'];
const now = () => new Date().toISOString();

export class TrainingManager {
  readonly runsDir: string;
  private readonly records = new Map<string, RunRecord>();
  /** The trainers being followed, by run id. */
  private readonly live = new Map<string, TrainerFollow>();
  private timer: NodeJS.Timeout | null = null;
  private loaded: Promise<void> | null = null;
  private polling = false;
  private closed = false;
  private readonly python: TrainerPythonChoice;
  private readonly planning: PlanContext;

  constructor(private readonly opts: ManagerOptions) {
    this.runsDir = path.join(opts.dataDir, 'runs');
    this.python = new TrainerPythonChoice(() => opts.registry().settings, this.runsDir);
    this.planning = { dataDir: opts.dataDir, registry: opts.registry, run: (id) => this.get(id) };
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
        const { events } = await readEvents(path.join(dir, STDOUT_FILE));
        rec.run = replay(rec.run, events);
        const follow = await TrainerFollow.fromEnd(dir);
        follow.terminal = events.find(isTerminal) ?? null;
        this.live.set(rec.run.id, follow);
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
      const terminal = [...events].reverse().find(isTerminal);
      rec.run = replay(rec.run, events);
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

  /** The trainer's Python for this machine; `fresh` false reuses a report younger than a minute. */
  doctor(fresh = true): Promise<TrainDoctor> {
    return this.python.doctor(fresh);
  }

  /** Chooses the trainer's Python (null: the candidates, as `s5 doctor` lists them). */
  setPython(python: string | null): Promise<void> {
    return this.python.set(python);
  }

  checkData(req: { data: TrainData; rooms?: TrainRoomsInput }): Promise<DataCheck> {
    return checkData(req.data, this.opts.dataDir, TrainRoomsSchema.parse(req.rooms ?? { source: 'simulated' }));
  }

  /** Rooms (an IR folder, or a simulated array: its spec is validated here too). `rate`: the run's model rate. */
  checkRooms(req: { rooms: unknown; rate?: number }): Promise<DataCheck> {
    return checkRooms(req.rooms, this.opts.dataDir, req.rate ?? 16000);
  }

  /** The official M2D-AT recipe's pretrained encoder (`path`, else `<data>/pretrained/…`), by the trainer's own check. */
  async checkPretrained(req: { path?: string }): Promise<TrainPretrainedCheck> {
    const doctor = await this.doctor(false);
    return checkM2dWeights(doctor.python, req.path, this.opts.dataDir);
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

  async start(raw: unknown): Promise<TrainRun[]> {
    await this.ready();
    const req = TrainRequestSchema.parse(raw);
    this.assertCanStart();
    const doctor = await this.doctor(false);
    if (!doctor.python) throw new S5Error('unsupported', `no Python with PyTorch to train with:\n  ${doctor.problems.join('\n  ')}`);
    if (req.device === 'cuda' && !doctor.cuda_available) throw new S5Error('unsupported', `device 'cuda' was asked for but ${doctor.python} sees no usable GPU (${doctor.summary}); choose CPU or auto`);
    await requirePretrainedEncoder(doctor.python, req, this.opts.dataDir);
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
      const id = newRunId(req.name, kind, (taken) => this.records.has(taken));
      const dir = path.join(this.runsDir, id);
      const { config, prepare, base } = await planRun(this.planning, req, kind, dir);
      await mkdir(dir, { recursive: true });
      await writeJsonAtomic(path.join(dir, CONFIG_FILE), config);
      const rec = newRunRecord(req, { id, dir, kind, base, created: now() }, { python: doctor.python, group, prepare });
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

  /** Runs the preparation steps (if any), then the trainer. `resume`: continue from last.pt. */
  private async launch(rec: RunRecord, resume: boolean, maxSteps?: number, message: string | null = null): Promise<void> {
    const dir = rec.run.dir;
    const python = rec.python ?? (await this.doctor(false)).python;
    if (!python) throw new S5Error('unsupported', 'no Python with PyTorch to train with (see Train → device check)');
    rec.python = python;
    const req = rec.run.request ? TrainRequestSchema.parse(rec.run.request) : null;
    const live = await TrainerFollow.fromEnd(dir);
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
    const args = await trainerArgs(dir, req?.device ?? 'auto', resume, maxSteps);
    const child = live.spawnTrainer(python, args, (e) => {
      rec.run.message = `cannot start ${python}: ${e.message}`;
    });
    rec.pid = child.pid ?? null;
    rec.phase = 'train';
    const minutes = req?.budget.kind === 'minutes' ? req.budget.minutes : null;
    rec.run.deadline = minutes !== null && maxSteps === undefined ? new Date(Date.now() + Math.max(0, minutes * 60_000 - rec.elapsed_ms)).toISOString() : rec.run.deadline;
    await this.setStatus(rec, 'running', message);
    this.ensurePolling();
  }

  /** One preparation command; its output goes to the run's log. Resolves with the exit code. */
  private runStep(rec: RunRecord, live: TrainerFollow, python: string, argv: string[]): Promise<number | null> {
    const { child, done } = live.spawnStep(python, argv);
    rec.pid = child.pid ?? null;
    rec.phase = 'prepare';
    void this.save(rec);
    this.ensurePolling();
    return done;
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
          live.signal(rec.pid, 'SIGTERM');
          rec.run.message = 'time budget spent: stopping, then validating and exporting';
          this.emitRun(rec);
        }
        if (live.gone(rec.pid)) {
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
  private async drain(rec: RunRecord, live: TrainerFollow): Promise<void> {
    const { lines, log } = await live.read();
    let changed = false;
    for (const line of lines) {
      if ('notEvent' in line) {
        this.opts.emit('trainLog', { run: rec.run.id, lines: [`(engine) ignored a stdout line that is not a protocol event: ${line.notEvent.slice(0, 200)}`] });
        continue;
      }
      const e = line.event;
      rec.run = applyEvent(rec.run, e);
      if (e.event === 'checkpoint' || e.event === 'started' || e.event === 'validation') changed = true;
      this.opts.emit('trainEvent', { run: rec.run.id, event: e });
    }
    if (lines.length) {
      this.emitRun(rec);
      if (changed) await this.save(rec);
    }
    if (log.length) this.opts.emit('trainLog', { run: rec.run.id, lines: log.slice(-200) });
  }

  /** The trainer process is gone: decide the run's status from its last event and why it stopped. */
  private async processEnded(rec: RunRecord, live: TrainerFollow): Promise<void> {
    live.clearTimers();
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

  private async ended(rec: RunRecord, live: TrainerFollow, status: TrainRun['status'], message: string): Promise<void> {
    live.clearTimers();
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
    const live = this.live.get(rec.run.id) ?? new TrainerFollow(rec.run.dir);
    const message = `finished at step ${t.step}; ${await registerExport(this.opts.registry(), rec, exported)}`;
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

  async cancel(id: string, intent: Exclude<StopIntent, 'budget'> = 'cancel'): Promise<TrainRun> {
    await this.ready();
    const rec = this.get(id);
    if (rec.run.status === 'queued') {
      await this.setStatus(rec, 'cancelled', 'cancelled before it started');
      return rec.run;
    }
    const live = this.live.get(id);
    if (!live || !ACTIVE.includes(rec.run.status)) throw new S5Error('invalid_request', `run '${id}' is ${rec.run.status}, not running`);
    live.stop(rec.pid, intent, (this.opts.killAfterS ?? 30) * 1000);
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
    const rec = importedRecord(dir, events, (id) => this.records.has(id), now());
    const last = [...events].reverse().find(isTerminal);
    this.records.set(rec.run.id, rec);
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
    const doctor = await this.doctor(false).catch(() => null);
    return clusterCommand(this.planning, req, path.join(this.runsDir, 'RUN_NAME'), { gpusPerNode, nodes, doctor });
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
    for (const live of this.live.values()) live.clearTimers();
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
      if (rec) live.signal(rec.pid, 'SIGKILL');
    }
    this.close();
  }
}

