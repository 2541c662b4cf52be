/**
 * The engine's live workflow (issue #7): serves `liveDevices`, `liveStart`, `liveStop`,
 * `liveStatus`, `liveListen`, `liveRecord` (api-live.ts). One session at a time; it lives in the
 * engine, so it keeps running while the renderer switches views. Models come from the registry's
 * active pair (or the ids given) and run in the shared inference worker.
 */
import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { dataDir } from '../settings/paths';
import { S5Error } from '../../shared/errors';
import type { S5ParsedInput } from '../../shared/api';
import type { EngineContext, EngineModule } from '../context';
import { createResampler, type Resampler } from '../audio/resample';
import { inputChannelFormat } from '../models/roles';
import type { ChannelFormat } from '../../shared/audio';
import { listDevicesQuietly, PortAudioOutput, PortAudioSource } from './portaudio';
import type { ListenOutput } from './listen-output';
import { LiveSession, type SessionOptions } from './session';
import { ReplaySource, type LiveSourceHandle } from './source';
import type { LabelEvent } from './labels';

/** Listen output as `liveAudio` events (the client plays them). */
function clientOutput(ctx: Pick<EngineContext, 'emit'>, sessionId: string, rate: number): ListenOutput {
  return {
    kind: 'client',
    write(pcm, t) {
      ctx.emit('liveAudio', { sessionId, t, sampleRate: rate, pcm: Float32Array.from(pcm) });
      return performance.now();
    },
    async close() {},
  };
}

/**
 * Listen output on a PortAudio device, resampled from the model rate to the device's. Live, a block
 * that would wait behind more than OUTPUT_MAX_QUEUE_MS of queued audio is dropped (the device
 * stalled); an offline render (`paced` false) queues everything.
 */
async function deviceOutput(deviceId: number, modelRate: number, rate: number | undefined, paced: boolean): Promise<ListenOutput> {
  const out = new PortAudioOutput(deviceId, rate, paced ? OUTPUT_MAX_QUEUE_MS : null);
  const rs: Resampler | null = out.sampleRate !== modelRate ? await createResampler(modelRate, out.sampleRate, 1, 'fast') : null;
  out.open();
  return {
    kind: 'device',
    write(pcm) {
      const block = rs ? rs.process([pcm])[0] : pcm;
      if (block.length) out.write(block);
      return performance.now();
    },
    delayMs: () => out.queuedMs(),
    async close(drain) {
      if (drain && rs) {
        const tail = rs.flush()[0];
        if (tail.length) out.write(tail);
      } else rs?.destroy();
      await out.close(drain);
    },
  };
}

/** Most audio a live listen output may hold queued before new blocks are dropped (ms). */
const OUTPUT_MAX_QUEUE_MS = 40;

async function openSource(req: S5ParsedInput<'liveStart'>, channelFormat: ChannelFormat): Promise<LiveSourceHandle> {
  const s = req.source;
  if (s.kind === 'replay') {
    if (!s.paced && s.loop) throw new S5Error('invalid_request', 'an unpaced replay (paced: false) cannot loop; set loop: false');
    return ReplaySource.open(s.path, { speed: s.speed, loop: s.loop, channelFormat, paced: s.paced });
  }
  return new PortAudioSource({
    deviceId: s.deviceId, sampleRate: s.sampleRate, sampleFormat: s.sampleFormat, channels: s.channels,
    channelOrder: s.channelOrder, framesPerBuffer: s.framesPerBuffer,
  });
}

/**
 * Builds a live session for a `liveStart` request: models (listening disabled with a warning when
 * no separator is available), channel format, source, output. Shared by the API handler and the
 * offline render (`render.ts`, `s5 listen`), so both run the same session on the same settings.
 * Not started; on failure everything opened is closed.
 */
