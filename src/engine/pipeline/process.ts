/**
 * One recording through the whole pipeline, streaming:
 *
 *   decode → ACN/SN3D → resample to the model rate → windows (model length, hop 80 %: windower.ts)
 *     → tagger per window (timeline, window decision) → separator for the window's labels
 *     → overlap-add (triangle crossfade) → stems written as they become final
 *     + direction of each stem from the FOA mixture (same samples, same time)
 *       (with a verifier: each window's stems are checked and its labels refined, refine.ts)
 *   end: recording-level labels (decision.ts) → kept stems renamed, labels.json / labels.csv.
 *
 * `query` replaces the tagger by the user's labels (every window separates exactly those; the
 * tagger is not run, the timeline has no probabilities). `mode: 'accurate'` also queries the
 * classes the tagger missed and keeps the stems the verifier confirms.
 *
 * `mixture` also writes the decoded input, as the models read it, in the same pass (the Scene
 * cache's mixture: the recording is decoded and resampled once).
 *
 * Memory is a few windows whatever the file length. An AbortSignal is checked between windows;
 * cancelling or failing leaves no partial file under a final name.
 */
import type { ChannelFormat } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import type { S5Label } from '../../shared/labels';
import {
  STEM_FORMAT_ENCODING, STEM_FORMAT_EXTENSION,
  type S5Result, type SeparationMode, type Stem, type StemFormat, type TimelineEntry, type VerificationReport,
} from '../../shared/result';
import { createAudioWriter, isFoaFormat, openAudioStream, type AudioWriter } from '../audio';
import { DirectionMeter } from '../dsp/doa';
import { OverlapAdd, type Emitted } from '../dsp/overlap-add';
import { inputChannelFormat, windowSamples } from '../models/roles';
import { LabelTally, stemKeys, type Pick, type StemKey, type WindowDecision } from './decision';
import { isStemFileName, recordingName, stemName, writeLabelFiles } from './outputs';
import { refineWindow } from './refine';
import { runTagger, type PipelineModel } from './runners';
import { verifierRule } from './verifier';
import { StemWriters } from './stems';
import { pipelineHop, readAhead, windows, type AudioWindow } from './windower';

export interface PipelineProgress {
  task: 'separate' | 'tag';
  stage: 'process' | 'finish';
  /** Windows done / expected (the count is exact for WAV and FLAC, estimated for Ogg/MP3). */
  done: number;
  total: number;
  recording: string;
}

export interface ProcessRequest {
  path: string;
  channelFormat?: ChannelFormat;
  tagger: PipelineModel;
  /** null: tag only. */
  separator: PipelineModel | null;
  /** Where the stems, labels.json and labels.csv of this recording go (separation only). */
  output?: { dir: string; format: StemFormat; sampleRate?: number };
  threads: number;
  signal?: AbortSignal;
  onProgress?: (p: PipelineProgress) => void;
  /** Called with each window's timeline entry as soon as the tagger has run on it (the Scene view
   * shows results as they come); `total` is the expected window count. */
  onWindow?: (entry: TimelineEntry, index: number, total: number, timelineLabels: readonly S5Label[]) => void;
  /** Warnings from model resolution, reported in the result. */
  warnings?: readonly string[];
  /** The user's labels: separated in every window instead of the tagger's (the tagger is not run). */
  query?: readonly S5Label[];
  /** Stem verifier (separation only): checks each window's stems (refine.ts). */
  verifier?: PipelineModel | null;
  /** 'accurate' also queries the classes the tagger missed (needs a verifier); default 'fast'. */
  mode?: SeparationMode;
  /** false: the verifier only scores the stems (nothing dropped or relabelled). Default true. */
  enforceVerification?: boolean;
  /**
   * Also write the input as the models read it (its first ≤ 4 channels, at the model rate, float32
   * WAV) to `file` in the same pass; `done` gets its size. Not written (`done` not called) when an
   * array model reads the raw channels of a recording declared in another format: the file would
   * not be the converted mixture the caller asked for.
   */
  mixture?: { file: string; done: (m: { frames: number; channels: number }) => void };
}

export function windowCount(frames: number, windowSamples: number, hopSamples: number): number {
  return frames <= windowSamples ? 1 : Math.ceil((frames - windowSamples) / hopSamples) + 1;
}

