/**
 * PortAudio through naudiodon: device listing, ≥ 4-channel capture as a live source, and a mono
 * output stream for listening. naudiodon is loaded lazily (the engine starts without it when the
 * native module is missing) and every failure becomes a specific S5Error: unknown device, too few
 * channels, rate or sample format unsupported, device busy/unavailable. The capture runs in the
 * engine process: PortAudio's callback thread fills naudiodon's queue, and the JS side only
 * deinterleaves; inference stays in its worker thread.
 */
import { createRequire } from 'node:module';
import { S5Error } from '../../shared/errors';
import type { LiveDevice } from '../../shared/api-live';
import type { BlockSink, LiveSourceHandle } from './source';
import { probeDevices } from './device-probe';

export interface PaDevice {
  id: number;
  name: string;
  maxInputChannels: number;
  maxOutputChannels: number;
  defaultSampleRate: number;
  hostAPIName: string;
}
interface PaStream {
  start(): void;
  quit(cb?: () => void): Promise<void> | void;
  abort(cb?: () => void): void;
  on(ev: string, fn: (...a: unknown[]) => void): void;
  removeAllListeners(ev?: string): void;
  write?(chunk: Buffer): boolean;
}
interface Naudiodon {
  getDevices(): PaDevice[];
  AudioIO(o: object): PaStream;
  SampleFormatFloat32: number;
  SampleFormat16Bit: number;
}

let loaded: Naudiodon | null = null;
let loadError: string | null = null;

/** naudiodon, or an S5Error saying why it cannot be used. */
export function portAudio(): Naudiodon {
  if (loaded) return loaded;
  if (loadError === null) {
    try {
      loaded = createRequire(__filename)('naudiodon') as Naudiodon;
      return loaded;
    } catch (e) {
      loadError = (e as Error).message.split('\n')[0];
    }
  }
  throw new S5Error('unsupported', `audio devices are unavailable: the PortAudio module (naudiodon) could not be loaded (${loadError}); replay a recording instead`);
}

type DeviceList = { inputs: LiveDevice[]; outputs: LiveDevice[]; error: string | null };

function toList(devices: readonly PaDevice[]): DeviceList {
  const all = devices.map((d) => ({
    id: d.id, name: d.name, hostApi: d.hostAPIName, maxInputChannels: d.maxInputChannels,
    maxOutputChannels: d.maxOutputChannels, defaultSampleRate: d.defaultSampleRate,
  }));
  return { inputs: all.filter((d) => d.maxInputChannels > 0), outputs: all.filter((d) => d.maxOutputChannels > 0), error: null };
}

/** The devices, probed in this process (libasound may print its probe lines to our stderr). */
export function listDevices(): DeviceList {
  try {
    return toList(portAudio().getDevices());
  } catch (e) {
    return { inputs: [], outputs: [], error: (e as Error).message };
  }
}

/**
 * The devices, probed in a short-lived child process whose stderr is dropped (device-probe.ts):
 * the dozens of "ALSA lib …" lines PortAudio's probe makes libasound print never reach the
 * terminal. What the Live view's device list uses.
 */
export async function listDevicesQuietly(): Promise<DeviceList> {
  const r = await probeDevices();
  if (r.error !== null) {
    return { inputs: [], outputs: [], error: `audio devices are unavailable: the PortAudio module (naudiodon) could not list them (${r.error}); replay a recording instead` };
  }
  return toList(r.devices);
}

function findDevice(id: number, dir: 'input' | 'output'): PaDevice {
  const devices = portAudio().getDevices();
  const d = devices.find((x) => x.id === id);
  const usable = devices.filter((x) => (dir === 'input' ? x.maxInputChannels : x.maxOutputChannels) > 0);
  const list = usable.map((x) => `${x.id} '${x.name}'`).join(', ') || 'none';
  if (!d) throw new S5Error('not_found', `no audio device with id ${id}; ${dir} devices are: ${list}`);
  if ((dir === 'input' ? d.maxInputChannels : d.maxOutputChannels) === 0) {
    throw new S5Error('bad_input', `device ${id} '${d.name}' has no ${dir} channels; ${dir} devices are: ${list}`);
  }
  return d;
}

