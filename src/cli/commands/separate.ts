/**
 * `s5 separate`: tags and separates recordings with the active (or named) models through the
 * engine pipeline, writing `OUT/<recording>/<Label>.wav`, `labels.json` and `labels.csv` per
 * recording. Also holds the helpers `s5 tag` and `s5 submission` share: option parsing for
 * models/threads/provider, the engine runtime, and the progress bar with ETA.
 */
import { CHANNEL_FORMATS, type ChannelFormat } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import { S5_LABELS, type S5Label, type Task } from '../../shared/labels';
import { SEPARATION_MODES, STEM_FORMATS, type S5Result, type StemFormat } from '../../shared/result';
import { attributeFiles } from '../../engine/metrics/layout';
import { probeAudio } from '../../engine/audio';
import { PROVIDER_PREFERENCES, type ProviderPreference } from '../../engine/inference/providers';
import { expandInputs } from '../../engine/pipeline/inputs';
import { checkQuery } from '../../engine/pipeline/pipeline';
import { recordingName } from '../../engine/pipeline/outputs';
import type { PipelineProgress } from '../../engine/pipeline/process';
import { createRuntime, type Runtime } from '../../engine/runtime';
import { readdir } from 'node:fs/promises';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, formatDataError, formatWarning, ProgressLine, UsageError, type CliIO, type Command } from '../io';

const HELP = `Usage: s5 separate <files or folders…> -o OUT [--format wav16|wav24|f32|flac]
                   [--rate HZ] [--models ID,ID] [--channel-format F] [--json]
                   [--labels L,L | --labels-from DIR] [--mode fast|accurate] [--verifier ID|none]

Finds the sound classes in each recording (tagger), separates every detected class into
its own mono stem (separator) and estimates each stem's direction (FOA intensity). With a
verifier model, every stem is checked by a single-source classifier: stems it does not
confirm are dropped, or relabelled when it is sure of another class, and the window is
separated again with the corrected labels (docs/inference.md, "Stem verification").

Writes, per recording:
  OUT/<recording>/<Label>.wav     one stem per detected label, full length
                                  (a label found twice by a 2026 model: <Label>_1, <Label>_2)
  OUT/<recording>/labels.json     labels with confidence, the per-window probability
                                  timeline, stems with direction and level, models, timings
  OUT/<recording>/labels.csv      one row per stem
Stem files of an earlier run that this run does not write again are removed.

Options:
  -o, --out OUT          output folder (created if needed)
  --format F             wav16 (default), wav24, f32 (32-bit float WAV), flac (24-bit)
  --rate HZ              output sample rate (default: the model's, 32000 for the
                         DCASE models)
  --models ID,ID         use these models (a tagger, a separator and/or a verifier)
                         instead of the active ones ('s5 models list')
  --labels L,L           separate exactly these classes, without the tagger (the user's
                         query; e.g. Speech,Dishes). Names: ${S5_LABELS.join(', ')}.
                         More classes than the separator's slots take several passes.
                         The labels are marked user-chosen (origin "user") in labels.json
  --labels-from DIR      each recording's classes from an official-layout oracle folder:
                         DIR/<recording>_<Label>.wav (oracle labels, for evaluation)
  --mode M               fast (default): separate the tagger's classes; accurate: also
                         try the classes the tagger missed and keep the stems the verifier
                         confirms (needs a verifier; several times slower)
  --verifier ID|none     the stem verifier to use (default: the active one, if any);
                         none: no verification (e.g. separator with oracle labels)
  --channel-format F     the recordings' channel format: ${CHANNEL_FORMATS.join(', ')}
                         (default: 4 channels = ACN/SN3D, 1 = mono)
  --threads N            ONNX Runtime threads (default: all cores)
  --provider P           auto (default: CUDA when installed and a GPU is present), cpu, cuda
  --json                 one JSON line per finished recording (the labels.json object)
  -h, --help             show this help

Folders contribute their audio files (.wav .flac .ogg .mp3 …, not recursive). Recordings
are processed in overlapping windows of the model's length, so any length works and memory
does not grow with it. Progress with ETA is shown on a terminal (stderr). A recording that
fails is reported and the others are still processed.

Exit status: 0 success, 1 data error (the message names the file and the problem),
2 usage error.
`;