const round = (x: number, digits = 4) => Number(x.toFixed(digits));

function checkAbort(signal: AbortSignal | undefined, file: string): void {
  if (signal?.aborted) throw new S5Error('cancelled', 'cancelled', file);
}

/** Accurate mode: the classes to try beyond the window's picks, most probable first (no tagger: none). */
function candidates(decision: WindowDecision, taggerLabels: readonly S5Label[], known: readonly S5Label[], threshold: number): { label: S5Label; confidence: number }[] {
  if (decision.probs.length === 0) return [];
  const picked = new Set(decision.picks.map((p) => p.label));
  return taggerLabels
    .map((label, i) => ({ label, confidence: decision.probs[i] }))
    .filter((c) => !picked.has(c.label) && known.includes(c.label) && c.confidence >= threshold)
    .sort((a, b) => b.confidence - a.confidence);
}

/** A label's origin (written only when not 'tagger') and verifier score (only when verified). */
function labelExtras(l: { origin?: Stem['origin']; verifier?: number } | undefined): { origin?: Stem['origin']; verifier_confidence?: number } {
  if (!l) return {};
  return { ...(l.origin ? { origin: l.origin } : {}), ...(l.verifier !== undefined ? { verifier_confidence: round(l.verifier) } : {}) };
}

function verificationReport(
  mode: SeparationMode,
  r: { dropped: Map<S5Label, number>; relabelled: Map<string, number>; separatorRuns: number; verifierRuns: number; maxPasses: number },
): VerificationReport {
  return {
    mode,
    dropped: [...r.dropped].map(([label, windows]) => ({ label, windows })),
    relabelled: [...r.relabelled].map(([k, windows]) => {
      const [from, to] = k.split('>') as [S5Label, S5Label];
      return { from, to, windows };
    }),
    separator_runs: r.separatorRuns,
    verifier_runs: r.verifierRuns,
    max_passes: r.maxPasses,
  };
}

/** The recording opened for the models: stream, rates, window geometry and what runs on it. */
interface Recording {
  stream: Awaited<ReturnType<typeof openAudioStream>>;
  name: string;
  rate: number;
  /** Window and hop in samples at the model rate. */
  W: number;
  hop: number;
  windowChannels: number;
  /** Directions are measured (4-channel FOA input to an FOA model). */
  foa: boolean;
  sep: PipelineModel | null;
  out: { dir: string; format: StemFormat; sampleRate?: number } | null;
  verifier: PipelineModel | null;
  mode: SeparationMode;
  query: S5Label[] | null;
  minEvents: number;
  warnings: string[];
  /** Writes the decoded input for `req.mixture` as the windows are read. */
  mixture: { writer: AudioWriter; channels: number } | null;
}

/** What the window loop gathers. */
interface WindowsRun {
  tally: LabelTally;
  timeline: TimelineEntry[];
  unseparated: Set<S5Label>;
  report: { dropped: Map<S5Label, number>; relabelled: Map<string, number>; separatorRuns: number; verifierRuns: number; maxPasses: number };
  ms: { tag: number; sep: number; verify: number };
  totalSamples: number;
  windows: number;
}

export async function processRecording(req: ProcessRequest): Promise<S5Result> {
  const t0 = performance.now();
  const rec = await openRecording(req);
  const sink = rec.out && rec.sep ? new StemSink(rec, rec.out) : null;
  let run: WindowsRun;
  try {
    run = await runWindows(req, rec, sink);
    checkAbort(req.signal, req.path);
    if (rec.mixture) {
      const { frames } = await rec.mixture.writer.close();
      req.mixture?.done({ frames, channels: rec.mixture.channels });
    }
  } catch (e) {
    await sink?.abort();
    await rec.mixture?.writer.abort();
    await rec.stream.close();
    throw e;
  }
  rec.warnings.push(...rec.stream.info.warnings.map((w) => `${req.path}: ${w}`));
  const labels = run.tally.result();
  let stems: Stem[] = [];
  if (sink) {
    req.onProgress?.({ task: 'separate', stage: 'finish', done: run.windows, total: run.windows, recording: req.path });
    stems = await sink.commit(labels, run.totalSamples);
    for (const l of run.unseparated) rec.warnings.push(`separator '${rec.sep?.manifest.id}' does not know ${l}; it has no stem`);
  }
  const result = buildResult(req, rec, run, labels, stems, { totalS: (performance.now() - t0) / 1000, directionS: (sink?.directionMs ?? 0) / 1000 });
  if (rec.out) {
    await writeLabelFiles(rec.out.dir, result); // creates the folder when no stem was written
  }
  return result;
}

