/**
 * The one module that imports onnxruntime-node (it runs inside the inference worker thread only):
 * which execution providers exist, session creation with the CUDA → CPU fallback, runs, and the
 * metadata ONNX Runtime reports. Options: intra-op threads = the caller's count (default: cores),
 * one inter-op thread, sequential execution, all graph optimisations.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { planProviders, shortReason, type ProviderName, type ProviderPreference } from './providers';
import type { SessionInfo, Tensor, WireValueInfo, WorkerFacts } from './ort-protocol';

// ONNX Runtime logs a failed CUDA attempt to stderr before throwing; the error itself becomes the
// fallback reason, so only fatal messages are printed.
ort.env.logLevel = 'fatal';

const CUDA_LIBRARY: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'libonnxruntime_providers_cuda.so',
  win32: 'onnxruntime_providers_cuda.dll',
};

function binDir(): string {
  const pkg = path.dirname(require.resolve('onnxruntime-node/package.json'));
  return path.join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

export function workerFacts(): WorkerFacts {
  const backends = ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
  const lib = CUDA_LIBRARY[process.platform];
  const dir = binDir();
  return {
    ortVersion: ort.env.versions.node ?? ort.env.versions.common,
    backends,
    cudaBuilt: backends.some((b) => b.name === 'cuda'),
    cudaInstalled: lib !== undefined && existsSync(path.join(dir, lib)),
    binDir: dir,
  };
}

function metadata(list: readonly ort.InferenceSession.ValueMetadata[]): WireValueInfo[] {
  return list.map((m) => (m.isTensor ? { name: m.name, type: m.type, shape: [...m.shape] } : { name: m.name, type: null, shape: [] }));
}

function options(provider: ProviderName, threads: number): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
    // A failed CUDA attempt is reported through the fallback reason; keep ORT's own log quiet.
    logSeverityLevel: provider === 'cuda' ? 4 : 3,
  };
}

export async function createSession(
  file: string, preference: ProviderPreference, threads: number, gpuPresent: boolean,
): Promise<{ session: ort.InferenceSession; info: SessionInfo }> {
  const facts = workerFacts();
  const plan = planProviders(preference, { cudaBuilt: facts.cudaBuilt, cudaInstalled: facts.cudaInstalled, gpu: { present: gpuPresent, names: [] } });
  let fallbackReason = plan.skipReason;
  const t0 = performance.now();
  for (const provider of plan.attempt) {
    try {
      const session = await ort.InferenceSession.create(file, options(provider, threads));
      const info: SessionInfo = {
        provider,
        fallbackReason: provider === 'cpu' ? fallbackReason : null,
        createMs: performance.now() - t0,
        inputs: metadata(session.inputMetadata),
        outputs: metadata(session.outputMetadata),
      };
      return { session, info };
    } catch (err) {
      if (provider === 'cpu') throw new Error(`ONNX Runtime cannot load ${file}: ${shortReason(err)}`);
      fallbackReason = `the CUDA execution provider failed to start: ${shortReason(err)}`;
    }
  }
  throw new Error('unreachable: the provider plan always ends with cpu');
}

/** Runs with float32 feeds in input order; returns float32 outputs in output order. */
export async function runSession(session: ort.InferenceSession, feeds: Tensor[]): Promise<Tensor[]> {
  const named: Record<string, ort.Tensor> = {};
  session.inputNames.forEach((name, i) => {
    named[name] = new ort.Tensor('float32', feeds[i].data, feeds[i].dims);
  });
  const result = await session.run(named);
  return session.outputNames.map((name) => {
    const t = result[name] as ort.Tensor;
    if (t.type !== 'float32') throw new Error(`output '${name}' is ${t.type}; the engine reads float32`);
    return { data: t.data as Float32Array, dims: [...t.dims] };
  });
}