/** Turns a PortAudio/naudiodon failure into a specific message. */
export function deviceError(e: unknown, d: PaDevice, what: { channels: number; sampleRate: number; format: string }): S5Error {
  const m = (e as Error)?.message ?? String(e);
  const dev = `device ${d.id} '${d.name}' (${d.hostAPIName})`;
  if (/sample rate/i.test(m)) return new S5Error('unsupported', `${dev} does not support ${what.sampleRate} Hz (its default rate is ${d.defaultSampleRate} Hz): ${m}`);
  if (/channel/i.test(m)) return new S5Error('unsupported', `${dev} cannot open ${what.channels} channels (it reports ${d.maxInputChannels} in, ${d.maxOutputChannels} out): ${m}`);
  if (/sample format|sampleFormat/i.test(m)) return new S5Error('unsupported', `${dev} does not support the ${what.format} sample format: ${m}`);
  if (/unavailable|busy|in use|resource/i.test(m)) return new S5Error('bad_input', `${dev} is busy or unavailable (another program may be using it): ${m}`);
  return new S5Error('bad_input', `${dev} could not be opened: ${m}`);
}

export interface CaptureOptions {
  deviceId: number;
  sampleRate: number;
  sampleFormat: 's16' | 'f32';
  channels: number;
  channelOrder: readonly number[];
  framesPerBuffer: number;
}

/** Throws the specific error when `d` cannot deliver the capture `opts` asks for. */
export function checkCapture(d: PaDevice, opts: Pick<CaptureOptions, 'channels' | 'channelOrder'>): void {
  if (d.maxInputChannels < 4) {
    throw new S5Error('unsupported', `device ${d.id} '${d.name}' has ${d.maxInputChannels} input channel${d.maxInputChannels === 1 ? '' : 's'}; live monitoring needs at least 4 (FOA or a 4-microphone array)`);
  }
  if (opts.channels > d.maxInputChannels) {
    throw new S5Error('unsupported', `device ${d.id} '${d.name}' has ${d.maxInputChannels} input channels; ${opts.channels} were asked for`);
  }
  const bad = opts.channelOrder.filter((c) => c >= opts.channels);
  if (bad.length) throw new S5Error('invalid_request', `channel order names channel ${bad[0] + 1}, but only ${opts.channels} channels are opened`);
}

export class PortAudioSource implements LiveSourceHandle {
  readonly convertsFormat = false;
  readonly speed = 1;
  readonly paced = true;
  overruns = 0;
  private stream: PaStream | null = null;
  private readonly device: PaDevice;
  /** performance.now() − PortAudio stream time, smallest seen (maps device timestamps to our clock). */
  private clockOffset = Infinity;

  constructor(readonly opts: CaptureOptions) {
    this.device = findDevice(opts.deviceId, 'input');
    checkCapture(this.device, opts);
  }

  get name(): string {
    return `${this.device.name} (${this.device.hostAPIName})`;
  }
  get sampleRate(): number {
    return this.opts.sampleRate;
  }
  get channels(): number {
    return this.opts.channels;
  }
  get recordFormat(): 'pcm16' | 'float32' {
    return this.opts.sampleFormat === 's16' ? 'pcm16' : 'float32';
  }

