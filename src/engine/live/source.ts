/**
 * What the live session reads from: a source delivers planar float blocks with the wall-clock
 * time (performance.now() ms) at which the block's last frame was captured. Two kinds: a PortAudio
 * capture device (portaudio.ts) and a recording replayed as if live (ReplaySource below), paced by
 * a real clock with an optional speed factor (demos, tests, users without an array) — or unpaced:
 * each block is handed over as soon as the session has processed the previous one (`s5 listen`
 * renders a file through the live path this way, faster than real time and with nothing skipped).
 */
import type { ChannelFormat } from '../../shared/audio';
import type { WavSampleFormat } from '../audio/wav';
import { openAudioStream, type AudioStream } from '../audio/stream';

export type BlockSink = (block: Float32Array[], frames: number, captureMs: number) => void;

export interface LiveSourceHandle {
  readonly name: string;
  readonly sampleRate: number;
  readonly channels: number;
  /** Blocks are already ACN/SN3D in channels 0–3 (replay converts on decode). */
  readonly convertsFormat: boolean;
  /** Playback speed relative to real time (1 for devices). */
  readonly speed: number;
  /** false: blocks come as fast as the session takes them (it is waited for after each block). */
  readonly paced: boolean;
  /** The WAV sample format that stores this source's input without loss. */
  readonly recordFormat: WavSampleFormat;
  /** Input overruns reported by the source (frames lost before they reached us). */
  readonly overruns: number;
  /**
   * Starts delivering blocks. An unpaced source awaits `idle` (the session has processed all it
   * was given) before each next block and before reporting the end.
   */
  start(sink: BlockSink, onEnd: (err?: Error) => void, idle?: () => Promise<void>): Promise<void>;
  stop(): Promise<void>;
}

/** Timer period of the replay clock (ms); each tick delivers every frame that is due. */
const TICK_MS = 10;
/** Block length of an unpaced replay (s): the same 10 ms a paced tick delivers. */
const UNPACED_BLOCK_SECONDS = 0.01;

export class ReplaySource implements LiveSourceHandle {
  readonly convertsFormat = true;
  readonly overruns = 0;
  private stream: AudioStream | null = null;
  private iter: AsyncIterator<Float32Array[]> | null = null;
  private queue: Float32Array[][] = [];
  private queueOffset = 0;
  private queued = 0;
  private refilling: Promise<void> | null = null;
  private ended = false;
  private timer: NodeJS.Timeout | null = null;
  private sent = 0;
  private t0 = 0;
  private stopped = false;

  private constructor(
    readonly name: string,
    readonly sampleRate: number,
    readonly channels: number,
    readonly recordFormat: WavSampleFormat,
    readonly speed: number,
    readonly paced: boolean,
    private readonly file: string,
    private readonly channelFormat: ChannelFormat,
    private readonly loop: boolean,
  ) {}

  static async open(file: string, opts: { speed: number; loop: boolean; channelFormat: ChannelFormat; paced?: boolean }): Promise<ReplaySource> {
    const s = await openAudioStream(file, { channelFormat: opts.channelFormat, blockFrames: 8192 });
    const info = s.info;
    await s.close();
    const fmt: WavSampleFormat = info.encoding === 'pcm_s16' || info.encoding === 'pcm_u8' ? 'pcm16' : info.encoding === 'pcm_s24' ? 'pcm24' : 'float32';
    const paced = opts.paced ?? true;
    return new ReplaySource(`replay: ${file}`, info.sampleRate, info.channels, fmt, paced ? opts.speed : 1, paced, file, opts.channelFormat, opts.loop);
  }

  private async openStream(): Promise<void> {
    this.stream = await openAudioStream(this.file, { channelFormat: this.channelFormat, blockFrames: 8192 });
    this.iter = this.stream[Symbol.asyncIterator]();
  }

  /** Reads blocks until at least `want` frames are queued (or the file ends without loop). */
  private refill(want: number): Promise<void> {
    this.refilling ??= (async () => {
      try {
        while (this.queued < want && !this.ended && !this.stopped) {
          if (!this.iter) await this.openStream();
          const r = await (this.iter as AsyncIterator<Float32Array[]>).next();
          if (r.done) {
            await this.stream?.close();
            this.stream = null;
            this.iter = null;
            if (!this.loop) this.ended = true;
            continue;
          }
          this.queue.push(r.value);
          this.queued += r.value[0].length;
        }
      } finally {
        this.refilling = null;
      }
    })();
    return this.refilling;
  }

  /** Takes up to `n` queued frames as one planar block. */
  private take(n: number): Float32Array[] {
    const out = Array.from({ length: this.channels }, () => new Float32Array(n));
    let o = 0;
    while (o < n && this.queue.length) {
      const b = this.queue[0];
      const k = Math.min(n - o, b[0].length - this.queueOffset);
      for (let c = 0; c < this.channels; c++) out[c].set(b[c].subarray(this.queueOffset, this.queueOffset + k), o);
      o += k;
      this.queueOffset += k;
      if (this.queueOffset === b[0].length) {
        this.queue.shift();
        this.queueOffset = 0;
      }
    }
    this.queued -= o;
    return o === n ? out : out.map((c) => c.subarray(0, o));
  }

  async start(sink: BlockSink, onEnd: (err?: Error) => void, idle?: () => Promise<void>): Promise<void> {
    if (!this.paced) {
      void this.runUnpaced(sink, onEnd, idle ?? (() => Promise.resolve()));
      return;
    }
    const perSecond = this.sampleRate * this.speed;
    await this.refill(Math.ceil(perSecond * 0.5));
    this.t0 = performance.now();
    const tick = () => {
      if (this.stopped) return;
      const now = performance.now();
      const due = Math.floor(((now - this.t0) / 1000) * perSecond) - this.sent;
      if (due > 0 && this.queued > 0) {
        const n = Math.min(due, this.queued);
        const block = this.take(n);
        this.sent += n;
        // The ideal capture time of the block's last frame on the replay clock.
        sink(block, n, this.t0 + (this.sent / perSecond) * 1000);
      }
      if (this.ended && this.queued === 0) {
        this.stopped = true;
        onEnd();
        return;
      }
      if (this.queued < perSecond * 0.5) void this.refill(Math.ceil(perSecond)).catch((e: Error) => {
        this.stopped = true;
        onEnd(e);
      });
      this.timer = setTimeout(tick, TICK_MS);
    };
    this.timer = setTimeout(tick, TICK_MS);
  }

  /** Unpaced: one block, then wait for the session, until the file ends (or `stop`). */
  private async runUnpaced(sink: BlockSink, onEnd: (err?: Error) => void, idle: () => Promise<void>): Promise<void> {
    const block = Math.max(1, Math.round(this.sampleRate * UNPACED_BLOCK_SECONDS));
    try {
      while (!this.stopped) {
        if (this.queued < block && !this.ended) await this.refill(block * 100);
        if (this.stopped) return;
        if (this.queued === 0 && this.ended) break;
        const n = Math.min(block, this.queued);
        const b = this.take(n);
        this.sent += n;
        // No clock: a block is "captured" when it is handed over (latency = processing time).
        sink(b, n, performance.now());
        await idle();
      }
      if (!this.stopped) {
        this.stopped = true;
        onEnd();
      }
    } catch (e) {
      this.stopped = true;
      onEnd(e as Error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.refilling?.catch(() => undefined);
    await this.stream?.close();
    this.stream = null;
  }
}
