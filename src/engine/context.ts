/**
 * What a workflow module (scene/, live/, training/) gets from the engine, and what it gives back:
 * its handlers for its part of the contract (api-scene.ts, api-live.ts, api-train.ts) and a
 * dispose hook (streams closed, child processes stopped) called when the engine shuts down.
 */
import type { S5MethodName, S5Output, S5ParsedInput } from '../shared/api';
import type { PipelineProgress } from './pipeline/process';
import type { Runtime } from './runtime';

export type Handlers = { [M in S5MethodName]?: (arg: S5ParsedInput<M>) => Promise<S5Output<M>> };

export interface EngineContext {
  /** Pushes an event to every client (validated against S5_EVENTS by the transports' schemas). */
  emit(event: string, payload: unknown): void;
  /** Registry, inference worker and pipeline, created on first use. */
  runtime(): Runtime;
  /** Runs a cancellable call (`cancel({jobId})`), relaying progress as `progress` events. */
  job<T>(jobId: string | undefined, run: (signal: AbortSignal, onProgress: (p: PipelineProgress) => void) => Promise<T>): Promise<T>;
}

export interface EngineModule {
  handlers: Handlers;
  dispose?(): Promise<void>;
}
