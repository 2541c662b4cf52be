/**
 * The engine side of inference: starts the ONNX Runtime worker thread on first use, loads each
 * model once (sessions are cached in the worker by file + sha256 + provider + threads) and runs it,
 * moving tensors with transfer lists. The worker keeps the process alive only while a request is
 * pending, so a CLI run exits when its work is done. `dispose()` ends the worker.
 *
 * Worker script: `S5_ORT_WORKER` when set; the Vite-built `ort-worker.js` next to the bundle in
 * the app (forge.config.ts builds it); else, running from TypeScript sources (tsx, vitest),
 * worker-boot.cjs, which registers tsx in the thread and loads ort-worker.ts.
 */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { S5Error } from '../../shared/errors';
import { detectGpu, type GpuInfo, type ProviderPreference } from './providers';
import type { HostToWorker, SessionInfo, Tensor, WireTensor, WorkerFacts, WorkerReply } from './ort-protocol';

export type { Tensor } from './ort-protocol';

export interface InferenceOptions {
  /** Intra-op threads per session (default: the number of CPU cores). */
  threads?: number;
  provider?: ProviderPreference;
}

export interface RunResult {
  outputs: Tensor[];
  /** The input arrays, handed back by the worker (the caller's originals are detached by the transfer). */
  inputs: Float32Array[];
  runMs: number;
}

/** A loaded model: what the pipeline runs. */
export interface LoadedSession {
  readonly key: string;
  readonly file: string;
  readonly info: SessionInfo;
  run(feeds: Tensor[]): Promise<RunResult>;
}

type Pending = { resolve: (r: WorkerReply) => void; reject: (e: Error) => void };

function workerScript(): { file: string; workerData?: unknown } {
  if (process.env.S5_ORT_WORKER) return { file: process.env.S5_ORT_WORKER };
  const built = path.join(__dirname, 'ort-worker.js');
  if (!__filename.endsWith('.ts') && existsSync(built)) return { file: built };
  return { file: path.join(__dirname, 'worker-boot.cjs'), workerData: { entry: path.join(__dirname, 'ort-worker.ts') } };
}

function toWire(t: Tensor, name: string): WireTensor {
  return { name, buffer: t.data.buffer as ArrayBuffer, byteOffset: t.data.byteOffset, length: t.data.length, dims: t.dims };
}

export class InferenceHost {
  readonly threads: number;
  readonly preference: ProviderPreference;
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly loaded = new Map<string, Promise<LoadedSession>>();
  private gpu: GpuInfo | null = null;

  constructor(opts: InferenceOptions = {}) {
    this.threads = Math.max(1, Math.floor(opts.threads ?? os.availableParallelism()));
    this.preference = opts.provider ?? 'auto';
  }

  gpuInfo(): GpuInfo {
    this.gpu ??= detectGpu();
    return this.gpu;
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const { file, workerData } = workerScript();
    const worker = new Worker(file, { workerData, stdout: false, stderr: false });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id);
      if (!p) return;
      this.pending.delete(reply.id);
      if (this.pending.size === 0) worker.unref();
      p.resolve(reply);
    });
    const fail = (err: Error) => {
      const message = `the inference worker stopped: ${err.message}`;
      for (const p of this.pending.values()) p.reject(new S5Error('internal', message));
      this.pending.clear();
      this.loaded.clear();
      if (this.worker === worker) this.worker = null;
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private request(msg: HostToWorker, transfer: ArrayBuffer[] = []): Promise<WorkerReply> {
    const worker = this.start();
    return new Promise<WorkerReply>((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject });
      worker.ref();
      worker.postMessage(msg, transfer);
    });
  }

  private id(): number {
    return this.nextId++;
  }

  async facts(): Promise<WorkerFacts> {
    const reply = await this.request({ id: this.id(), type: 'facts' });
    if (!reply.ok) throw new S5Error('internal', `inference worker: ${reply.message}`);
    if (reply.type !== 'facts') throw new S5Error('internal', 'inference worker: unexpected reply');
    return reply.facts;
  }

  /** Loads `file` once (identified by its sha256); later calls return the same session. */
  load(file: string, sha256: string): Promise<LoadedSession> {
    const key = `${sha256}|${this.preference}|${this.threads}|${file}`;
    let p = this.loaded.get(key);
    if (!p) {
      p = this.loadNew(key, file);
      this.loaded.set(key, p);
      p.catch(() => this.loaded.delete(key));
    }
    return p;
  }

  private async loadNew(key: string, file: string): Promise<LoadedSession> {
    const reply = await this.request({
      id: this.id(), type: 'load', key, file, preference: this.preference, threads: this.threads, gpuPresent: this.gpuInfo().present,
    });
    if (!reply.ok) throw new S5Error('bad_input', reply.message, file);
    if (reply.type !== 'load') throw new S5Error('internal', 'inference worker: unexpected reply');
    const info = reply.info;
    return { key, file, info, run: (feeds) => this.run(key, file, info, feeds) };
  }

  private async run(key: string, file: string, info: SessionInfo, feeds: Tensor[]): Promise<RunResult> {
    const wire = feeds.map((t, i) => toWire(t, info.inputs[i]?.name ?? `input${i}`));
    const transfer = [...new Set(wire.map((w) => w.buffer))];
    const reply = await this.request({ id: this.id(), type: 'run', key, feeds: wire }, transfer);
    if (!reply.ok) throw new S5Error('internal', `inference failed: ${reply.message}`, file);
    if (reply.type !== 'run') throw new S5Error('internal', 'inference worker: unexpected reply');
    return {
      outputs: reply.outputs.map((o) => ({ data: new Float32Array(o.buffer, o.byteOffset, o.length), dims: o.dims })),
      inputs: reply.inputs.map((o) => new Float32Array(o.buffer, o.byteOffset, o.length)),
      runMs: reply.runMs,
    };
  }

  async release(session: LoadedSession): Promise<void> {
    this.loaded.delete(session.key);
    if (this.worker) await this.request({ id: this.id(), type: 'release', key: session.key });
  }

  /** Ends the worker (all sessions are released with it). */
  async dispose(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.loaded.clear();
    if (worker) await worker.terminate();
  }
}
