/**
 * Execution-provider choice: CUDA when onnxruntime-node's CUDA provider is installed and an NVIDIA
 * GPU is present, else CPU — and, whenever CPU is used although CUDA could have been wanted, a
 * sentence saying why (shown by `s5 doctor`, the `doctor` API and in every result). Pure decision
 * logic plus GPU detection; ONNX Runtime itself is only touched in ort.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const PROVIDERS = ['cpu', 'cuda'] as const;
export type ProviderName = (typeof PROVIDERS)[number];
export const PROVIDER_PREFERENCES = ['auto', 'cpu', 'cuda'] as const;
export type ProviderPreference = (typeof PROVIDER_PREFERENCES)[number];

export interface GpuInfo {
  present: boolean;
  /** e.g. "NVIDIA H200"; null when none or unknown. */
  names: string[];
}

export interface ProviderFacts {
  /** onnxruntime-node was built with a CUDA provider for this platform (listSupportedBackends). */
  cudaBuilt: boolean;
  /** Its CUDA provider libraries are installed next to the binding. */
  cudaInstalled: boolean;
  gpu: GpuInfo;
}

export interface ProviderPlan {
  /** Providers to try in order; the last is always 'cpu'. */
  attempt: ProviderName[];
  /** Why CUDA is not even attempted when it would have been wanted (null: attempted, or CPU asked for). */
  skipReason: string | null;
}

export function planProviders(preference: ProviderPreference, facts: ProviderFacts): ProviderPlan {
  if (preference === 'cpu') return { attempt: ['cpu'], skipReason: null };
  const why = cudaUnavailableReason(facts);
  // An explicit 'cuda' request is always attempted, so ONNX Runtime's own error becomes the reason.
  if (why === null || preference === 'cuda') return { attempt: ['cuda', 'cpu'], skipReason: null };
  return { attempt: ['cpu'], skipReason: why };
}

/**
 * Why CUDA cannot run here, the machine first: with no NVIDIA GPU, CPU is simply right (no advice
 * to reinstall ONNX Runtime with CUDA libraries a GPU-less machine has no use for).
 */
export function cudaUnavailableReason(facts: ProviderFacts): string | null {
  if (!facts.gpu.present) return 'no NVIDIA GPU was found';
  if (!facts.cudaBuilt) return `onnxruntime-node has no CUDA execution provider on ${process.platform}-${process.arch}`;
  if (!facts.cudaInstalled) {
    return "onnxruntime-node's CUDA provider libraries are not installed (reinstall it with ONNXRUNTIME_NODE_INSTALL=cuda12 where NuGet is reachable)";
  }
  return null;
}

/** The first line of an error, without ONNX Runtime's log decorations. */
export function shortReason(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // eslint-disable-next-line no-control-regex
  return text.replace(/\x1b\[[0-9;]*m/g, '').split('\n')[0].trim().slice(0, 300);
}

/**
 * NVIDIA GPUs of this machine: the driver's /proc entries on Linux (one folder per GPU whose
 * `information` file has a line like "Model: \t\t NVIDIA H200"), `nvidia-smi -L` on Windows.
 */
export function detectGpu(dir = '/proc/driver/nvidia/gpus', platform: NodeJS.Platform = process.platform): GpuInfo {
  if (platform === 'linux') {
    if (!existsSync(dir)) return { present: false, names: [] };
    const names: string[] = [];
    for (const bus of readdirSync(dir)) {
      try {
        const text = readFileSync(path.join(dir, bus, 'information'), 'utf8');
        names.push(/^Model:\s*(.+)$/m.exec(text)?.[1]?.trim() ?? `NVIDIA GPU at ${bus}`);
      } catch {
        names.push(`NVIDIA GPU at ${bus}`);
      }
    }
    return { present: names.length > 0, names };
  }
  if (platform === 'win32') {
    const r = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8', timeout: 3000, windowsHide: true });
    const names = r.status === 0 ? r.stdout.split('\n').map((l) => /^GPU \d+: ([^(]+)/.exec(l)?.[1]?.trim()).filter((n): n is string => !!n) : [];
    return { present: names.length > 0, names };
  }
  return { present: false, names: [] };
}