/** Opens the stream in the models' channel format and rate, and settles what runs on it. */
async function openRecording(req: ProcessRequest): Promise<Recording> {
  const tm = req.tagger.manifest;
  const sep = req.output ? req.separator : null;
  const rate = tm.sample_rate;
  const W = windowSamples(tm);
  // Array models (channel_format 'other') read raw channels and get no FOA direction (roles.ts).
  const input = inputChannelFormat([tm, sep?.manifest], req.channelFormat);
  const stream = await openAudioStream(req.path, { channelFormat: input.channelFormat, targetRate: rate });
  const info = stream.info;
  const warnings = [...(req.warnings ?? [])];
  if (input.warning) warnings.push(input.warning);
  const needed = Math.max(tm.channels, sep?.manifest.channels ?? 1);
  if (info.channels < needed) warnings.push(`${req.path}: ${info.channels}-channel input but the models take ${needed} channels; the missing channels are fed as zeros`);
  const verifier = sep ? req.verifier ?? null : null;
  const mode: SeparationMode = req.mode ?? 'fast';
  if (mode === 'accurate' && !verifier && sep) {
    await stream.close();
    throw new S5Error('invalid_request', 'accurate mode keeps the stems a verifier confirms: it needs a verifier model (none is installed or active)');
  }
  let mixture: Recording['mixture'] = null;
  if (req.mixture && input.channelFormat === req.channelFormat) {
    const channels = Math.min(4, stream.channels);
    try {
      mixture = { writer: await createAudioWriter(req.mixture.file, channels, rate, 'float32'), channels };
    } catch (e) {
      await stream.close();
      throw e;
    }
  }
  return {
    stream, name: recordingName(req.path), rate, W, hop: pipelineHop(W),
    windowChannels: Math.max(needed, info.channels >= 4 ? 4 : 1),
    foa: !input.arrayModel && info.channels >= 4 && isFoaFormat(info.channelFormat),
    sep, out: sep && req.output ? req.output : null, verifier, mode, query: req.query ? [...req.query] : null,
    minEvents: tm.decision?.min_events ?? 0, warnings, mixture,
  };
}

