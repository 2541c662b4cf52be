/**
 * `EngineHost` owns the engine process on behalf of one shell (Electron main, the web bridge, a
 * test). It starts the process through a pluggable launcher (Electron `utilityProcess.fork` in the
 * app, `child_process.fork` under Node — see node-launcher.ts), forwards calls and events, and
 * survives the engine's death:
 *   - every call in flight when the process exits resolves `{ok:false, error:{code:'engine_crashed'}}`
 *     naming the call and the exit code or signal;
 *   - listeners get `engineStatus` events: 'crashed' (with failedMethods), 'restarting', 'ready';
 *   - the process is restarted with exponential backoff; after `maxCrashes` crashes within
 *     `crashWindowMs` it gives up with a 'failed' status and every call fails with that reason.
 * Calls made while the engine (re)starts wait for it to be ready. Nothing here imports electron.
 */
import { EventListeners, type EngineEventListener } from '../shared/event-listeners';
import {
  S5_EVENTS,
  SHELL_METHODS,
  type CallReply,
  type S5EventName,
  type S5EventPayload,
  type S5MethodName,
} from '../shared/api';
import type { Transport } from '../shared/client';
import { S5Error, toErrorData, type ErrorCode } from '../shared/errors';
import { parseEngineMessage, type HostToEngine } from '../shared/engine-protocol';

export interface EngineExit {
  code: number | null;
  signal: string | null;
}

/** What the host needs from a running engine process, whatever started it. */
export interface EngineProcess {
  /** Undefined until the OS process exists (utilityProcess) or after it exited. */
  readonly pid: number | undefined;
  /** Structured-clone send; throws when the message cannot be cloned or the channel is closed. */
  postMessage(message: HostToEngine): void;
  onMessage(listener: (message: unknown) => void): void;
  onExit(listener: (exit: EngineExit) => void): void;
  /** Asks the process to stop (SIGTERM); the host escalates to SIGKILL after a grace period. */
  kill(): void;
}

/** Starts one engine process; `starts` is 1 for the first process of the session, 2 after one restart … */
export type EngineLauncher = (starts: number) => EngineProcess;

export interface EngineHostOptions {
  launch: EngineLauncher;
  /** How long a new process may take to say 'ready' before it counts as a failed start. */
  readyTimeoutMs?: number;
  /** First restart delay; doubles with every crash in the window, capped by `maxRestartDelayMs`. */
  restartDelayMs?: number;
  maxRestartDelayMs?: number;
  /** Give up after this many crashes within `crashWindowMs`. */
  maxCrashes?: number;
  crashWindowMs?: number;
  /** Where the host logs what it cannot report to a caller (default: stderr). */
  log?: (line: string) => void;
}

export type HostListener = EngineEventListener;
export type HostState = 'idle' | 'starting' | 'ready' | 'restarting' | 'failed' | 'disposed';

interface PendingCall {
  method: string;
  resolve: (reply: CallReply) => void;
}

const KILL_GRACE_MS = 3000;
const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const errorReply = (code: ErrorCode, message: string): CallReply => ({ ok: false, error: { code, message } });

export function describeExit(exit: EngineExit): string {
  return exit.signal ? `signal ${exit.signal}` : `exit code ${String(exit.code)}`;
}

export class EngineHost {
  private readonly opts: Required<Omit<EngineHostOptions, 'launch'>> & Pick<EngineHostOptions, 'launch'>;
  private readonly listeners = new EventListeners((err) =>
    this.opts.log(`[s5 engine host] an event listener threw: ${messageOf(err)}`),
  );
  private readonly pending = new Map<number, PendingCall>();
  private proc: EngineProcess | null = null;
  private readyPromise: Promise<void> | null = null;
  private crashTimes: number[] = [];
  private nextId = 1;
  private startCount = 0;
  private currentState: HostState = 'idle';
  private failure: string | null = null;

  constructor(options: EngineHostOptions) {
    this.opts = {
      readyTimeoutMs: 30_000,
      restartDelayMs: 250,
      maxRestartDelayMs: 8000,
      maxCrashes: 5,
      crashWindowMs: 60_000,
      log: (line) => process.stderr.write(`${line}\n`),
      ...options,
    };
  }

  /** A method, not a field test: the state changes across awaits, so no narrowing may stick. */
  private isDisposed(): boolean {
    return this.currentState === 'disposed';
  }

  get state(): HostState {
    return this.currentState;
  }

  /** The engine's pid while it runs. */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /** How many engine processes this host has launched. */
  get starts(): number {
    return this.startCount;
  }

