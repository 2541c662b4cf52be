/**
 * One recording through the whole pipeline, streaming:
 *
 *   decode → ACN/SN3D → resample to the model rate → windows (model length, 50 % overlap)
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
 * Memory is a few windows whatever the file length. An AbortSignal is checked between windows;
 * cancelling or failing leaves no partial file under a final name.
 */
import path from 'node:path';
import type { ChannelFormat } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import type { S5Label } from '../../shared/labels';
import {
  STEM_FORMAT_ENCODING, STEM_FORMAT_EXTENSION,
  type S5Result, type SeparationMode, type Stem, type StemFormat, type TimelineEntry, type VerificationReport,
} from '../../shared/result';
import { isFoaFormat, openAudioStream } from '../audio';
import { DirectionMeter } from '../dsp/doa';
import { OverlapAdd, type Emitted } from '../dsp/overlap-add';
import { inputChannelFormat, windowSamples } from '../models/roles';
import { LabelTally, stemKeys, type Pick, type StemKey, type WindowDecision } from './decision';
import { isStemFileName, stemName, writeLabelFiles } from './outputs';
import { refineWindow } from './refine';
import { runTagger, type PipelineModel } from './runners';
import { verifierRule } from './verifier';
import { StemWriters } from './stems';
import { readAhead, windows, type AudioWindow } from './windower';

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