/** Per window: the tagger (or the user's labels) → separation refined by the verifier → overlap-add; timeline and tally. */
async function runWindows(req: ProcessRequest, rec: Recording, sink: StemSink | null): Promise<WindowsRun> {
  const tm = req.tagger.manifest;
  const { rate, W, hop, sep, verifier, mode, query, stream } = rec;
  const rule = verifier ? verifierRule(verifier.manifest) : null;
  const run: WindowsRun = {
    tally: new LabelTally(rec.minEvents), timeline: [], unseparated: new Set<S5Label>(),
    report: { dropped: new Map(), relabelled: new Map(), separatorRuns: 0, verifierRuns: 0, maxPasses: 0 },
    ms: { tag: 0, sep: 0, verify: 0 }, totalSamples: 0, windows: 0,
  };
  const task = rec.out ? 'separate' : 'tag';
  let last: AudioWindow | null = null;
  const expected = () => Math.max(windowCount(stream.expectedFrames, W, hop), (last?.index ?? -1) + 1);
  const blocks = rec.mixture ? tee(stream, rec.mixture) : stream;
  for await (const w of readAhead(windows(blocks, rec.windowChannels, W, hop))) {
    checkAbort(req.signal, req.path);
    let decision: WindowDecision;
    if (query) {
      decision = { probs: new Float64Array(0), picks: query.map((label) => ({ label, confidence: 1, passed: true, origin: 'user' })) };
    } else {
      const tag = await runTagger(req.tagger, w);
      run.ms.tag += tag.ms;
      decision = tag.decision;
    }
    let picks: Pick[] = decision.picks;
    run.totalSamples = w.start + w.valid;
    if (sep && sink) {
      const r = await refineWindow({
        separator: sep, verifier, rule, window: w, picks, minEvents: rec.minEvents, enforce: req.enforceVerification,
        candidates: mode === 'accurate' && rule ? candidates(decision, tm.labels, sep.manifest.labels, rule.candidate) : [],
      });
      run.ms.sep += r.sepMs;
      run.ms.verify += r.verifyMs;
      const rep = run.report;
      rep.separatorRuns += r.separatorRuns;
      rep.verifierRuns += r.verifierRuns;
      rep.maxPasses = Math.max(rep.maxPasses, r.passes);
      for (const l of r.dropped) rep.dropped.set(l, (rep.dropped.get(l) ?? 0) + 1);
      for (const x of r.relabelled) rep.relabelled.set(`${x.from}>${x.to}`, (rep.relabelled.get(`${x.from}>${x.to}`) ?? 0) + 1);
      picks = r.picks;
      const keys = stemKeys(picks);
      const outputs = new Map<StemKey, Float32Array>();
      r.outputs.forEach((o, i) => (o ? outputs.set(keys[i], o) : run.unseparated.add(picks[i].label)));
      await sink.push(outputs, w);
    }
    run.tally.add(picks);
    run.timeline.push({ start: round(w.start / rate), end: round((w.start + w.valid) / rate), probs: Array.from(decision.probs, (p) => round(p)), labels: picks.map((p) => p.label) });
    req.onWindow?.(run.timeline[run.timeline.length - 1], w.index, expected(), query ? [] : tm.labels);
    last = w;
    req.onProgress?.({ task, stage: 'process', done: w.index + 1, total: expected(), recording: req.path });
  }
  if (sink && last) await sink.finish(run.totalSamples, last);
  run.windows = expected();
  return run;
}

/** Passes the decoded blocks on after writing their first `out.channels` channels. */
async function* tee(blocks: AsyncIterable<Float32Array[]>, out: NonNullable<Recording['mixture']>): AsyncGenerator<Float32Array[]> {
  for await (const block of blocks) {
    await out.writer.write(block.slice(0, out.channels));
    yield block;
  }
}

/** Overlap-add → direction of each stem from the same mixture samples → stem files, named at the end. */
class StemSink {
  private readonly writers: StemWriters<StemKey>;
  private readonly ola: OverlapAdd<StemKey>;
  private readonly doa: DirectionMeter<StemKey> | null;
  private readonly ext: string;

  constructor(private readonly rec: Recording, out: NonNullable<Recording['out']>) {
    this.ext = STEM_FORMAT_EXTENSION[out.format];
    this.writers = new StemWriters<StemKey>(out.dir, rec.rate, out.sampleRate ?? rec.rate, STEM_FORMAT_ENCODING[out.format], this.ext);
    this.ola = new OverlapAdd<StemKey>(rec.W, rec.hop);
    this.doa = rec.foa ? new DirectionMeter<StemKey>(rec.rate, rec.hop) : null;
  }

  get directionMs(): number {
    return this.doa?.elapsedMs ?? 0;
  }

  /** One window's stems; writes the samples no later window touches. */
  push(outputs: Map<StemKey, Float32Array>, w: AudioWindow): Promise<void> {
    return this.emit(this.ola.push(outputs, w.start + w.valid), w);
  }

  finish(totalSamples: number, last: AudioWindow): Promise<void> {
    return this.emit(this.ola.finish(totalSamples), last);
  }

  abort(): Promise<void> {
    return this.writers.abort();
  }

  private async emit(em: Emitted<StemKey>, w: AudioWindow): Promise<void> {
    if (em.length === 0) return;
    if (this.doa) {
      const W = this.rec.W;
      const offset = em.start - w.start;
      const mixture = [0, 1, 2, 3].map((c) => w.data.subarray(c * W + offset, c * W + offset + em.length));
      this.doa.push(em.start, em.length, mixture, em.stems);
    }
    await this.writers.write(em.start, em.length, em.stems);
  }

