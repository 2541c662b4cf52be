/**
 * Scene export: the chosen stems of a cached analysis in the chosen format and rate, plus
 * labels.json / labels.csv, into a folder. Nothing is written when a target exists and the caller
 * did not allow overwriting (the UI asks first); every file goes to a temporary name and is
 * renamed (audio/write.ts, pipeline/outputs.ts), so a failure never leaves a half-written file.
 */
import { access, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SceneExportResult } from '../../shared/api-scene';
import type { z } from '../../shared/zod';
import type { SceneExportRequestSchema } from '../../shared/api-scene';
import { S5Error } from '../../shared/errors';
import { S5ResultSchema, STEM_FORMAT_ENCODING, type S5Result } from '../../shared/result';
import { resample, writeAudio } from '../audio';
import { LABELS_CSV, LABELS_JSON, labelsCsv } from '../pipeline/outputs';
import { writeFileAtomic, writeJsonAtomic } from '../atomic-write';
import type { CachedAnalysis, SceneCache } from './cache';
import { exportFileName } from './naming';

type ExportArgs = z.output<typeof SceneExportRequestSchema>;

const exists = (p: string) => access(p).then(() => true, () => false);

export interface ExportProgress {
  done: number;
  total: number;
  file: string;
}

export async function exportScene(
  cache: SceneCache, a: CachedAnalysis, req: ExportArgs, signal: AbortSignal, onProgress: (p: ExportProgress) => void,
): Promise<SceneExportResult> {
  const dir = path.resolve(req.dir);
  const result = a.result;
  const wanted = req.stems ?? result.stems.map((s) => s.name);
  for (const name of wanted) {
    if (!result.stems.some((s) => s.name === name)) throw new S5Error('invalid_request', `no stem '${name}' in this analysis (stems: ${result.stems.map((s) => s.name).join(', ') || 'none'})`);
  }
  const chosen = result.stems.map((s, slot) => ({ stem: s, slot })).filter(({ stem }) => wanted.includes(stem.name));
  const rate = req.rate ?? a.rate;
  const files = chosen.map(({ stem, slot }) => ({
    stem,
    file: exportFileName(stem.name, slot, result.recording.name, result.task, req.format, req.naming),
  }));
  const targets = [
    ...files.map((f) => path.join(dir, f.file)),
    ...(req.labelsJson ? [path.join(dir, LABELS_JSON)] : []),
    ...(req.labelsCsv ? [path.join(dir, LABELS_CSV)] : []),
  ];
  if (targets.length === 0) throw new S5Error('invalid_request', 'nothing to export: choose at least one stem or a label file');
  if (!req.overwrite) {
    const conflicts: string[] = [];
    for (const t of targets) if (await exists(t)) conflicts.push(t);
    if (conflicts.length) return { written: [], conflicts, dir };
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new S5Error('bad_input', `cannot create the export folder (${(e as NodeJS.ErrnoException).code ?? e})`, dir);
  }
  const written: string[] = [];
  const total = targets.length;
  for (const { stem, file } of files) {
    if (signal.aborted) throw new S5Error('cancelled', 'export cancelled', dir);
    onProgress({ done: written.length, total, file });
    const pcm = await cache.file(a, { kind: 'stem', name: stem.name });
    let data: Float32Array[] = await pcm.read(0, pcm.frames);
    if (rate !== a.rate) data = await resample(data, a.rate, rate, 'best');
    const target = path.join(dir, file);
    await writeAudio(target, data, rate, STEM_FORMAT_ENCODING[req.format]);
    written.push(target);
  }
  const exported: S5Result = S5ResultSchema.parse({
    ...result,
    stems: files.map(({ stem, file }) => ({ ...stem, file })),
    out_dir: dir,
    output: { format: req.format, sample_rate: rate },
  });
  if (req.labelsJson) {
    onProgress({ done: written.length, total, file: LABELS_JSON });
    await writeJsonAtomic(path.join(dir, LABELS_JSON), exported);
    written.push(path.join(dir, LABELS_JSON));
  }
  if (req.labelsCsv) {
    onProgress({ done: written.length, total, file: LABELS_CSV });
    await writeFileAtomic(path.join(dir, LABELS_CSV), labelsCsv(exported));
    written.push(path.join(dir, LABELS_CSV));
  }
  onProgress({ done: written.length, total, file: '' });
  return { written, conflicts: [], dir };
}
