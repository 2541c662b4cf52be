/**
 * Offline render of Live's listen path (`s5 listen`, issue #17): a recording goes through the same
 * live session as the Live view (createLiveSession with the same request schema and defaults), fed
 * by an unpaced replay — each 10 ms block is handed over when the session has processed the
 * previous one, so nothing is skipped and it runs as fast as the CPU allows. What the session
 * writes to its output (the `liveAudio` blocks) is placed at each block's input time, giving the
 * listen signal aligned with the input (the mode's algorithmic delay is reported, not applied).
 * A paced live session whose processing keeps up writes the same blocks.
 */
import type { S5Label } from '../../shared/labels';
import type { ListenMode, LiveSessionInfo, LiveStats } from '../../shared/api-live';
import { LiveStartRequestSchema } from '../../shared/api-live';
import type { ChannelFormat } from '../../shared/audio';
import type { BeamStep } from '../dsp/beam';
import type { Runtime } from '../runtime';
import { createLiveSession } from './module';

export interface ListenRenderOptions {
  path: string;
  labels: S5Label[];
  mode: ListenMode;
  beam?: 'max-re' | 'hypercardioid' | 'cardioid' | 'mvdr';
  channelFormat?: ChannelFormat;
  models?: string[];
  hopSeconds?: number;
  listenWindowSeconds?: number;
  directionHopSeconds?: number;
  directionWindowSeconds?: number;
  onBeamStep?: (label: S5Label, step: BeamStep) => void;
}

export interface ListenRender {
  /** The listen signal at the model rate, sample i = input frame i (at the model rate). */
  pcm: Float32Array;
  rate: number;
  info: LiveSessionInfo;
  stats: LiveStats;
  /** Output blocks as written: input time of the first sample (s) and length. */
  blocks: { t: number; frames: number }[];
  /** Labels on at the end, and every onset/offset seen. */
  events: { label: S5Label; onset: number; offset: number | null; peak: number }[];
  /** Wall time of the render (ms). */
  wallMs: number;
}

/** Places blocks written at input times into one signal of `length` frames. */
export class ListenCollector {
  private buf = new Float32Array(0);
  readonly blocks: { t: number; frames: number }[] = [];
  constructor(readonly rate: number) {}

  add(pcm: Float32Array, t: number): void {
    const at = Math.round(t * this.rate);
    this.blocks.push({ t, frames: pcm.length });
    const end = at + pcm.length;
    if (end > this.buf.length) {
      const grown = new Float32Array(Math.max(end, this.buf.length * 2));
      grown.set(this.buf);
      this.buf = grown;
    }
    const skip = Math.max(0, -at);
    if (skip < pcm.length) this.buf.set(pcm.subarray(skip), at + skip);
  }

  signal(length: number): Float32Array {
    const out = new Float32Array(length);
    out.set(this.buf.subarray(0, Math.min(length, this.buf.length)));
    return out;
  }
}

export async function renderListen(runtime: () => Runtime, o: ListenRenderOptions): Promise<ListenRender> {
  const req = LiveStartRequestSchema.parse({
    source: { kind: 'replay', path: o.path, loop: false, paced: false },
    channelFormat: o.channelFormat,
    listen: o.labels,
    listenMode: o.mode,
    beam: o.beam,
    models: o.models,
    hopSeconds: o.hopSeconds,
    listenWindowSeconds: o.listenWindowSeconds,
    directionHopSeconds: o.directionHopSeconds,
    directionWindowSeconds: o.directionWindowSeconds,
    output: { kind: 'client' },
  });
  let collector: ListenCollector | null = null;
  let done: (state: { state: string; message: string }) => void = () => undefined;
  const ended = new Promise<{ state: string; message: string }>((resolve) => (done = resolve));
  const t0 = performance.now();
  const session = await createLiveSession(
    {
      runtime,
      emit: (event, payload) => {
        const p = payload as { pcm?: Float32Array; t?: number; state?: string; message?: string };
        if (event === 'liveAudio' && collector && p.pcm && p.t !== undefined) collector.add(p.pcm, p.t);
        else if (event === 'liveState' && p.state && p.state !== 'running') done({ state: p.state, message: p.message ?? '' });
      },
    },
    req,
    { onBeamStep: o.onBeamStep },
  );
  collector = new ListenCollector(session.info.modelRate);
  try {
    await session.start();
  } catch (e) {
    await session.end('failed', (e as Error).message).catch(() => undefined);
    await session.closeIO();
    throw e;
  }
  const end = await ended;
  if (end.state === 'failed') throw session.failure ?? new Error(end.message);
  const stats = session.stats();
  return {
    pcm: collector.signal(session.framesAtModelRate),
    rate: session.info.modelRate,
    info: session.info,
    stats,
    blocks: collector.blocks,
    events: session.events(),
    wallMs: performance.now() - t0,
  };
}
