/**
 * Inference: ONNX Runtime in a worker thread (ort-client ↔ ort-worker, ort-protocol.ts), execution-provider
 * choice (providers.ts), and the doctor report. Only ort.ts imports onnxruntime-node, and only the
 * worker thread loads ort.ts.
 */
export { InferenceHost, type InferenceOptions, type LoadedSession, type RunResult, type Tensor } from './ort-client';
export { planProviders, cudaUnavailableReason, detectGpu, PROVIDER_PREFERENCES, type ProviderPreference, type ProviderName } from './providers';
export { doctorReport } from '../doctor';
export type { SessionInfo, WorkerFacts } from './ort-protocol';