export const RUNTIME_OPTIONS = {
  models: { type: 'string' },
  threads: { type: 'string' },
  provider: { type: 'string' },
  'channel-format': { type: 'string' },
} as const;

const OPTIONS = {
  out: { type: 'string', short: 'o' },
  format: { type: 'string', default: 'wav16' },
  rate: { type: 'string' },
  labels: { type: 'string' },
  'labels-from': { type: 'string' },
  mode: { type: 'string' },
  verifier: { type: 'string' },
  ...RUNTIME_OPTIONS,
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

export const separateCommand: Command = { name: 'separate', summary: 'tag, separate and localise recordings into stems', help: HELP, run: runSeparate };

/** parseArgs with positionals (`s5 separate a.wav b.wav`), usage errors worded like args.ts. */
export function parseWithFiles<O extends NonNullable<ParseArgsConfig['options']>>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    const e = err as { code?: string; message?: string };
    const quoted = /'([^']+)'/.exec(e.message ?? '')?.[1];
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') throw new UsageError(`unknown option '${quoted ?? '?'}'`);
    throw new UsageError((e.message ?? String(err)).replace(/^Option/, 'option'));
  }
}

export function choice<T extends string>(name: string, value: string | undefined, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got '${value}')`);
}

export function positiveInt(name: string, value: string | undefined, min = 1, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max} (got '${value}')`);
  return n;
}

export interface RuntimeArgs {
  models?: string[];
  threads?: number;
  provider?: ProviderPreference;
  channelFormat?: ChannelFormat;
}

export function runtimeArgs(v: Record<string, unknown>): RuntimeArgs {
  const models = typeof v.models === 'string' ? v.models.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
  if (models && (models.length === 0 || models.length > 3)) throw new UsageError('--models takes one to three model ids: TAGGER,SEPARATOR[,VERIFIER]');
  return {
    models,
    threads: positiveInt('threads', v.threads as string | undefined, 1, 1024),
    provider: choice('provider', v.provider as string | undefined, PROVIDER_PREFERENCES),
    channelFormat: choice('channel-format', v['channel-format'] as string | undefined, CHANNEL_FORMATS),
  };
}

/** The engine runtime a command needs (the same assembly as the engine's); `dispose` ends the inference worker. */
export function openRuntime(r: RuntimeArgs): Runtime {
  const runtime = createRuntime({ inference: { threads: r.threads, provider: r.provider } });
  // Start the inference worker now: ONNX Runtime loads in its thread while this one reads and
  // checks the models (a failure shows up, with its message, when the first model loads).
  runtime.inference.facts().catch(() => undefined);
  return runtime;
}