  /** Names the stems of the recording-level labels (`<Label>`, `<Label>_<n>`), renames them into place, measures directions. */
  async commit(labels: ReturnType<LabelTally['result']>, totalSamples: number): Promise<Stem[]> {
    const count = new Map(labels.map((l) => [l.label, l.count]));
    const names = new Map<StemKey, string>();
    for (const key of this.ola.keys()) {
      const [label, k] = key.split('#') as [S5Label, string];
      const n = count.get(label) ?? 0;
      if (Number(k) < n) names.set(key, `${stemName(label, Number(k), n)}${this.ext}`);
    }
    let committed;
    try {
      committed = await this.writers.commit(names, isStemFileName);
    } catch (e) {
      await this.writers.abort();
      throw e;
    }
    const directions = this.doa?.finish(totalSamples);
    const stems: Stem[] = [];
    for (const [key, fileName] of names) {
      const label = key.split('#')[0] as S5Label;
      const c = committed.get(key);
      const d = directions?.get(key) ?? null;
      const detected = labels.find((l) => l.label === label);
      stems.push({
        label,
        name: fileName.slice(0, -this.ext.length),
        file: c?.file ?? fileName,
        confidence: round(detected?.confidence ?? 0),
        ...labelExtras(detected),
        direction: d && {
          azimuth_deg: round(d.azimuth_deg, 2), elevation_deg: round(d.elevation_deg, 2), confidence: round(d.confidence),
          windows: d.windows.map((s) => ({ ...s, start: round(s.start), end: round(s.end), azimuth_deg: round(s.azimuth_deg, 2), elevation_deg: round(s.elevation_deg, 2), confidence: round(s.confidence) })),
        },
        rms_db: c?.rmsDb === null || c?.rmsDb === undefined ? null : round(c.rmsDb, 2),
      });
      // Integer formats clamp at full scale: a loud recording's stems must not be cut silently.
      if (c && c.clipped > 0) {
        this.rec.warnings.push(`stem ${fileName}: ${c.clipped} sample${c.clipped > 1 ? 's' : ''} beyond full scale clipped by the ${this.ext === '.flac' ? 'FLAC' : 'integer WAV'} encoding (a loud recording); --format f32 keeps them`);
      }
    }
    return stems;
  }
}

/** The S5Result: recording, labels, timeline, stems, models, timings, verification. */
function buildResult(
  req: ProcessRequest, rec: Recording, run: WindowsRun, labels: ReturnType<LabelTally['result']>, stems: Stem[],
  t: { totalS: number; directionS: number },
): S5Result {
  const tm = req.tagger.manifest;
  const { rate, W, hop, sep, out, verifier, query } = rec;
  const info = rec.stream.info;
  const duration = run.totalSamples / rate;
  const { tag, sep: sepMs, verify } = run.ms;
  const use = (m: PipelineModel) => ({
    id: m.manifest.id, name: m.manifest.name, provider: m.session.info.provider,
    fallback_reason: m.session.info.fallbackReason, session_create_s: round(m.session.info.createMs / 1000),
  });
  return {
    schema_version: 1,
    task: tm.task,
    recording: { path: req.path, name: rec.name, duration_s: round(duration), sample_rate: info.sampleRate, channels: info.channels, channel_format: info.channelFormat },
    labels: labels.map((l) => ({ label: l.label, count: l.count, confidence: round(l.confidence), ...labelExtras(l) })),
    window_s: round(W / rate),
    hop_s: round(hop / rate),
    timeline_labels: query ? [] : [...tm.labels],
    timeline: run.timeline,
    stems,
    out_dir: out ? out.dir : null,
    output: out ? { format: out.format, sample_rate: out.sampleRate ?? rate } : null,
    models: { tagger: use(req.tagger), separator: sep ? use(sep) : null, ...(verifier ? { verifier: use(verifier) } : {}), threads: req.threads },
    timings: {
      total_s: round(t.totalS),
      tag_s: round(tag / 1000),
      separate_s: round(sepMs / 1000),
      direction_s: round(t.directionS),
      ...(verifier ? { verify_s: round(verify / 1000) } : {}),
      other_s: round(Math.max(0, t.totalS - (tag + sepMs + verify) / 1000 - t.directionS)),
      rtf: duration > 0 ? round(t.totalS / duration, 5) : 0,
    },
    ...(verifier ? { verification: verificationReport(rec.mode, run.report) } : {}),
    warnings: rec.warnings,
  };
}
