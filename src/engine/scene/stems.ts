/**
 * Adding and removing stems of a cached analysis (issue #13, the Scene view's "Separate another
 * class…" and a stem's Remove). A new stem is separated from the cached mixture (already at the
 * model rate, ACN/SN3D for FOA input) with the analysis's own separator, queried for that class
 * alone in every window, through the same pipeline as the analysis — so its file, level and
 * direction are computed exactly like the others'. It is marked user-chosen (origin 'user'); when
 * the analysis had a verifier, the verifier's score is reported but the stem is kept (the user
 * asked for it). Removing a stem forgets it and deletes its cached file, so export no longer sees it.
 */
import { mkdir, rename, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { ChannelFormat } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import { S5_LABELS, type S5Label } from '../../shared/labels';
import { S5ResultSchema, type S5Result, type Stem } from '../../shared/result';
import { isFoaFormat } from '../audio';
import type { Pipeline } from '../pipeline/pipeline';
import { stemName } from '../pipeline/outputs';
import type { PipelineProgress } from '../pipeline/process';
import type { CachedAnalysis } from './cache';

/** The format the cached mixture is in: FOA input was converted to ACN/SN3D when cached. */
function mixtureFormat(a: CachedAnalysis): ChannelFormat {
  const f = a.result.recording.channel_format;
  return isFoaFormat(f) && a.mixtureChannels >= 4 ? 'foa-acn-sn3d' : f;
}

const byClass = (a: { label: S5Label }, b: { label: S5Label }) => S5_LABELS.indexOf(a.label) - S5_LABELS.indexOf(b.label);

/** Separates `label` over the whole cached mixture and adds it to the analysis; returns the new result. */
export async function addStem(
  pipeline: Pipeline, a: CachedAnalysis, label: S5Label, signal: AbortSignal, onProgress: (p: PipelineProgress) => void,
): Promise<S5Result> {
  const r = a.result;
  if (r.stems.some((s) => s.label === label)) throw new S5Error('invalid_request', `this analysis already has a ${label} stem`);
  const ids = [r.models.tagger.id, ...(r.models.separator ? [r.models.separator.id] : [])];
  const verifier = r.models.verifier?.id ?? null;
  const loaded = await pipeline.models(ids, true, { verifier });
  if (!loaded.separator) throw new S5Error('not_found', 'separating a class needs a separator model');
  if (!loaded.separator.manifest.labels.includes(label)) {
    throw new S5Error('invalid_request', `separator '${loaded.separator.manifest.id}' cannot separate ${label} (it knows: ${loaded.separator.manifest.labels.join(', ')})`);
  }
  const work = path.join(a.dir, `.add-${randomBytes(4).toString('hex')}`);
  await mkdir(work, { recursive: true });
  try {
    const sub = await pipeline.separate({
      path: a.mixturePath, outDir: work, format: 'f32', channelFormat: mixtureFormat(a), loaded,
      labels: [label], verifier, enforceVerification: false, signal, onProgress,
    });
    const made = sub.stems.find((s) => s.label === label);
    if (!made || !sub.out_dir) throw new S5Error('internal', `the separator gave no ${label} stem`);
    const stemsDir = r.out_dir ?? a.dir;
    const name = stemName(label, 0, 1);
    const file = `${name}.wav`;
    await rename(path.join(sub.out_dir, made.file), path.join(stemsDir, file));
    const stem: Stem = { ...made, name, file, confidence: 1, origin: 'user' };
    const next = S5ResultSchema.parse({
      ...r,
      labels: [...r.labels, { label, count: 1, confidence: 1, origin: 'user', ...(made.verifier_confidence !== undefined ? { verifier_confidence: made.verifier_confidence } : {}) }].sort(byClass),
      stems: [...r.stems, stem],
      warnings: [...r.warnings, ...sub.warnings.filter((w) => !r.warnings.includes(w))],
    });
    a.result = next;
    return next;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Forgets stem `name` (and its label when no other stem has it) and deletes its cached file. */
export async function removeStem(a: CachedAnalysis, name: string): Promise<S5Result> {
  const r = a.result;
  const stem = r.stems.find((s) => s.name === name);
  if (!stem) throw new S5Error('not_found', `no stem '${name}' in this analysis (stems: ${r.stems.map((s) => s.name).join(', ') || 'none'})`);
  const stems = r.stems.filter((s) => s !== stem);
  const left = stems.filter((s) => s.label === stem.label).length;
  const labels = r.labels.flatMap((l) => (l.label !== stem.label ? [l] : left > 0 ? [{ ...l, count: left }] : []));
  a.result = S5ResultSchema.parse({ ...r, stems, labels });
  const open = a.open.get(stem.file);
  a.open.delete(stem.file);
  await open?.then((f) => f.close(), () => undefined);
  await rm(path.join(r.out_dir ?? a.dir, stem.file), { force: true });
  return a.result;
}
