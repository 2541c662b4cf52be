/**
 * The malformed-input corpus (issue #9 item 1): ≥ 200 generated files — broken WAV headers, sizes,
 * chunk orders, codecs, channel counts, rates and sample values; corrupted FLAC / Ogg / MP3;
 * wrong extensions; SOFA (HDF5) files; model folders with broken manifests and ONNX graphs — each
 * through the engine's real entry points (openAudio; model validation + import) in a child
 * process, with a time bound per file. Every file must give a specific error (code, what is wrong,
 * the file in `file` and not repeated in the message) or open cleanly, never crash or hang, and
 * write nothing (the corpus folder is unchanged, the child's working folder and the user models
 * folder stay empty).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkOutcome, runCorpus, snapshot, type Outcome } from '../corpus/check';
import { isEither, makeCorpus, type CorpusEntry } from '../corpus/make-corpus';

/** Generous: the slowest entry takes well under a second on 2 cores. */
const PER_ENTRY_MS = 20_000;

let tmp: string;
let root: string;
let work: string;
let entries: CorpusEntry[];
let outcomes: Outcome[];
let before: Map<string, string>;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-corpus-'));
  root = path.join(tmp, 'corpus');
  work = path.join(tmp, 'work');
  entries = await makeCorpus(root);
  before = snapshot(root);
  outcomes = await runCorpus(root, work, entries.length, PER_ENTRY_MS);
}, 600_000);

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('malformed-input corpus', () => {
  it('has at least 200 inputs of every kind', () => {
    const audio = entries.filter((e) => e.target === 'audio');
    const models = entries.filter((e) => e.target === 'model');
    expect(entries.length).toBeGreaterThanOrEqual(200);
    for (const ext of ['.wav', '.flac', '.ogg', '.mp3', '.sofa']) expect(audio.some((e) => e.file.endsWith(ext)), ext).toBe(true);
    expect(models.filter((e) => e.file.includes('/o-')).length).toBeGreaterThanOrEqual(15);
    expect(models.filter((e) => e.file.includes('/m-')).length).toBeGreaterThanOrEqual(40);
  });

  it('every input: no crash, no hang, the expected specific error or a clean open', () => {
    expect(outcomes.length).toBe(entries.length);
    const problems: string[] = [];
    outcomes.forEach((o, i) => {
      for (const p of checkOutcome(root, entries[i], o)) problems.push(`${entries[i].file} (${entries[i].what}): ${p}`);
    });
    expect(problems).toEqual([]);
  });

  it('the counts add up: refused, opened with a warning, opened clean', () => {
    const done = outcomes.filter((o): o is Exclude<Outcome, { failure: string }> => !('failure' in o));
    const refused = done.filter((o) => !o.ok).length;
    const warned = done.filter((o) => o.ok && o.warnings.length > 0).length;
    const expectedRejects = entries.filter((e) => e.expect.outcome === 'reject').length;
    const random = entries.filter((e) => isEither(e.expect)).length;
    // Every entry declared 'reject' was refused; random mutations land on either side.
    expect(refused).toBeGreaterThanOrEqual(expectedRejects);
    expect(refused).toBeLessThanOrEqual(expectedRejects + random);
    console.info(`corpus: ${entries.length} inputs (${entries.filter((e) => e.target === 'audio').length} audio, ${entries.filter((e) => e.target === 'model').length} model folders): ${refused} refused with a specific error, ${warned} opened with a warning, ${done.length - refused - warned} opened clean; ${random} random mutations`);
  });

  it('writes nothing: the corpus is unchanged and the working folders stay empty', () => {
    expect(snapshot(root)).toEqual(before);
    expect(readdirSync(work).sort()).toEqual(['user-models']);
    expect(readdirSync(path.join(work, 'user-models'))).toEqual([]);
  });
});
