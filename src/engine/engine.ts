/**
 * The engine's implementation of `S5Api` (every method except the shell's own, see SHELL_METHODS).
 * `dispatch` is the single entry for every transport: it validates the untrusted argument against
 * the contract, runs the handler, and always answers with a `CallReply` (never throws).
 * Pure Node: no electron import (the engine runs under the CLI, tests and the web bridge too).
 */
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import {
  S5_METHODS,
  SHELL_METHODS,
  type CallReply,
  type EngineInfo,
  type S5MethodName,
  type S5ParsedInput,
  type S5Output,
} from '../shared/api';
import { S5Error, toErrorData } from '../shared/errors';
import { writeFileAtomic } from './atomic-write';
import { openAudio } from './audio/open';
import { evaluateFolders } from './metrics/evaluate';
import { doctorReport } from './doctor';
import type { InferenceOptions } from './inference/ort-client';
import { activeInfo, listModelInfo, toModelInfo } from './models/info';
import type { RegistryOptions } from './models/registry';
import type { PipelineProgress } from './pipeline/process';
import { APP_VERSION } from './version';
import type { EngineContext, EngineModule, Handlers } from './context';
import { createRuntime, type Runtime } from './runtime';
import { liveModule } from './live/module';
import { sceneModule } from './scene/module';
import { trainingModule } from './training/module';

export type EventSink = (event: string, payload: unknown) => void;

export interface EngineOptions {
  shell: EngineInfo['shell'];
  /** How many times the host has started an engine process (1 for the first). */
  starts?: number;
  /** Where `importFile` stores uploaded files (web-mode drag-and-drop). */
  importDir?: string;
  emit?: EventSink;
  /** Model folders and settings (default: shipped + user folders, settings.json in the data folder). */
  registry?: RegistryOptions;
  /** ONNX Runtime threads and provider preference (default: all cores, CUDA when available). */
  inference?: InferenceOptions;
}

export class Engine {
  private readonly handlers: Handlers;
  private runtime: Runtime | null = null;
  /** The workflow modules (scene, live, training), each serving its part of the contract. */
  private readonly modules: EngineModule[];
  /** Running separate/tag calls by jobId, for `cancel`. */
  private readonly jobs = new Map<string, AbortController>();

  constructor(private readonly options: EngineOptions) {
    const importDir = options.importDir ?? path.join(os.tmpdir(), 's5-studio-imports');
    const ctx: EngineContext = {
      emit: (event, payload) => this.emit(event, payload),
      runtime: () => this.models(),
      job: (jobId, run) => this.job(jobId, run),
    };
    this.modules = [sceneModule(ctx), liveModule(ctx), trainingModule(ctx)];
    this.handlers = {
      ...Object.assign({}, ...this.modules.map((m) => m.handlers)),
      getEngineInfo: async () => ({
        version: APP_VERSION,
        shell: options.shell,
        node: process.versions.node,
        platform: `${process.platform}-${process.arch}`,
        pid: process.pid,
        starts: options.starts ?? 1,
      }),
      openAudio: (arg) => openAudio(arg),
      evaluate: (arg) => evaluateFolders(arg, (p) => this.emit('progress', p)),
      listModels: async () => listModelInfo(this.models().registry),
      activateModels: async ({ ids, verifier }) => {
        const { registry } = this.models();
        await registry.activate(ids, { verifier });
        return activeInfo(await registry.activePair());
      },
      importModel: async ({ path: source, force }) => {
        const { registry } = this.models();
        const entry = await registry.importModel(source, { force });
        return { model: toModelInfo(entry, await registry.activePair()) };
      },
      removeModel: async ({ id }) => {
        await this.models().registry.remove(id);
        return {};
      },
      doctor: async () => doctorReport(this.models().registry, this.models().inference),
      separate: (arg) =>
        this.job(arg.jobId, (signal, onProgress) =>
          this.models().pipeline.separate({
            path: arg.path, outDir: arg.outDir, format: arg.format, sampleRate: arg.rate, channelFormat: arg.channelFormat,
            models: arg.models, labels: arg.labels, mode: arg.mode, verifier: arg.verifier, signal, onProgress,
          }),
        ),
      tag: (arg) =>
        this.job(arg.jobId, (signal, onProgress) =>
          this.models().pipeline.tag({ path: arg.path, channelFormat: arg.channelFormat, models: arg.models, signal, onProgress }),
        ),
      cancel: async ({ jobId }) => {
        const job = this.jobs.get(jobId);
        job?.abort();
        return { cancelled: job !== undefined };
      },
      importFile: async ({ name, data }) => {
        // Only the base name is kept, so a hostile name cannot escape the import folder.
        // '.' and '..' are base names too: they would name the folder or its parent (issue #9).
        const base = path.basename(name).replace(/[^\w.\- ]+/g, '_').slice(0, 120);
        const safe = /^\.*$/.test(base) ? 'dropped' : base;
        const dir = path.join(importDir, randomBytes(6).toString('hex'));
        await mkdir(dir, { recursive: true });
        const final = path.join(dir, safe);
        await writeFileAtomic(final, data);
        return { path: final };
      },
    };
  }

  /** Registry, inference worker and pipeline, created on first use (the worker starts lazily too). */
  private models(): Runtime {
    this.runtime ??= createRuntime({ registry: this.options.registry, inference: this.options.inference });
    return this.runtime;
  }

  /** Runs a cancellable call, relaying its progress as `progress` events tagged with the job id. */
  private async job<T>(jobId: string | undefined, run: (signal: AbortSignal, onProgress: (p: PipelineProgress) => void) => Promise<T>): Promise<T> {
    if (jobId !== undefined && this.jobs.has(jobId)) throw new S5Error('invalid_request', `job '${jobId}' is already running`);
    const controller = new AbortController();
    if (jobId !== undefined) this.jobs.set(jobId, controller);
    try {
      return await run(controller.signal, (p) =>
        this.emit('progress', { task: p.task, stage: p.stage, done: p.done, total: p.total, ...(jobId !== undefined ? { job: jobId } : {}) }),
      );
    } finally {
      if (jobId !== undefined) this.jobs.delete(jobId);
    }
  }

  /** Stops the inference worker (sessions are released with it). */
  async dispose(): Promise<void> {
    for (const job of this.jobs.values()) job.abort();
    await Promise.allSettled(this.modules.map((m) => m.dispose?.()));
    await this.runtime?.dispose();
    this.runtime = null;
  }

  emit(event: string, payload: unknown): void {
    this.options.emit?.(event, payload);
  }

  /** Validates, runs, answers. Unknown methods and schema failures become `invalid_request`. */
  async dispatch(method: string, rawArg: unknown): Promise<CallReply> {
    try {
      if (!Object.hasOwn(S5_METHODS, method) || SHELL_METHODS.includes(method as S5MethodName)) {
        throw new S5Error('invalid_request', `unknown engine method: ${String(method).slice(0, 64)}`);
      }
      const name = method as S5MethodName;
      const parsed = S5_METHODS[name].input.safeParse(rawArg ?? {});
      if (!parsed.success) {
        throw new S5Error('invalid_request', `bad argument for ${name}: ${parsed.error.message}`);
      }
      const handler = this.handlers[name] as ((arg: unknown) => Promise<unknown>) | undefined;
      if (!handler) throw new S5Error('invalid_request', `${name} is not served by the engine`);
      return { ok: true, value: await handler(parsed.data) };
    } catch (err) {
      return { ok: false, error: toErrorData(err) };
    }
  }
}