export async function processRecording(req: ProcessRequest): Promise<S5Result> {
  const t0 = performance.now();
  const tm = req.tagger.manifest;
  const sep = req.output ? req.separator : null;
  const rate = tm.sample_rate;
  const W = windowSamples(tm);
  const hop = Math.floor(W / 2);
  // Array models (channel_format 'other') read raw channels and get no FOA direction (roles.ts).
  const input = inputChannelFormat([tm, sep?.manifest], req.channelFormat);
  const arrayModel = input.arrayModel;
  const stream = await openAudioStream(req.path, { channelFormat: input.channelFormat, targetRate: rate });
  const info = stream.info;
  const name = path.basename(req.path).replace(/\.[^.]*$/, '') || path.basename(req.path);
  const warnings = [...(req.warnings ?? [])];
  if (input.warning) warnings.push(input.warning);
  const needed = Math.max(tm.channels, sep?.manifest.channels ?? 1);
  const windowChannels = Math.max(needed, info.channels >= 4 ? 4 : 1);
  if (info.channels < needed) warnings.push(`${req.path}: ${info.channels}-channel input but the models take ${needed} channels; the missing channels are fed as zeros`);
  const foa = !arrayModel && info.channels >= 4 && isFoaFormat(info.channelFormat);

  const out = sep && req.output ? req.output : null;
  const outRate = out?.sampleRate ?? rate;
  const writers = out ? new StemWriters<StemKey>(out.dir, rate, outRate, STEM_FORMAT_ENCODING[out.format], STEM_FORMAT_EXTENSION[out.format]) : null;
  const ola = out ? new OverlapAdd<StemKey>(W, hop) : null;
  const doa = out && foa ? new DirectionMeter<StemKey>(rate, hop) : null;
  const minEvents = tm.decision?.min_events ?? 0;
  const tally = new LabelTally(minEvents);
  const timeline: TimelineEntry[] = [];
  const unseparated = new Set<S5Label>();
  const verifier = sep ? req.verifier ?? null : null;
  const rule = verifier ? verifierRule(verifier.manifest) : null;
  const mode: SeparationMode = req.mode ?? 'fast';
  if (mode === 'accurate' && !verifier && sep) throw new S5Error('invalid_request', 'accurate mode keeps the stems a verifier confirms: it needs a verifier model (none is installed or active)');
  const query = req.query ? [...req.query] : null;
  const report = { dropped: new Map<S5Label, number>(), relabelled: new Map<string, number>(), separatorRuns: 0, verifierRuns: 0, maxPasses: 0 };
  let tagMs = 0;
  let sepMs = 0;
  let verifyMs = 0;
  let totalSamples = 0;
  let last: AudioWindow | null = null;
  const task = out ? 'separate' : 'tag';
  const expected = () => Math.max(windowCount(stream.expectedFrames, W, hop), (last?.index ?? -1) + 1);

  const emit = async (em: Emitted<StemKey>, w: AudioWindow) => {
    if (em.length === 0) return;
    if (doa) {
      const offset = em.start - w.start;
      const mixture = [0, 1, 2, 3].map((c) => w.data.subarray(c * W + offset, c * W + offset + em.length));
      doa.push(em.start, em.length, mixture, em.stems);
    }
    await writers?.write(em.start, em.length, em.stems);
  };

  try {
    for await (const w of readAhead(windows(stream, windowChannels, W, hop))) {
      checkAbort(req.signal, req.path);
      let decision: WindowDecision;
      if (query) {
        decision = { probs: new Float64Array(0), picks: query.map((label) => ({ label, confidence: 1, passed: true, origin: 'user' })) };
      } else {
        const tag = await runTagger(req.tagger, w);
        tagMs += tag.ms;
        decision = tag.decision;
      }
      let picks: Pick[] = decision.picks;
      totalSamples = w.start + w.valid;
      if (sep && ola) {
        const r = await refineWindow({
          separator: sep, verifier, rule, window: w, picks, minEvents, enforce: req.enforceVerification,
          candidates: mode === 'accurate' && rule ? candidates(decision, tm.labels, sep.manifest.labels, rule.candidate) : [],
        });
        sepMs += r.sepMs;
        verifyMs += r.verifyMs;
        report.separatorRuns += r.separatorRuns;
        report.verifierRuns += r.verifierRuns;
        report.maxPasses = Math.max(report.maxPasses, r.passes);
        for (const l of r.dropped) report.dropped.set(l, (report.dropped.get(l) ?? 0) + 1);
        for (const x of r.relabelled) report.relabelled.set(`${x.from}>${x.to}`, (report.relabelled.get(`${x.from}>${x.to}`) ?? 0) + 1);
        picks = r.picks;
        const keys = stemKeys(picks);
        const outputs = new Map<StemKey, Float32Array>();
        r.outputs.forEach((o, i) => (o ? outputs.set(keys[i], o) : unseparated.add(picks[i].label)));
        await emit(ola.push(outputs, w.start + w.valid), w);
      }
      tally.add(picks);
      timeline.push({ start: round(w.start / rate), end: round((w.start + w.valid) / rate), probs: Array.from(decision.probs, (p) => round(p)), labels: picks.map((p) => p.label) });
      req.onWindow?.(timeline[timeline.length - 1], w.index, expected(), query ? [] : tm.labels);
      last = w;
      req.onProgress?.({ task, stage: 'process', done: w.index + 1, total: expected(), recording: req.path });
    }
    if (ola && last) await emit(ola.finish(totalSamples), last);
    checkAbort(req.signal, req.path);
  } catch (e) {
    await writers?.abort();
    await stream.close();
    throw e;
  }
  warnings.push(...info.warnings.map((w) => `${req.path}: ${w}`));

  const labels = tally.result();
  const stems: Stem[] = [];
  if (writers && ola && out) {
    req.onProgress?.({ task, stage: 'finish', done: expected(), total: expected(), recording: req.path });
    const count = new Map(labels.map((l) => [l.label, l.count]));
    const names = new Map<StemKey, string>();
    const ext = STEM_FORMAT_EXTENSION[out.format];
    for (const key of ola.keys()) {
      const [label, k] = key.split('#') as [S5Label, string];
      const n = count.get(label) ?? 0;
      if (Number(k) < n) names.set(key, `${stemName(label, Number(k), n)}${ext}`);
    }
    let committed;
    try {
      committed = await writers.commit(names, isStemFileName);
    } catch (e) {
      await writers.abort();
      throw e;
    }
    const directions = doa?.finish(totalSamples);
    for (const [key, fileName] of names) {
      const label = key.split('#')[0] as S5Label;
      const c = committed.get(key);
      const d = directions?.get(key) ?? null;
      const detected = labels.find((l) => l.label === label);
      stems.push({
        label,
        name: fileName.slice(0, -ext.length),
        file: c?.file ?? fileName,
        confidence: round(detected?.confidence ?? 0),
        ...labelExtras(detected),
        direction: d && {
          azimuth_deg: round(d.azimuth_deg, 2), elevation_deg: round(d.elevation_deg, 2), confidence: round(d.confidence),
          windows: d.windows.map((s) => ({ ...s, start: round(s.start), end: round(s.end), azimuth_deg: round(s.azimuth_deg, 2), elevation_deg: round(s.elevation_deg, 2), confidence: round(s.confidence) })),
        },
        rms_db: c?.rmsDb === null || c?.rmsDb === undefined ? null : round(c.rmsDb, 2),
      });
    }
    for (const l of unseparated) warnings.push(`separator '${sep?.manifest.id}' does not know ${l}; it has no stem`);
  }

  const totalS = (performance.now() - t0) / 1000;
  const directionS = (doa?.elapsedMs ?? 0) / 1000;
  const duration = totalSamples / rate;
  const use = (m: PipelineModel) => ({
    id: m.manifest.id, name: m.manifest.name, provider: m.session.info.provider,
    fallback_reason: m.session.info.fallbackReason, session_create_s: round(m.session.info.createMs / 1000),
  });
  const result: S5Result = {
    schema_version: 1,
    task: tm.task,
    recording: { path: req.path, name, duration_s: round(duration), sample_rate: info.sampleRate, channels: info.channels, channel_format: info.channelFormat },
    labels: labels.map((l) => ({ label: l.label, count: l.count, confidence: round(l.confidence), ...labelExtras(l) })),
    window_s: round(W / rate),
    hop_s: round(hop / rate),
    timeline_labels: query ? [] : [...tm.labels],
    timeline,
    stems,
    out_dir: out ? out.dir : null,
    output: out ? { format: out.format, sample_rate: outRate } : null,
    models: { tagger: use(req.tagger), separator: sep ? use(sep) : null, ...(verifier ? { verifier: use(verifier) } : {}), threads: req.threads },
    timings: {
      total_s: round(totalS),
      tag_s: round(tagMs / 1000),
      separate_s: round(sepMs / 1000),
      direction_s: round(directionS),
      ...(verifier ? { verify_s: round(verifyMs / 1000) } : {}),
      other_s: round(Math.max(0, totalS - (tagMs + sepMs + verifyMs) / 1000 - directionS)),
      rtf: duration > 0 ? round(totalS / duration, 5) : 0,
    },
    ...(verifier ? { verification: verificationReport(mode, report) } : {}),
    warnings,
  };
  if (out) {
    await writeLabelFiles(out.dir, result); // creates the folder when no stem was written
  }
  return result;
}
