/**
 * A registered model (shipped or user) as the base of a fine-tuning run. Models carry ONNX only,
 * so their PyTorch weights are recovered once by `s5trainer weights-from-onnx` (parity-checked
 * against the ONNX file; written by temp + rename) into
 * `<data>/cache/weights/<model id>-<sha256 prefix>.pt` and reused while the ONNX file is unchanged.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { ModelManifest } from '../../shared/manifest';
import { S5Error } from '../../shared/errors';
import type { ModelRegistry } from '../models/registry';

export interface BaseModelWeights {
  manifest: ModelManifest;
  /** The cached s5trainer checkpoint (may not exist yet: then `recover` makes it). */
  weights: string;
  cached: boolean;
  /** s5trainer argv that writes `weights`. */
  recover: string[];
}

export function weightsCachePath(dataDir: string, id: string, sha256: string): string {
  return path.join(dataDir, 'cache', 'weights', `${id}-${sha256.slice(0, 12)}.pt`);
}

export async function baseModelWeights(registry: ModelRegistry, id: string, kind: 'tagger' | 'separator', dataDir: string): Promise<BaseModelWeights> {
  const model = await registry.require(id);
  const manifest = model.manifest;
  if (manifest.kind !== kind) {
    throw new S5Error('invalid_request', `model '${id}' is a ${manifest.kind}; it cannot be the base of a ${kind}`);
  }
  const weights = weightsCachePath(dataDir, manifest.id, manifest.sha256);
  const cached = Boolean(await stat(weights).catch(() => null));
  return {
    manifest, weights, cached,
    recover: ['weights-from-onnx', '--model-dir', path.dirname(model.onnxPath), '--out', weights],
  };
}
