/**
 * Messages between the engine thread (ort-client.ts) and the ONNX Runtime worker thread (ort-worker.ts).
 * Tensors travel as (buffer, offset, length, dims) with their ArrayBuffers in the transfer list:
 * inputs move to the worker and come back with the reply, outputs move to the engine — no copies.
 */
import type { ProviderName, ProviderPreference } from './providers';

/** A float32 tensor as sessions take and give it (the one tensor type of both threads). */
export interface Tensor {
  data: Float32Array;
  dims: number[];
}

export interface WireTensor {
  name: string;
  buffer: ArrayBuffer;
  byteOffset: number;
  /** Float32 elements. */
  length: number;
  dims: number[];
}

export interface WireValueInfo {
  name: string;
  type: string | null;
  shape: (number | string)[];
}

export interface SessionInfo {
  provider: ProviderName;
  /** Why CUDA was not used although it could have been wanted; null when it was used or CPU was asked for. */
  fallbackReason: string | null;
  createMs: number;
  inputs: WireValueInfo[];
  outputs: WireValueInfo[];
}

export interface WorkerFacts {
  ortVersion: string;
  backends: { name: string; bundled: boolean }[];
  cudaBuilt: boolean;
  cudaInstalled: boolean;
  /** Where onnxruntime-node's binaries are (for messages). */
  binDir: string;
}

export type HostToWorker =
  | { id: number; type: 'load'; key: string; file: string; preference: ProviderPreference; threads: number; gpuPresent: boolean }
  | { id: number; type: 'run'; key: string; feeds: WireTensor[] }
  | { id: number; type: 'release'; key: string }
  | { id: number; type: 'facts' };

export type WorkerReply =
  | { id: number; ok: true; type: 'load'; info: SessionInfo }
  | { id: number; ok: true; type: 'run'; outputs: WireTensor[]; inputs: WireTensor[]; runMs: number }
  | { id: number; ok: true; type: 'release' }
  | { id: number; ok: true; type: 'facts'; facts: WorkerFacts }
  | { id: number; ok: false; message: string };
