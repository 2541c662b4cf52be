/**
 * Run folders on disk: `<data>/runs/<id>/` is the trainer's `--workdir` (its own run.json,
 * config.json, events.jsonl, checkpoints/) plus what the engine adds: `studio.json` (the run as
 * the app shows it, validated on read, written to a temporary name and renamed), `stdout.jsonl`
 * (the trainer's stdout, every line a protocol event) and `trainer.log` (its stderr).
 * Replaying the events rebuilds the curves; a `started` event drops points after its step, so a
 * resumed run's curve continues from the checkpoint it resumed.
 */
import { open, readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from '../../shared/zod';
import { TrainRunSchema, type TrainRun, type TrainRunDetail } from '../../shared/api-train';
import { parseTrainerEvent, type TrainerEvent } from '../../shared/trainer-events';

export const STUDIO_FILE = 'studio.json';
export const STDOUT_FILE = 'stdout.jsonl';
export const LOG_FILE = 'trainer.log';
export const CONFIG_FILE = 'studio-config.json';

/** What the engine keeps per run beyond what the UI sees. */
export const RunRecordSchema = z.object({
  run: TrainRunSchema,
  /** The running process (trainer or a preparation step) and which it is. */
  pid: z.number().int().nullable(),
  phase: z.enum(['prepare', 'train']).nullable(),
  python: z.string().nullable(),
  /** Runs started together (target 'both'): the next one starts when this one finishes. */
  group: z.string().nullable(),
  /** Milliseconds already spent training (a minutes budget continues across resumes). */
  elapsed_ms: z.number().nonnegative(),
  /** Commands to run before training (rooms import, library build), as argv after `python -m s5trainer`. */
  prepare: z.array(z.array(z.string())),
  prepared: z.boolean(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

export async function readRecord(dir: string): Promise<RunRecord | null> {
  let text: string;
  try {
    text = await readFile(path.join(dir, STUDIO_FILE), 'utf8');
  } catch {
    return null;
  }
  const parsed = RunRecordSchema.safeParse(JSON.parse(text));
  return parsed.success ? parsed.data : null;
}

export async function listRecordDirs(runsDir: string): Promise<string[]> {
  try {
    return (await readdir(runsDir, { withFileTypes: true }))
      .filter((d) => d.isDirectory() && !d.name.startsWith('.'))
      .map((d) => path.join(runsDir, d.name));
  } catch {
    return [];
  }
}

/** The event file of a run: our copy of stdout, else the trainer's own events.jsonl (imported runs). */
export async function eventFile(dir: string): Promise<string> {
  const out = path.join(dir, STDOUT_FILE);
  return (await stat(out).catch(() => null)) ? out : path.join(dir, 'events.jsonl');
}

/** Every parseable event of the file; lines that do not parse are counted, never fatal. */
export async function readEvents(file: string): Promise<{ events: TrainerEvent[]; bad: number }> {
  let text = '';
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return { events: [], bad: 0 };
  }
  const events: TrainerEvent[] = [];
  let bad = 0;
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      events.push(parseTrainerEvent(line));
    } catch {
      bad++;
    }
  }
  return { events, bad };
}

/** Follows a growing file: each `read()` returns the complete lines appended since the last call. */
export class LineTail {
  private offset = 0;
  private rest = '';

  constructor(readonly file: string, fromEnd = 0) {
    this.offset = fromEnd;
  }

  async read(): Promise<string[]> {
    let fh;
    try {
      fh = await open(this.file, 'r');
    } catch {
      return [];
    }
    try {
      const { size } = await fh.stat();
      if (size <= this.offset) return [];
      const buf = Buffer.alloc(size - this.offset);
      const { bytesRead } = await fh.read(buf, 0, buf.length, this.offset);
      this.offset += bytesRead;
      const text = this.rest + buf.subarray(0, bytesRead).toString('utf8');
      const lines = text.split('\n');
      this.rest = lines.pop() ?? '';
      return lines.filter((l) => l.length > 0);
    } finally {
      await fh.close();
    }
  }
}

/** Last `n` lines of a text file. */
export async function tailLines(file: string, n: number): Promise<string[]> {
  try {
    const { size } = await stat(file);
    const fh = await open(file, 'r');
    try {
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').filter((l) => l.length > 0).slice(-n);
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
}

/** Applies one trainer event to the run summary (pure; the manager adds the process side). */
export function applyEvent(run: TrainRun, e: TrainerEvent): TrainRun {
  const r = { ...run, updated: e.time };
  switch (e.event) {
    case 'started':
      r.step = e.step;
      r.total = e.total;
      r.device = e.device;
      r.kind = e.kind;
      break;
    case 'progress':
      r.step = e.step;
      r.total = e.total;
      r.loss = e.loss;
      r.samples_per_s = e.samples_per_s;
      r.eta_s = e.eta_s;
      break;
    case 'validation':
      r.step = Math.max(r.step, e.step);
      r.metrics = { ca_sdri: e.ca_sdri, label_accuracy: e.label_accuracy, loss: e.loss };
      break;
    case 'checkpoint':
      if (e.kind === 'last') r.checkpoint_step = e.step;
      break;
    case 'finished':
      r.step = e.step;
      r.eta_s = 0;
      r.metrics = {
        ca_sdri: e.metrics.ca_sdri ?? null,
        label_accuracy: e.metrics.label_accuracy ?? null,
        loss: e.metrics.loss ?? null,
      };
      break;
    case 'cancelled':
      r.step = e.step;
      break;
    default:
      break;
  }
  return r;
}

/** The run summary after `events`, in order. */
export function replay(run: TrainRun, events: TrainerEvent[]): TrainRun {
  return events.reduce(applyEvent, run);
}

/** Curves from the events: loss per progress event, validation per validation event. */
export function curves(events: TrainerEvent[]): Pick<TrainRunDetail, 'loss' | 'validation'> {
  let loss: TrainRunDetail['loss'] = [];
  let validation: TrainRunDetail['validation'] = [];
  for (const e of events) {
    if (e.event === 'started') {
      loss = loss.filter((p) => p.step <= e.step);
      validation = validation.filter((p) => p.step <= e.step);
    } else if (e.event === 'progress') {
      loss.push({ step: e.step, loss: e.loss });
    } else if (e.event === 'validation') {
      validation.push({ step: e.step, ca_sdri: e.ca_sdri, system_ca_sdri: e.system_ca_sdri, label_accuracy: e.label_accuracy, loss: e.loss });
    }
  }
  return { loss, validation };
}
