/**
 * The engine's scene workflow (issue #6): `sceneAnalyse` separates a recording into the session's
 * scene cache (float32 stems + the ACN/SN3D mixture at the model rate) and streams each window's
 * tagger probabilities as `sceneWindow` events; `sceneAudio` and `sceneSpectrogram` serve the
 * cached PCM and its spectrogram; `sceneExport` writes chosen stems and label files.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { ChannelFormat } from '../../shared/audio';
import { S5Error } from '../../shared/errors';
import { SCENE_AUDIO_MAX_FRAMES } from '../../shared/api-scene';
import { createAudioWriter, openAudioStream } from '../audio';
import { expandInputs } from '../pipeline/inputs';
import type { EngineContext, EngineModule } from '../context';
import { MIXTURE_FILE, SceneCache } from './cache';
import { exportScene } from './export';
import { addStem, removeStem } from './stems';
import { spectrogramDb, spectrogramHop } from './spectrogram';

/** Writes the recording converted to ACN/SN3D at `rate` (≤ 4 channels) as float32 WAV; returns its frames and channels. */
async function cacheMixture(
  file: string, channelFormat: ChannelFormat | undefined,
  rate: number, target: string, signal: AbortSignal,
): Promise<{ frames: number; channels: number }> {
  const stream = await openAudioStream(file, { ...(channelFormat ? { channelFormat } : {}), targetRate: rate });
  const channels = Math.min(4, stream.channels);
  const writer = await createAudioWriter(target, channels, rate, 'float32');
  try {
    for await (const block of stream) {
      if (signal.aborted) throw new S5Error('cancelled', 'cancelled', file);
      await writer.write(block.slice(0, channels));
    }
    const report = await writer.close();
    return { frames: report.frames, channels };
  } catch (e) {
    await writer.abort();
    await stream.close();
    throw e;
  }
}

export function sceneModule(ctx: EngineContext): EngineModule {
  const cache = new SceneCache();
  return {
    handlers: {
      sceneAnalyse: async (arg) => {
        const { id, dir } = await cache.newFolder();
        try {
          return await ctx.job(arg.jobId, async (signal, onProgress) => {
            const mixturePath = path.join(dir, MIXTURE_FILE);
            await mkdir(dir, { recursive: true });
            let written: { frames: number; channels: number } | null = null;
            // The pipeline writes the mixture while it reads the recording (decoded and resampled once).
            const result = await ctx.runtime().pipeline.separate({
              path: arg.path, outDir: dir, format: 'f32', channelFormat: arg.channelFormat, models: arg.models, mode: arg.mode, signal, onProgress,
              onWindow: (entry, index, total, labels) =>
                ctx.emit('sceneWindow', { ...(arg.jobId ? { job: arg.jobId } : {}), index, total: Math.max(1, total), timeline_labels: [...labels], entry }),
              mixture: { file: mixturePath, done: (m) => (written = m) },
            });
            const rate = result.output?.sample_rate ?? result.recording.sample_rate;
            // An array model read the raw channels of a recording declared in another format: convert in a second pass.
            const mix = written ?? (await cacheMixture(arg.path, arg.channelFormat, rate, mixturePath, signal));
            await cache.add({ id, dir, rate, frames: mix.frames, mixtureChannels: mix.channels, mixturePath, result });
            return { analysisId: id, rate, frames: mix.frames, mixtureChannels: mix.channels, result };
          });
        } catch (e) {
          await rm(dir, { recursive: true, force: true });
          throw e;
        }
      },
      sceneAudio: async ({ analysisId, source, start, frames }) => {
        const a = cache.get(analysisId);
        const f = await cache.file(a, source);
        const n = Math.min(frames ?? SCENE_AUDIO_MAX_FRAMES, SCENE_AUDIO_MAX_FRAMES);
        const data = await f.read(start, n);
        return { rate: f.sampleRate, start: Math.min(start, f.frames), frames: data[0]?.length ?? 0, totalFrames: f.frames, data };
      },
      sceneSpectrogram: async ({ analysisId, source, fftSize, maxColumns }) => {
        const a = cache.get(analysisId);
        const f = await cache.file(a, source);
        const hop = spectrogramHop(f.frames, fftSize, maxColumns);
        // Channel 0: W for the mixture, the stem itself otherwise. Read in pieces of whole columns.
        const x = new Float32Array(f.frames);
        for (let o = 0; o < f.frames; o += SCENE_AUDIO_MAX_FRAMES) x.set((await f.read(o, SCENE_AUDIO_MAX_FRAMES))[0], o);
        const s = spectrogramDb(x, fftSize, hop);
        return { rate: f.sampleRate, fftSize, hop, columns: s.columns, bins: s.bins, db: s.db };
      },
      sceneExport: async (arg) => {
        const a = cache.get(arg.analysisId);
        return ctx.job(arg.jobId, (signal) =>
          exportScene(cache, a, arg, signal, (p) =>
            ctx.emit('progress', { task: 'export', stage: p.file, done: p.done, total: p.total, ...(arg.jobId ? { job: arg.jobId } : {}) }),
          ),
        );
      },
      sceneAddStem: async ({ analysisId, label, jobId }) => {
        const a = cache.get(analysisId);
        const result = await ctx.job(jobId, (signal, onProgress) => addStem(ctx.runtime().pipeline, a, label, signal, onProgress));
        return { analysisId, rate: a.rate, frames: a.frames, mixtureChannels: a.mixtureChannels, result };
      },
      sceneRemoveStem: async ({ analysisId, name }) => {
        const a = cache.get(analysisId);
        const result = await removeStem(a, name);
        return { analysisId, rate: a.rate, frames: a.frames, mixtureChannels: a.mixtureChannels, result };
      },
      sceneRelease: async ({ analysisId }) => ({ released: await cache.release(analysisId) }),
      // Same-named files in different folders are the batch queue's to refuse (it knows its whole list).
      sceneListAudio: async ({ path: p }) => ({ files: (await expandInputs([p], false)).map((f) => path.resolve(f)) }),
    },
    dispose: () => cache.dispose(),
  };
}
