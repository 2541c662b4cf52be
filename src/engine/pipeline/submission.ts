/**
 * The DCASE Task 4 submission package (spec s5-task.md §1.4, s5-2026.md §3): separates every
 * soundscape of a folder and stores the estimates, mono 32 kHz 16-bit PCM, full length, under the
 * official names in a zip:
 *
 *   dcase2025t4  <A>_<B>_task4_<N>_out.zip ⊃ <A>_<B>_task4_<N>_out/eval_out/<soundscape>_<Label>.wav
 *   dcase2026t4  <A>_<B>_task4_<N>.zip     ⊃ <A>_<B>_task4_<N>/eval_out/<soundscape>_<i>_<Label>.wav
 *                                             <A>_<B>_task4_<N>/eval_results.json
 *
 * (2026: i = the slot index after empty slots moved to the end; a soundscape with no label gets no
 * file; eval_results.json = {nparams, probabilities: [{soundscape, estimate: [{filename, label,
 * probability}]}], config}.) Every name is checked with the evaluator's own parser before it is
 * stored. One soundscape's stems exist on disk at a time (a work folder next to the zip).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { S5Error } from '../../shared/errors';
import type { S5Label, Task } from '../../shared/labels';
import { EVAL_SAMPLE_RATE } from '../metrics/load';
import { parseSourceName } from '../metrics/layout';
import type { Pipeline } from './pipeline';
import { ZipWriter } from './zip';

export interface SubmissionRequest {
  task: Task;
  soundscapes: string;
  /** The zip to write. */
  out: string;
  author: string;
  affiliation: string;
  number: number;
  models?: readonly string[];
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, soundscape: string) => void;
}

export interface SubmissionSummary {
  zip: string;
  root: string;
  mixtures: number;
  estimates: number;
  /** Soundscapes for which the models found no label (no file written). */
  empty: string[];
  models: { tagger: string; separator: string };
  warnings: string[];
}

const NAME_PART = /^[A-Za-z0-9-]+$/;

/** The official folder and zip names. */
export function submissionNames(task: Task, author: string, affiliation: string, number: number): { root: string; zip: string } {
  for (const [what, v] of [['author', author], ['affiliation', affiliation]] as const) {
    if (!NAME_PART.test(v)) throw new S5Error('invalid_request', `${what} '${v}' may only contain letters, digits and '-' (the '_' separates the parts of the official names)`);
  }
  if (!Number.isInteger(number) || number < 1 || number > 4) throw new S5Error('invalid_request', `the system number must be 1, 2, 3 or 4 (DCASE accepts up to four systems per team), got ${number}`);
  const base = `${author}_${affiliation}_task4_${number}`;
  const root = task === 'dcase2025t4' ? `${base}_out` : base;
  return { root, zip: `${root}.zip` };
}

export function estimateName(task: Task, soundscape: string, index: number, label: S5Label): string {
  return task === 'dcase2025t4' ? `${soundscape}_${label}.wav` : `${soundscape}_${index}_${label}.wav`;
}

async function listSoundscapes(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new S5Error(code === 'ENOENT' ? 'not_found' : 'bad_input', code === 'ENOENT' ? 'no such folder' : `cannot be read (${code})`, dir);
  }
  const wavs = names.filter((n) => n.endsWith('.wav')).sort();
  if (wavs.length === 0) throw new S5Error('bad_input', 'no soundscape .wav files', dir);
  return wavs;
}

export async function buildSubmission(pipeline: Pipeline, req: SubmissionRequest): Promise<SubmissionSummary> {
  const { root, zip: officialZip } = submissionNames(req.task, req.author, req.affiliation, req.number);
  const zipPath = path.resolve(req.out);
  const warnings: string[] = [];
  if (path.basename(zipPath) !== officialZip) warnings.push(`${zipPath}: the official name of this archive is ${officialZip}`);
  const soundscapes = await listSoundscapes(req.soundscapes);
  const models = await pipeline.models(req.models, true);
  const sep = models.separator;
  if (!sep) throw new S5Error('not_found', 'no separator model');
  for (const m of [models.tagger, sep]) {
    if (m.manifest.task !== req.task) throw new S5Error('invalid_request', `model '${m.manifest.id}' is for ${m.manifest.task}, not ${req.task}; name ${req.task} models with --models`);
  }
  await mkdir(path.dirname(zipPath), { recursive: true });
  const work = path.join(path.dirname(zipPath), `.s5-submission-${randomBytes(4).toString('hex')}`);
  await mkdir(work);
  const zip = await ZipWriter.create(zipPath);
  const probabilities: { soundscape: string; estimate: { filename: string; label: string; probability: number }[] }[] = [];
  const empty: string[] = [];
  let estimates = 0;
  try {
    await zip.addDirectory(`${root}/`);
    await zip.addDirectory(`${root}/eval_out/`);
    for (const [i, file] of soundscapes.entries()) {
      if (req.signal?.aborted) throw new S5Error('cancelled', 'cancelled', zipPath);
      const name = file.slice(0, -'.wav'.length);
      req.onProgress?.(i, soundscapes.length, name);
      const result = await pipeline.separate({
        path: path.join(req.soundscapes, file), outDir: work, format: 'wav16', sampleRate: EVAL_SAMPLE_RATE,
        loaded: models, signal: req.signal,
      });
      warnings.push(...result.warnings);
      const estimate: (typeof probabilities)[number]['estimate'] = [];
      for (const [slot, stem] of result.stems.entries()) {
        const official = estimateName(req.task, name, slot, stem.label);
        const parsed = parseSourceName(req.task, name, official);
        if (!parsed.ok) throw new S5Error('internal', parsed.problem, official);
        await zip.addFile(`${root}/eval_out/${official}`, path.join(result.out_dir as string, stem.file));
        estimate.push({ filename: official, label: stem.label, probability: stem.confidence });
        estimates++;
      }
      if (result.stems.length === 0) {
        empty.push(name);
        if (req.task === 'dcase2025t4') warnings.push(`${file}: no label found, so no estimate (every 2025 mixture should have at least one)`);
      }
      probabilities.push({ soundscape: name, estimate });
      await rm(result.out_dir as string, { recursive: true, force: true });
    }
    if (req.task === 'dcase2026t4') {
      const evalResults = {
        nparams: models.tagger.manifest.params + sep.manifest.params,
        probabilities,
        config: { tagger: models.tagger.manifest.id, separator: sep.manifest.id, generator: 's5 submission' },
      };
      await zip.addBuffer(`${root}/eval_results.json`, Buffer.from(`${JSON.stringify(evalResults, null, 2)}\n`));
      warnings.push('dev_set_test_results.json (the dev-test evaluation) is not included; add it to the package if the challenge asks for it');
    }
    req.onProgress?.(soundscapes.length, soundscapes.length, '');
    await zip.close();
  } catch (e) {
    await zip.abort();
    throw e;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  await stat(zipPath);
  return { zip: zipPath, root, mixtures: soundscapes.length, estimates, empty, models: { tagger: models.tagger.manifest.id, separator: sep.manifest.id }, warnings };
}
