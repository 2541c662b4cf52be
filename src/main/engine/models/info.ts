/** Registry entries in the API's shape (ModelInfo), shared by the `listModels` method and `s5 models`. */
import type { ListModelsResult, ModelInfo } from '../../../shared/api';
import type { ActivePair, ModelRegistry } from './registry';
import type { ModelEntry } from './validate';

export function toModelInfo(e: ModelEntry, active: ActivePair): ModelInfo {
  const m = e.manifest;
  return {
    id: e.id,
    source: e.source,
    dir: e.dir,
    valid: e.valid,
    errors: e.errors,
    warnings: e.warnings,
    name: m?.name ?? null,
    kind: m?.kind ?? null,
    task: m?.task ?? null,
    architecture: m?.architecture ?? null,
    sample_rate: m?.sample_rate ?? null,
    window_seconds: m?.window_seconds ?? null,
    channels: m?.channels ?? null,
    slots: m?.slots ?? null,
    params: m?.params ?? null,
    labels: m?.labels.length ?? null,
    active: e.valid && (active.tagger?.entry.dir === e.dir || active.separator?.entry.dir === e.dir),
  };
}

export function activeInfo(active: ActivePair): ListModelsResult['active'] {
  return { tagger: active.tagger?.manifest.id ?? null, separator: active.separator?.manifest.id ?? null, from: active.from, warnings: active.warnings };
}

export async function listModelInfo(registry: ModelRegistry): Promise<ListModelsResult> {
  const [entries, active] = await Promise.all([registry.list(), registry.activePair()]);
  return {
    models: entries.map((e) => toModelInfo(e, active)),
    active: activeInfo(active),
    roots: registry.roots.map((r) => ({ dir: r.dir, source: r.source })),
  };
}