function clock(s: number): string {
  const t = Math.max(0, Math.round(s));
  const h = Math.floor(t / 3600);
  const m = Math.floor((t % 3600) / 60);
  const sec = String(t % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A progress bar over a batch, weighted by recording duration, with an ETA (terminal only). */
export class BatchProgress {
  private readonly line: ProgressLine;
  private readonly started = performance.now();
  private doneSeconds = 0;

  constructor(io: CliIO, private readonly durations: number[]) {
    this.line = new ProgressLine(io);
  }

  update(index: number, name: string, p: PipelineProgress | null): void {
    const total = this.durations.reduce((a, b) => a + b, 0) || 1;
    const fraction = Math.min(1, (this.doneSeconds + (p && p.total > 0 ? p.done / p.total : 0) * this.durations[index]) / total);
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = fraction > 0.01 ? clock((elapsed * (1 - fraction)) / fraction) : '--:--';
    const bar = '#'.repeat(Math.round(fraction * 24)).padEnd(24, '.');
    const step = p ? ` ${p.stage === 'finish' ? 'writing' : `window ${p.done}/${p.total}`}` : '';
    this.line.update(`[${index + 1}/${this.durations.length}] [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ETA ${eta}  ${name}${step}`);
  }

  finished(index: number): void {
    this.doneSeconds += this.durations[index];
  }

  clear(): void {
    this.line.clear();
  }
}

/** Durations from the headers (for the progress weights); 1 s for files that cannot be probed. */
export async function probeDurations(files: readonly string[]): Promise<number[]> {
  return Promise.all(files.map((f) => probeAudio(f).then((i) => Math.max(1, i.durationSec), () => 1)));
}

/**
 * `--labels` → class names in the official spelling (case-insensitive input). Unknown names are a
 * usage error listing the accepted ones; duplicates are kept here (a 2026 separator separates a
 * class twice) and collapsed for 2025 models (`queryFor`).
 */
export function parseLabels(text: string): S5Label[] {
  const names = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new UsageError(`--labels needs at least one class name (accepted: ${S5_LABELS.join(', ')})`);
  const byLower = new Map(S5_LABELS.map((l) => [l.toLowerCase(), l]));
  const unknown = names.filter((n) => !byLower.has(n.toLowerCase()));
  if (unknown.length) {
    throw new UsageError(`--labels: unknown class${unknown.length > 1 ? 'es' : ''} ${unknown.map((u) => `'${u}'`).join(', ')} (accepted: ${S5_LABELS.join(', ')})`);
  }
  return names.map((n) => byLower.get(n.toLowerCase()) as S5Label);
}

/** The query for a separator: duplicates only where the task allows several instances (2026). */
function queryFor(labels: readonly S5Label[], task: Task, warn: (w: string) => void): S5Label[] {
  if (task === 'dcase2026t4') return [...labels];
  const unique = [...new Set(labels)];
  if (unique.length < labels.length) warn(`a class is named twice in the label query; a ${task} separator separates each class once (${unique.join(', ')})`);
  return unique;
}

/** `--labels-from DIR`: each recording's labels from the oracle files `<recording>_<Label>.wav` in DIR. */
async function oracleLabels(dir: string, recordings: readonly string[], task: Task, warnings: string[]): Promise<Map<string, S5Label[]>> {
  let files: string[];
  try {
    files = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && d.name.endsWith('.wav')).map((d) => d.name);
  } catch (e) {
    throw new S5Error('bad_input', `cannot read the oracle folder (${(e as NodeJS.ErrnoException).code ?? e}); --labels-from takes a folder of <recording>_<Label>.wav files`, dir);
  }
  const names = [...new Set(recordings.map(recordingName))];
  const found = attributeFiles(task, names, files, dir, 'oracle', warnings);
  return new Map(names.map((n) => [n, (found.get(n) ?? []).map((f) => f.label)]));
}

function describe(r: S5Result): string {
  const head = `${r.recording.path} → ${r.out_dir}  (${r.recording.duration_s.toFixed(1)} s in ${r.timings.total_s.toFixed(1)} s, RTF ${r.timings.rtf.toFixed(3)})\n`;
  const v = r.verification;
  const checked = v
    ? `  verified by ${r.models.verifier?.id ?? '?'} (${v.mode}): ${v.dropped.length ? `dropped ${v.dropped.map((d) => `${d.label} (${d.windows} window${d.windows > 1 ? 's' : ''})`).join(', ')}` : 'nothing dropped'}${v.relabelled.length ? `; relabelled ${v.relabelled.map((x) => `${x.from}→${x.to}`).join(', ')}` : ''}\n`
    : '';
  if (r.stems.length === 0) return `${head}${checked}  no label detected\n`;
  const rows = r.stems.map((s) => {
    const dir = s.direction ? `az ${s.direction.azimuth_deg.toFixed(1).padStart(6)}°  el ${s.direction.elevation_deg.toFixed(1).padStart(5)}°  (${s.direction.confidence.toFixed(2)})` : 'direction n/a';
    const level = s.rms_db === null ? 'silent' : `${s.rms_db.toFixed(1)} dB`;
    const origin = s.origin && s.origin !== 'tagger' ? ` [${s.origin}]` : '';
    return `  ${s.name.padEnd(20)} ${s.confidence.toFixed(2)}  ${dir}  ${level.padStart(9)}  ${s.file}${origin}`;
  });
  return `${head}${checked}${rows.join('\n')}\n`;
}

async function runSeparate(args: string[], io: CliIO): Promise<number> {
  const { values: v, positionals } = parseWithFiles(args, OPTIONS);
  if (v.help) {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw new UsageError('name at least one recording or folder');
  if (!v.out) throw new UsageError('missing required option --out (-o)');
  const format = choice('format', v.format, STEM_FORMATS) as StemFormat;
  const rate = positiveInt('rate', v.rate, 8000, 384000);
  const rt = runtimeArgs(v);
  const mode = choice('mode', v.mode, SEPARATION_MODES) ?? 'fast';
  if (v.labels !== undefined && v['labels-from'] !== undefined) throw new UsageError('--labels and --labels-from both name the classes; use one');
  const userLabels = v.labels !== undefined ? parseLabels(v.labels) : null;
  const query = userLabels !== null || v['labels-from'] !== undefined;
  if (query && mode === 'accurate') throw new UsageError('--mode accurate searches for classes the tagger missed; with --labels / --labels-from the classes are given');
  const verifier = v.verifier === undefined ? undefined : v.verifier === 'none' ? null : v.verifier;
  const files = await expandInputs(positionals);
  const runtime = openRuntime(rt);
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once('SIGINT', onSigint);
  let failures = 0;
  try {
    // Model problems stop the batch before any file.
    const loaded = await runtime.pipeline.models(rt.models, true, { verifier });
    if (mode === 'accurate' && !loaded.verifier) throw new S5Error('invalid_request', `--mode accurate keeps the stems a verifier confirms, and no verifier model is ${verifier === null ? 'used (--verifier none)' : 'installed or active'} ('s5 models list')`);
    const task = (loaded.separator ?? loaded.tagger).manifest.task;
    const labelWarnings: string[] = [];
    const oracle = v['labels-from'] !== undefined ? await oracleLabels(v['labels-from'], files, task, labelWarnings) : null;
    const fixed = userLabels ? queryFor(userLabels, task, (w) => labelWarnings.push(w)) : null;
    if (fixed && loaded.separator) checkQuery(fixed, loaded.separator); // a class the separator lacks stops the batch too
    for (const w of labelWarnings) io.stderr(formatWarning(w));
    const progress = new BatchProgress(io, io.stderrIsTTY ? await probeDurations(files) : files.map(() => 1));
    for (const [i, file] of files.entries()) {
      progress.update(i, file, null);
      try {
        const labels = fixed ?? (oracle ? queryFor(oracle.get(recordingName(file)) ?? [], task, () => undefined) : undefined);
        if (oracle && labels?.length === 0) io.stderr(formatWarning(`${file}: no oracle file ${recordingName(file)}_<Label>.wav in ${v['labels-from']}; no class is separated`));
        const result = await runtime.pipeline.separate({
          path: file, outDir: v.out, format, sampleRate: rate, loaded, channelFormat: rt.channelFormat,
          labels, mode, verifier: verifier === null ? null : undefined,
          signal: controller.signal, onProgress: (p) => progress.update(i, file, p),
        });
        progress.clear();
        for (const w of result.warnings) io.stderr(formatWarning(w));
        io.stdout(v.json ? `${JSON.stringify(result)}\n` : describe(result));
      } catch (err) {
        progress.clear();
        if (!(err instanceof S5Error) || err.code === 'cancelled' || files.length === 1) throw err;
        io.stderr(formatDataError(err));
        failures++;
      }
      progress.finished(i);
    }
    progress.clear();
  } finally {
    process.removeListener('SIGINT', onSigint);
    await runtime.dispose();
  }
  return failures > 0 ? EXIT.dataError : EXIT.ok;
}
