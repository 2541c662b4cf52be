/**
 * Following one trainer process through its files. The trainer runs detached with stdout going to
 * `stdout.jsonl` and stderr to `trainer.log` in the run folder (a preparation step writes both to
 * the log), so it survives an engine crash. A `TrainerFollow` tails both files, parses every
 * stdout line as a protocol event (shared/trainer-events.ts), remembers the terminal event and the
 * export, sends signals and says when the process is gone: by its exit when this engine started
 * it, else by its pid. A new engine follows an adopted trainer from where its files are.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseTrainerEvent, type TrainerEvent } from '../../shared/trainer-events';
import { trainerCwd, trainerEnv } from './python';
import { LOG_FILE, LineTail, STDOUT_FILE } from './store';

/** Why the engine stops a trainer; read when the process ends. */
export type StopIntent = 'cancel' | 'budget' | 'shutdown';

/** One stdout line: a protocol event, or a line that is not one (reported, never fatal). */
export type StdoutLine = { event: TrainerEvent } | { notEvent: string };

export const isTerminal = (e: TrainerEvent): boolean => e.event === 'finished' || e.event === 'cancelled' || e.event === 'failed';

/** Whether `pid` is still the trainer of the run folder `dir` (a reused pid runs another program). */
export function pidAlive(pid: number, dir: string): boolean {
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

export class TrainerFollow {
  /** The process when this engine started it; null for an adopted trainer (followed by pid). */
  child: ChildProcess | null = null;
  intent: StopIntent | null = null;
  terminal: TrainerEvent | null = null;
  exported: string | null = null;
  killTimer: NodeJS.Timeout | null = null;
  startedAt = Date.now();
  exit: { code: number | null; signal: string | null } | null = null;
  private readonly out: LineTail;
  private readonly log: LineTail;

  /** Follows the run folder `dir` from byte offsets `outFrom` / `logFrom` of its two files. */
  constructor(readonly dir: string, outFrom = 0, logFrom = 0) {
    this.out = new LineTail(path.join(dir, STDOUT_FILE), outFrom);
    this.log = new LineTail(path.join(dir, LOG_FILE), logFrom);
  }

  /** Follows only what is appended from now on. */
  static async fromEnd(dir: string): Promise<TrainerFollow> {
    const size = async (name: string) => (await stat(path.join(dir, name)).catch(() => null))?.size ?? 0;
    return new TrainerFollow(dir, await size(STDOUT_FILE), await size(LOG_FILE));
  }

  /** Starts `python <args>` detached (its own process group), stdout and stderr appended to the run's files. */
  spawnTrainer(python: string, args: string[], onError: (e: Error) => void): ChildProcess {
    const out = openSync(path.join(this.dir, STDOUT_FILE), 'a');
    const err = openSync(path.join(this.dir, LOG_FILE), 'a');
    let child: ChildProcess;
    try {
      child = spawn(python, args, { cwd: trainerCwd(), env: trainerEnv(), detached: true, stdio: ['ignore', out, err] });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    this.child = child;
    this.startedAt = Date.now();
    child.on('error', (e) => {
      this.exit = { code: null, signal: null };
      onError(e);
    });
    child.on('exit', (code, signal) => {
      this.exit = { code, signal };
    });
    return child;
  }

  /** Runs one preparation command (`python -m s5trainer <argv>`), its output into the log; resolves with its exit code. */
  spawnStep(python: string, argv: string[]): { child: ChildProcess; done: Promise<number | null> } {
    const err = openSync(path.join(this.dir, LOG_FILE), 'a');
    let child: ChildProcess;
    try {
      child = spawn(python, ['-m', 's5trainer', ...argv], { cwd: trainerCwd(), env: trainerEnv(), stdio: ['ignore', err, err] });
    } finally {
      closeSync(err);
    }
    this.child = child;
    const done = new Promise<number | null>((resolve) => {
      child.on('error', () => resolve(null));
      child.on('exit', (code) => {
        this.child = null;
        resolve(code);
      });
    });
    return { child, done };
  }

  /** The stdout lines and log lines appended since the last read; notes the export and the terminal event. */
  async read(): Promise<{ lines: StdoutLine[]; log: string[] }> {
    const lines: StdoutLine[] = [];
    for (const line of await this.out.read()) {
      let e: TrainerEvent;
      try {
        e = parseTrainerEvent(line);
      } catch {
        lines.push({ notEvent: line });
        continue;
      }
      if (e.event === 'exported') this.exported = e.dir;
      if (isTerminal(e)) this.terminal = e;
      lines.push({ event: e });
    }
    return { lines, log: await this.log.read() };
  }

  /** Whether the process has ended (`pid`: the recorded one, for a trainer this engine did not start). */
  gone(pid: number | null): boolean {
    return this.child ? this.exit !== null : pid === null || !pidAlive(pid, this.dir);
  }

  /** SIGTERM to the trainer only (it checkpoints and stops its loader workers); SIGKILL to its whole group. */
  signal(pid: number | null, sig: NodeJS.Signals): void {
    const target = this.child?.pid ?? pid;
    if (!target) return;
    try {
      process.kill(sig === 'SIGKILL' ? -target : target, sig);
    } catch {
      try {
        process.kill(target, sig);
      } catch {
        /* already gone */
      }
    }
  }

  /** SIGTERM now, SIGKILL to the group after `killAfterMs` unless the process ended first. */
  stop(pid: number | null, intent: StopIntent, killAfterMs: number): void {
    this.intent = intent;
    this.signal(pid, 'SIGTERM');
    this.killTimer = setTimeout(() => this.signal(pid, 'SIGKILL'), killAfterMs);
  }

  clearTimers(): void {
    if (this.killTimer) clearTimeout(this.killTimer);
  }
}