  async start(sink: BlockSink, onEnd: (err?: Error) => void): Promise<void> {
    const pa = portAudio();
    const o = this.opts;
    const what = { channels: o.channels, sampleRate: o.sampleRate, format: o.sampleFormat === 's16' ? '16-bit' : 'float32' };
    let stream: PaStream;
    const nc = o.channels;
    const bytes = o.sampleFormat === 's16' ? 2 : 4;
    // naudiodon hands JS one read of `highwaterMark` bytes at a time (it waits until that much has
    // been captured), so it is set to one device buffer (10 ms when the host chooses): a larger
    // read would hold every frame back until the read is full (64 KiB = 85 ms at 4 × f32 × 48 kHz).
    const blockFrames = o.framesPerBuffer > 0 ? o.framesPerBuffer : Math.round(o.sampleRate * 0.01);
    try {
      stream = pa.AudioIO({
        inOptions: {
          channelCount: o.channels,
          sampleFormat: o.sampleFormat === 's16' ? pa.SampleFormat16Bit : pa.SampleFormatFloat32,
          sampleRate: o.sampleRate,
          deviceId: o.deviceId,
          framesPerBuffer: o.framesPerBuffer,
          closeOnError: false,
          highwaterMark: blockFrames * nc * bytes,
          // Capacity of the native queue between PortAudio's thread and JS (not a delay: JS takes
          // each buffer as it comes); a full queue would block the audio thread.
          maxQueue: 64,
        },
      });
    } catch (e) {
      throw deviceError(e, this.device, what);
    }
    this.stream = stream;
    stream.removeAllListeners('error');
    stream.on('error', (e) => {
      if (this.stream) onEnd(deviceError(e, this.device, what));
    });
    stream.on('data', (chunk) => {
      const buf = chunk as Buffer & { timestamp?: number };
      const arrival = performance.now();
      const frames = Math.floor(buf.length / (nc * bytes));
      if (frames === 0) return;
      const planar = Array.from({ length: nc }, () => new Float32Array(frames));
      const aligned = buf.byteOffset % bytes === 0 ? buf : Buffer.from(buf);
      if (bytes === 2) {
        const v = new Int16Array(aligned.buffer, aligned.byteOffset, frames * nc);
        for (let i = 0, k = 0; i < frames; i++) for (let c = 0; c < nc; c++) planar[c][i] = v[k++] / 32768;
      } else {
        const v = new Float32Array(aligned.buffer, aligned.byteOffset, frames * nc);
        for (let i = 0, k = 0; i < frames; i++) for (let c = 0; c < nc; c++) planar[c][i] = v[k++];
      }
      // Capture time of the last frame: the device's own timestamp mapped onto our clock when it
      // has one (the offset is the smallest arrival − timestamp seen), else the arrival time.
      // naudiodon 2.3 passes the timestamp as a whole number of seconds (napi_create_uint32),
      // which cannot time a 10 ms block (it made the latency a 0–1 s sawtooth): whole numbers are
      // not used, so the figure starts when JS receives the block.
      let capture = arrival;
      const ts = buf.timestamp;
      if (typeof ts === 'number' && Number.isFinite(ts) && ts > 0 && !Number.isInteger(ts)) {
        const last = ts * 1000 + ((frames - 1) / o.sampleRate) * 1000;
        this.clockOffset = Math.min(this.clockOffset, arrival - last);
        capture = Math.min(arrival, last + this.clockOffset);
      }
      sink(planar, frames, capture);
    });
    stream.on('end', () => {
      if (this.stream) onEnd(new S5Error('bad_input', `device ${this.device.id} '${this.device.name}' stopped delivering audio`));
    });
    try {
      stream.start();
    } catch (e) {
      this.stream = null;
      throw deviceError(e, this.device, what);
    }
  }

  async stop(): Promise<void> {
    const s = this.stream;
    this.stream = null;
    if (!s) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      try {
        s.abort(() => {
          clearTimeout(t);
          resolve();
        });
      } catch {
        clearTimeout(t);
        resolve();
      }
    });
  }
}

/** Output buffer of the listen stream (s): PortAudio's buffer size and naudiodon's queue unit. */
export const OUTPUT_BUFFER_SECONDS = 0.01;

