/**
 * The model runtime: the registry, the ONNX Runtime worker and the pipeline over them, assembled in
 * one place for the engine process (`Engine`, created on first use) and the `s5` command.
 * The inference worker starts lazily, on the first session; `dispose` stops it.
 */
import { InferenceHost, type InferenceOptions } from './inference/ort-client';
import { ModelRegistry, type RegistryOptions } from './models/registry';
import { Pipeline } from './pipeline/pipeline';

export interface Runtime {
  registry: ModelRegistry;
  inference: InferenceHost;
  pipeline: Pipeline;
  /** Stops the inference worker (its sessions are released with it). */
  dispose(): Promise<void>;
}

export interface RuntimeOptions {
  /** Model folders and settings file (default: the shipped models and the user data folder). */
  registry?: RegistryOptions;
  /** ONNX Runtime threads and provider preference (default: all cores, CUDA when available). */
  inference?: InferenceOptions;
}

export function createRuntime(options: RuntimeOptions = {}): Runtime {
  const registry = new ModelRegistry(options.registry);
  const inference = new InferenceHost(options.inference);
  return { registry, inference, pipeline: new Pipeline(registry, inference), dispose: () => inference.dispose() };
}