export async function createLiveSession(
  ctx: Pick<EngineContext, 'runtime' | 'emit'>, req: S5ParsedInput<'liveStart'>, hooks: Pick<SessionOptions, 'onBeamStep'> = {},
): Promise<LiveSession> {
  const { pipeline } = ctx.runtime();
  const warnings: string[] = [];
  let models;
  try {
    models = await pipeline.models(req.models, true);
  } catch (e) {
    if (!(e instanceof S5Error) || e.code !== 'not_found') throw e;
    models = await pipeline.models(req.models, false);
    warnings.push(`listening is unavailable: ${e.message}`);
  }
  warnings.push(...models.warnings);
  const input = inputChannelFormat([models.tagger.manifest, models.separator?.manifest], req.channelFormat);
  const channelFormat = input.channelFormat ?? req.channelFormat;
  if (input.warning) warnings.push(input.warning);
  const source = await openSource(req, channelFormat);
  if (source.channels < 4 && req.source.kind === 'replay') warnings.push(`${req.source.path} has ${source.channels} channel(s); the missing FOA channels are silent`);
  const id = randomBytes(6).toString('hex');
  const rate = models.tagger.manifest.sample_rate;
  let output: ListenOutput | null = null;
  try {
    if (req.output.kind === 'client') output = clientOutput(ctx, id, rate);
    else if (req.output.kind === 'device') output = await deviceOutput(req.output.deviceId, rate, req.output.sampleRate, source.paced);
  } catch (e) {
    await source.stop().catch(() => undefined);
    throw e;
  }
  return new LiveSession({
    id, source, channelFormat,
    channelOrder: req.source.kind === 'device' ? req.source.channelOrder : [0, 1, 2, 3],
    hopSeconds: req.hopSeconds, tagWindowSeconds: req.tagWindowSeconds, listenWindowSeconds: req.listenWindowSeconds,
    listen: req.listen, listenMode: req.listenMode, beam: req.beam,
    directionHopSeconds: req.directionHopSeconds, directionWindowSeconds: req.directionWindowSeconds,
    tagger: models.tagger, separator: models.separator, verifier: models.verifier ?? null, output, warnings,
    emit: (e, p) => ctx.emit(e, p),
    ...hooks,
  });
}

export function liveModule(ctx: EngineContext): EngineModule {
  let session: LiveSession | null = null;
  let lastEvents: LabelEvent[] = [];
  let lastRecording: { path: string; eventsPath: string; seconds: number } | null = null;

  async function stop(): Promise<{ stopped: boolean; recording: typeof lastRecording; stats: ReturnType<LiveSession['stats']> | null }> {
    const s = session;
    if (!s) return { stopped: false, recording: null, stats: null };
    await s.end('stopped', 'stopped by the user');
    const recording = await s.stopRecording();
    if (recording) lastRecording = recording;
    lastEvents = s.events();
    session = null;
    return { stopped: true, recording, stats: s.stats() };
  }

  return {
    handlers: {
      liveDevices: () => listDevicesQuietly(),
      liveStart: async (req) => {
        if (session?.isRunning) throw new S5Error('invalid_request', 'a live session is already running; stop it first');
        if (session) await stop();
        const s = await createLiveSession(ctx, req);
        try {
          if (req.recordDir) await s.startRecording(req.recordDir);
          await s.start();
        } catch (e) {
          await s.stopRecording().catch(() => undefined);
          await s.end('failed', (e as Error).message).catch(() => undefined);
          await s.closeIO();
          throw e;
        }
        session = s;
        lastRecording = null;
        return s.info;
      },
      liveStop: async () => {
        const r = await stop();
        return { stopped: r.stopped, events: lastEvents, stats: r.stats, recording: r.recording };
      },
      liveStatus: async () => ({
        running: session?.isRunning ?? false,
        session: session?.info ?? null,
        listen: session?.listening ?? [],
        listenMode: session?.listenMode ?? null,
        events: session?.events() ?? lastEvents,
        recording: session?.recordingInfo() ?? lastRecording,
      }),
      liveListen: async ({ labels, mode }) => {
        if (!session) throw new S5Error('invalid_request', 'no live session is running');
        if (!session.info.separator && labels.length) throw new S5Error('not_found', 'listening needs a separator model; none is installed or active');
        return { labels: session.setListen(labels, mode), mode: session.listenMode };
      },
      liveRecord: async ({ action, dir }) => {
        if (action === 'stop') {
          const r = session ? await session.stopRecording() : null;
          if (r) lastRecording = r;
          return { recording: r };
        }
        if (!session?.isRunning) throw new S5Error('invalid_request', 'no live session is running; start one before recording');
        // Default folder: <data folder>/recordings (created on first use).
        const target = dir ?? path.join(dataDir(), 'recordings');
        if (!dir) await mkdir(target, { recursive: true });
        await session.startRecording(target);
        return { recording: session.recordingInfo() };
      },
    },
    async dispose() {
      await stop().catch(() => undefined);
    },
  };
}
