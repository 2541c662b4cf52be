/**
 * The pipeline as the engine API, the CLI and the benchmarks use it: resolves the models (named or
 * the active pair), loads their ONNX Runtime sessions once through the InferenceHost (checking what
 * ONNX Runtime reports against the manifest), and runs `tag` / `separate` on one recording.
 */
import path from 'node:path';
import type { ChannelFormat } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import type { S5Result, StemFormat } from '../../shared/result';
import type { InferenceHost } from '../inference/ort-client';
import type { ModelRegistry, ValidModel } from '../models/registry';
import { compareIo } from '../models/validate';
import { processRecording, type PipelineProgress, type ProcessRequest } from './process';
import type { PipelineModel } from './runners';

export interface RunCommon {
  path: string;
  channelFormat?: ChannelFormat;
  /** Model ids (a tagger and/or a separator); the active pair fills in what is missing. */
  models?: readonly string[];
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
  warnings: string[];
}

export interface SeparateOptions extends RunCommon {
  /** Parent folder: the recording's files go to `<outDir>/<recording name>/`. */
  outDir: string;
  format?: StemFormat;
  /** Output sample rate (default: the model's). */
  sampleRate?: number;
}

export function recordingName(file: string): string {
  return path.basename(file).replace(/\.[^.]*$/, '') || path.basename(file);
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

  async models(ids: readonly string[] | undefined, needSeparator: boolean): Promise<LoadedModels> {
    const r = await this.registry.resolve(ids, needSeparator);
    const tagger = await this.load(r.tagger);
    const separator = r.separator ? await this.load(r.separator) : null;
    return { tagger, separator, warnings: r.warnings };
  }

  async tag(opts: RunCommon): Promise<S5Result> {
    const m = opts.loaded ?? (await this.models(opts.models, false));
    return processRecording({
      path: opts.path, channelFormat: opts.channelFormat, tagger: m.tagger, separator: null,
      threads: this.inference.threads, signal: opts.signal, onProgress: opts.onProgress, onWindow: opts.onWindow, warnings: m.warnings,
    });
  }

  async separate(opts: SeparateOptions): Promise<S5Result> {
    const m = opts.loaded ?? (await this.models(opts.models, true));
    if (!m.separator) throw new S5Error('not_found', 'separation needs a separator model');
    return processRecording({
      path: opts.path, channelFormat: opts.channelFormat, tagger: m.tagger, separator: m.separator,
      output: { dir: path.join(path.resolve(opts.outDir), recordingName(opts.path)), format: opts.format ?? 'wav16', sampleRate: opts.sampleRate },
      threads: this.inference.threads, signal: opts.signal, onProgress: opts.onProgress, onWindow: opts.onWindow, warnings: m.warnings,
    });
  }
}
