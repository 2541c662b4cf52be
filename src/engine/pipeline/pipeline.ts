/**
 * The pipeline as the engine API, the CLI and the benchmarks use it: resolves the models (named or
 * the active pair), loads their ONNX Runtime sessions once through the InferenceHost (checking what
 * ONNX Runtime reports against the manifest), and runs `tag` / `separate` on one recording.
 */
import path from 'node:path';
import type { ChannelFormat } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import type { S5Label } from '../../shared/labels';
import type { S5Result, SeparationMode, StemFormat } from '../../shared/result';
import type { InferenceHost } from '../inference/ort-client';
import type { ModelRegistry, ValidModel } from '../models/registry';
import { compareIo } from '../models/validate';
import { recordingName } from './outputs';
import { processRecording, type PipelineProgress, type ProcessRequest } from './process';
import type { PipelineModel } from './runners';

export interface RunCommon {
  path: string;
  channelFormat?: ChannelFormat;
  /** Model ids (a tagger, a separator and/or a verifier); the active ones fill in what is missing. */
  models?: readonly string[];
  /** The stem verifier: an id, null = none (no verification), undefined = the named or active one. */
  verifier?: string | null;
  signal?: AbortSignal;
  onProgress?: (p: PipelineProgress) => void;
  /** Each window's timeline entry as soon as it is tagged (see ProcessRequest.onWindow). */
  onWindow?: ProcessRequest['onWindow'];
  /** Models already resolved and loaded by `models()` (batches resolve once); overrides `models`. */
  loaded?: LoadedModels;
}

export interface LoadedModels {
  tagger: PipelineModel;
  separator: PipelineModel | null;
  /** Stem verifier (separation only; null or absent: stems are not verified). */
  verifier?: PipelineModel | null;
  warnings: string[];
}

export interface SeparateOptions extends RunCommon {
  /** Parent folder: the recording's files go to `<outDir>/<recording name>/`. */
  outDir: string;
  format?: StemFormat;
  /** Output sample rate (default: the model's). */
  sampleRate?: number;
  /** Separate exactly these labels in every window instead of the tagger's (`--labels`). */
  labels?: readonly S5Label[];
  /** 'accurate' also queries the classes the tagger missed and keeps what the verifier confirms. */
  mode?: SeparationMode;
  /** false: the verifier scores the stems but drops nothing (default true). */
  enforceVerification?: boolean;
  /** Also write the decoded input in the same pass (see ProcessRequest.mixture). */
  mixture?: ProcessRequest['mixture'];
}

/** A user query must name classes the separator knows (duplicates are the caller's to collapse; empty: no stem). */
export function checkQuery(labels: readonly S5Label[], separator: PipelineModel): void {
  const unknown = labels.filter((l) => !separator.manifest.labels.includes(l));
  if (unknown.length) {
    throw new S5Error('invalid_request', `separator '${separator.manifest.id}' cannot separate ${unknown.join(', ')} (it knows: ${separator.manifest.labels.join(', ')})`);
  }
}

export class Pipeline {
  constructor(readonly registry: ModelRegistry, readonly inference: InferenceHost) {}

  /** Loads (once) and checks the session of a validated model. */
  async load(model: ValidModel): Promise<PipelineModel> {
    const session = await this.inference.load(model.onnxPath, model.manifest.sha256);
    const asOnnx = (list: typeof session.info.inputs) => list.map((v) => ({ name: v.name, dtype: v.type, shape: v.shape }));
    const problems = [
      ...compareIo(model.onnxPath, 'input', model.manifest.inputs, asOnnx(session.info.inputs)),
      ...compareIo(model.onnxPath, 'output', model.manifest.outputs, asOnnx(session.info.outputs)),
    ];
    if (problems.length) throw new S5Error('bad_input', `model '${model.manifest.id}' as loaded by ONNX Runtime differs from its manifest:\n  ${problems.join('\n  ')}`, model.onnxPath);
    return { manifest: model.manifest, session };
  }

  async models(ids: readonly string[] | undefined, needSeparator: boolean, opts: { verifier?: string | null } = {}): Promise<LoadedModels> {
    const r = await this.registry.resolve(ids, needSeparator, opts);
    const tagger = await this.load(r.tagger);
    const separator = r.separator ? await this.load(r.separator) : null;
    const verifier = r.verifier ? await this.load(r.verifier) : null;
    return { tagger, separator, verifier, warnings: r.warnings };
  }

  async tag(opts: RunCommon): Promise<S5Result> {
    const m = opts.loaded ?? (await this.models(opts.models, false));
    return processRecording({
      path: opts.path, channelFormat: opts.channelFormat, tagger: m.tagger, separator: null,
      threads: this.inference.threads, signal: opts.signal, onProgress: opts.onProgress, onWindow: opts.onWindow, warnings: m.warnings,
    });
  }

  async separate(opts: SeparateOptions): Promise<S5Result> {
    const m = opts.loaded ?? (await this.models(opts.models, true, { verifier: opts.verifier }));
    if (!m.separator) throw new S5Error('not_found', 'separation needs a separator model');
    if (opts.labels) checkQuery(opts.labels, m.separator);
    // A 2025 separator separates a class once; a 2026 one separates a class named twice twice.
    const query = opts.labels && m.separator.manifest.task !== 'dcase2026t4' ? [...new Set(opts.labels)] : opts.labels;
    return processRecording({
      path: opts.path, channelFormat: opts.channelFormat, tagger: m.tagger, separator: m.separator,
      output: { dir: path.join(path.resolve(opts.outDir), recordingName(opts.path)), format: opts.format ?? 'wav16', sampleRate: opts.sampleRate },
      threads: this.inference.threads, signal: opts.signal, onProgress: opts.onProgress, onWindow: opts.onWindow, warnings: m.warnings,
      query, verifier: opts.verifier === null ? null : m.verifier ?? null, mode: opts.mode, enforceVerification: opts.enforceVerification,
      mixture: opts.mixture,
    });
  }
}