/**
 * A mono float output stream on a PortAudio device (the listen output), with 10 ms buffers so the
 * direct listen mode's blocks are not held back. naudiodon queues what is written: `maxQueue`
 * chunks in native code, the rest in the Node stream. Live (`maxQueuedMs` set) keeps the native
 * queue at 2 chunks, so a backlog shows in the Node stream (`queuedMs`), and drops a block that
 * would queue behind more than `maxQueuedMs`: a device that stalled (one that takes seconds to
 * start under load, say) must not delay the listen stream for the rest of the session. An offline
 * render (`maxQueuedMs` null) writes far ahead of the device and drops nothing.
 */
export class PortAudioOutput {
  private stream: PaStream | null = null;
  private started = false;
  readonly sampleRate: number;
  private readonly device: PaDevice;
  /** Blocks dropped because the queue was over `maxQueuedMs`. */
  dropped = 0;

  constructor(deviceId: number, sampleRate?: number, private readonly maxQueuedMs: number | null = null) {
    this.device = findDevice(deviceId, 'output');
    this.sampleRate = sampleRate ?? this.device.defaultSampleRate;
  }

  open(): void {
    const pa = portAudio();
    try {
      this.stream = pa.AudioIO({
        outOptions: {
          channelCount: 1, sampleFormat: pa.SampleFormatFloat32, sampleRate: this.sampleRate, deviceId: this.device.id, closeOnError: false,
          // Offline, a deep native queue keeps the device fed however busy the JS thread is.
          framesPerBuffer: Math.round(this.sampleRate * OUTPUT_BUFFER_SECONDS), maxQueue: this.maxQueuedMs === null ? 256 : 2,
        },
      });
      this.stream.removeAllListeners('error');
      this.stream.on('error', () => undefined);
    } catch (e) {
      this.stream = null;
      throw deviceError(e, this.device, { channels: 1, sampleRate: this.sampleRate, format: 'float32' });
    }
  }

  /**
   * Queues a block. The stream starts with the first one: started earlier, the device would wait
   * for data from the moment it opens, and PortAudio's recovery from those underruns drops samples.
   */
  write(pcm: Float32Array): boolean {
    const s = this.stream;
    if (!s) return false;
    if (this.started && this.maxQueuedMs !== null && this.queuedMsOf(s) > this.maxQueuedMs) {
      this.dropped++;
      return false;
    }
    s.write?.(Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength));
    if (!this.started) {
      this.started = true;
      try {
        s.start();
      } catch (e) {
        throw deviceError(e, this.device, { channels: 1, sampleRate: this.sampleRate, format: 'float32' });
      }
    }
    return true;
  }

  /** Audio written but still in the Node-side queue (ms); native and device buffers come on top. */
  queuedMs(): number {
    return this.stream ? this.queuedMsOf(this.stream) : 0;
  }

  /**
   * Closes the stream: at once (abort), or after everything written has been played (`drain`:
   * the session ended by itself, e.g. a replay reached its end).
   */
  async close(drain = false): Promise<void> {
    const s = this.stream;
    this.stream = null;
    if (!s) return;
    if (drain && typeof (s as { end?: unknown }).end === 'function') {
      // 50 ms of silence after the last block: stopping the stream can cut the buffers in flight.
      s.write?.(Buffer.alloc(4 * Math.round(this.sampleRate * 0.05)));
      const queued = this.queuedMsOf(s);
      // naudiodon: end() flushes the Node queue into the native one; 'finished' follows its WAIT quit.
      const done = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), queued + 5000);
        s.on('finished', () => {
          clearTimeout(t);
          resolve(true);
        });
        (s as unknown as { end(): void }).end();
      });
      if (done) return;
    }
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 2000);
      s.abort(() => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  private queuedMsOf(s: PaStream): number {
    const bytes = (s as { writableLength?: number }).writableLength ?? 0;
    return (bytes / 4 / this.sampleRate) * 1000;
  }
}