  /** Starts the engine (idempotent); resolves when it is ready, rejects if the host gave up. */
  start(): Promise<void> {
    if (this.isDisposed()) return Promise.reject(new S5Error('cancelled', 'the engine host was shut down'));
    if (!this.readyPromise) this.readyPromise = this.guard(this.bootstrap());
    return this.readyPromise;
  }

  subscribe(listener: HostListener): () => void {
    return this.listeners.add(listener);
  }

  /** Sends one call to the engine. Never rejects: failures come back as `{ok:false}` replies. */
  async call(method: string, arg: unknown): Promise<CallReply> {
    const ready = await this.readyProcess();
    if ('reply' in ready) return ready.reply;
    const { proc } = ready;
    const id = this.nextId++;
    return new Promise<CallReply>((resolve) => {
      this.pending.set(id, { method, resolve });
      try {
        proc.postMessage({ type: 'call', id, method, arg });
      } catch (err) {
        this.pending.delete(id);
        const reason = err instanceof Error ? err.message : String(err);
        resolve(errorReply('invalid_request', `the argument of ${method} cannot be sent to the engine: ${reason}`));
      }
    });
  }

  /** Stops the engine for good; calls in flight resolve 'cancelled'. */
  async dispose(): Promise<void> {
    if (this.isDisposed()) return;
    this.currentState = 'disposed';
    this.failPending('cancelled', () => 'the engine was shut down');
    const proc = this.proc;
    this.proc = null;
    if (proc) await stopProcess(proc);
  }

  // ---- process lifecycle -------------------------------------------------------------------

  /** Waits until a process is ready, across restarts; an error reply if there will be none. */
  private async readyProcess(): Promise<{ proc: EngineProcess } | { reply: CallReply }> {
    for (;;) {
      if (this.isDisposed()) return { reply: errorReply('cancelled', 'the engine was shut down') };
      const ready = this.readyPromise ?? this.start();
      try {
        await ready;
      } catch {
        return { reply: errorReply('engine_crashed', this.failure ?? 'the engine could not be started') };
      }
      if (this.proc && this.currentState === 'ready') return { proc: this.proc };
      if (ready === this.readyPromise) await delay(5); // exit seen, restart not yet scheduled
    }
  }

  private async bootstrap(): Promise<void> {
    this.setState('starting', 'starting the engine');
    try {
      await this.spawn();
      this.setState('ready', `engine ready (pid ${String(this.proc?.pid)})`);
    } catch (err) {
      this.emitStatus('crashed', `the engine failed to start: ${messageOf(err)}`, []);
      await this.recover();
    }
  }

  /** Restarts with backoff until a process is ready or the crash budget is spent. */
  private async recover(): Promise<void> {
    for (;;) {
      if (this.isDisposed()) throw new S5Error('cancelled', 'the engine host was shut down');
      const recent = this.recordCrash();
      if (recent >= this.opts.maxCrashes) {
        const windowSec = Math.round(this.opts.crashWindowMs / 1000);
        this.failure = `the engine crashed ${recent} times within ${windowSec} s and is no longer restarted; restart S5 Studio`;
        this.setState('failed', this.failure);
        throw new S5Error('engine_crashed', this.failure);
      }
      const wait = Math.min(this.opts.restartDelayMs * 2 ** (recent - 1), this.opts.maxRestartDelayMs);
      const budget = `gives up at ${this.opts.maxCrashes} within ${Math.round(this.opts.crashWindowMs / 1000)} s`;
      this.setState('restarting', `restarting the engine in ${wait} ms (crash ${recent}; ${budget})`);
      await delay(wait);
      if (this.isDisposed()) throw new S5Error('cancelled', 'the engine host was shut down');
      try {
        await this.spawn();
        this.setState('ready', `engine restarted (pid ${String(this.proc?.pid)}, start ${this.startCount})`);
        return;
      } catch (err) {
        this.emitStatus('crashed', `the engine failed to restart: ${messageOf(err)}`, []);
      }
    }
  }

