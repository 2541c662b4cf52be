/**
 * Registry entries in the API's shape (ModelInfo), shared by the `listModels` method and `s5 models`:
 * identity, shape, validity, the manifest's metrics and decision rule, and the folder's
 * MODEL_CARD.md (plain text, capped at MODEL_CARD_MAX_BYTES).
 */
import { closeSync, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { MODEL_CARD_MAX_BYTES, type ListModelsResult, type ModelInfo } from '../../shared/api';
import { modelRole, type ActivePair, type ModelRegistry } from './registry';
import type { ModelEntry } from './validate';

export const MODEL_CARD_FILE = 'MODEL_CARD.md';

/** The model card of a model folder as text: null when there is none or it cannot be read; cut at the cap with a note. */
export function readModelCard(dir: string, maxBytes = MODEL_CARD_MAX_BYTES): string | null {
  let fd: number;
  try {
    fd = openSync(path.join(dir, MODEL_CARD_FILE), 'r');
  } catch {
    return null;
  }
  try {
    // One byte more than the cap tells whether the file is longer.
    const buf = Buffer.alloc(maxBytes + 1);
    let n = 0;
    for (let r = 1; r > 0 && n < buf.length; n += r) r = readSync(fd, buf, n, buf.length - n, n);
    const truncated = n > maxBytes;
    // fatal: false — a cut through a multi-byte character becomes U+FFFD instead of an error.
    const text = new TextDecoder('utf-8', { fatal: false }).decode(buf.subarray(0, Math.min(n, maxBytes)));
    return truncated ? `${text}\n\n… (${MODEL_CARD_FILE} is longer than ${maxBytes} bytes; the rest is not shown)\n` : text;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export function toModelInfo(e: ModelEntry, active: ActivePair): ModelInfo {
  const m = e.manifest;
  const d = m?.decision;
  return {
    id: e.id,
    source: e.source,
    dir: e.dir,
    valid: e.valid,
    errors: e.errors,
    warnings: e.warnings,
    name: m?.name ?? null,
    kind: m?.kind ?? null,
    role: m ? modelRole(m) : null,
    task: m?.task ?? null,
    architecture: m?.architecture ?? null,
    sample_rate: m?.sample_rate ?? null,
    window_seconds: m?.window_seconds ?? null,
    channels: m?.channels ?? null,
    slots: m?.slots ?? null,
    params: m?.params ?? null,
    labels: m?.labels.length ?? null,
    active: e.valid && [active.tagger, active.separator, active.verifier].some((a) => a?.entry.dir === e.dir),
    metrics: m ? { ...m.metrics } : null,
    decision: d
      ? { threshold: d.threshold, thresholds: { ...(d.thresholds ?? {}) } as Record<string, number>, min_events: d.min_events, max_events: d.max_events }
      : null,
    verification: m?.verification
      ? {
          confirm: { ...m.verification.confirm } as Record<string, number>,
          relabel: m.verification.relabel ?? null,
          max_passes: m.verification.max_passes,
          candidate: m.verification.candidate,
        }
      : null,
    input_level_dbfs: m?.input_level_dbfs ?? null,
    card: readModelCard(e.dir),
  };
}

export function activeInfo(active: ActivePair): ListModelsResult['active'] {
  return {
    tagger: active.tagger?.manifest.id ?? null, separator: active.separator?.manifest.id ?? null, from: active.from,
    verifier: active.verifier?.manifest.id ?? null, verifier_from: active.verifierFrom, warnings: active.warnings,
  };
}

export async function listModelInfo(registry: ModelRegistry): Promise<ListModelsResult> {
  const [entries, active] = await Promise.all([registry.list(), registry.activePair()]);
  return {
    models: entries.map((e) => toModelInfo(e, active)),
    active: activeInfo(active),
    roots: registry.roots.map((r) => ({ dir: r.dir, source: r.source })),
  };
}