  /** Launches one process; resolves on its 'ready' message, rejects on early exit or timeout. */
  private spawn(): Promise<void> {
    this.startCount += 1;
    const proc = this.opts.launch(this.startCount);
    this.proc = proc;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      const settle = (err?: Error) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const timer = setTimeout(() => {
        settle(new Error(`no 'ready' message within ${this.opts.readyTimeoutMs} ms`));
        void stopProcess(proc);
      }, this.opts.readyTimeoutMs);
      proc.onMessage((raw) => this.onMessage(proc, raw, () => settle()));
      proc.onExit((exit) => {
        settle(new Error(`the process ended (${describeExit(exit)}) before it was ready`));
        this.onExit(proc, exit);
      });
    });
  }

  private onMessage(proc: EngineProcess, raw: unknown, onReady: () => void): void {
    if (proc !== this.proc) return;
    const message = parseEngineMessage(raw);
    if (!message) {
      this.opts.log('[s5 engine host] dropped a malformed message from the engine');
      return;
    }
    if (message.type === 'ready') onReady();
    else if (message.type === 'reply') this.settleCall(message.id, message.reply);
    else this.forwardEvent(message.event, message.payload);
  }

  private onExit(proc: EngineProcess, exit: EngineExit): void {
    if (proc !== this.proc) return;
    this.proc = null;
    if (this.isDisposed()) return;
    const wasReady = this.currentState === 'ready';
    const failed = this.failPending('engine_crashed', (method) =>
      `the engine stopped (${describeExit(exit)}) while running ${method}; it is being restarted`);
    if (!wasReady) return; // a failed start: bootstrap()/recover() handle it
    this.emitStatus('crashed', `the engine stopped (${describeExit(exit)})`, failed);
    this.readyPromise = this.guard(this.recover());
  }

  /** Keeps a rejected ready-promise from surfacing as an unhandled rejection. */
  private guard(p: Promise<void>): Promise<void> {
    p.catch(() => undefined);
    return p;
  }

  /** Appends now to the crash log and returns how many crashes fall inside the window. */
  private recordCrash(): number {
    const now = Date.now();
    this.crashTimes = [...this.crashTimes.filter((t) => now - t < this.opts.crashWindowMs), now];
    return this.crashTimes.length;
  }

  // ---- calls and events ----------------------------------------------------------------------

  private settleCall(id: number, reply: CallReply): void {
    const call = this.pending.get(id);
    if (!call) return;
    this.pending.delete(id);
    call.resolve(reply);
  }

  /** Resolves every pending call with an error; returns the failed methods' names. */
  private failPending(code: ErrorCode, message: (method: string) => string): string[] {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.resolve(errorReply(code, message(call.method)));
    return calls.map((c) => c.method);
  }

  private forwardEvent(event: string, payload: unknown): void {
    if (!Object.hasOwn(S5_EVENTS, event)) {
      this.opts.log(`[s5 engine host] dropped unknown event ${event}`);
      return;
    }
    const parsed = S5_EVENTS[event as S5EventName].safeParse(payload);
    if (!parsed.success) {
      this.opts.log(`[s5 engine host] dropped ${event} event that breaks the contract: ${parsed.error.message}`);
      return;
    }
    this.emit(event, parsed.data);
  }

  private setState(state: Exclude<HostState, 'idle' | 'disposed'>, message: string): void {
    if (this.isDisposed()) return;
    this.currentState = state;
    this.emitStatus(state, message, []);
  }

  private emitStatus(state: S5EventPayload<'engineStatus'>['state'], message: string, failedMethods: string[]): void {
    if (this.isDisposed()) return; // a process killed by dispose() is not a crash
    this.emit('engineStatus', { state, message, failedMethods });
  }

  private emit(event: string, payload: unknown): void {
    this.listeners.emit(event, payload);
  }
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** SIGTERM, then SIGKILL after a grace period; resolves when the process has exited. */
function stopProcess(proc: EngineProcess): Promise<void> {
  return new Promise<void>((resolve) => {
    const pid = proc.pid;
    if (pid === undefined) return resolve();
    const timer = setTimeout(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
      resolve();
    }, KILL_GRACE_MS);
    proc.onExit(() => {
      clearTimeout(timer);
      resolve();
    });
    proc.kill();
  });
}

/** Answers one of the shell's own methods (SHELL_METHODS), e.g. `pickFile`. */
export type ShellHandler = (method: S5MethodName, arg: unknown) => Promise<CallReply>;

/** Routes a call: shell methods to `shell`, everything else to the engine. Never rejects. */
export async function routeCall(host: EngineHost, shell: ShellHandler | undefined, method: string, arg: unknown): Promise<CallReply> {
  if (!SHELL_METHODS.includes(method as S5MethodName)) return host.call(method, arg);
  if (!shell) return errorReply('unsupported', `${method} is not available in this shell`);
  try {
    return await shell(method as S5MethodName, arg);
  } catch (err) {
    return { ok: false, error: toErrorData(err) };
  }
}

/** A `Transport` for `createS5Client` straight over a host (CLI, in-process tests). */
export function transportFromHost(host: EngineHost, shell?: ShellHandler): Transport {
  return {
    call: (method, arg) => routeCall(host, shell, method, arg),
    subscribe: (listener) => host.subscribe(listener),
  };
}
