/**
 * The Live view's state, one of the page's stores (lib/stores.ts) so a running session (and its
 * chart history) survives the user switching views: devices, the chosen source and format, the session info, the latest
 * probability frames (a bounded history for the strip chart), active labels, listen set, stats and
 * recording. Listen audio arriving as `liveAudio` events is played through Web Audio, each block
 * scheduled right after the previous one; the browser's own output delay (schedule margin + the
 * AudioContext's output latency) is measured so the view can show it beside the engine's figure.
 * The listen mode (direct beam or clean separator, issue #17) is a setting too; switching it while
 * listening crossfades in the engine. Settings the user chose are remembered in localStorage.
 */
import type { S5Bridge } from '../../shared/api';
import type { ListenMode, LiveDevice, LiveFrameEvent, LiveSessionInfo, LiveStats } from '../../shared/api-live';
import type { ChannelFormat } from '../../shared/audio';
import type { S5Label } from '../../shared/labels';
import { errorText, toErrorView } from './errors';

/** Seconds of history in the strip chart. */
export const HISTORY_SECONDS = 30;
const SETTINGS_KEY = 's5.live.settings';

export interface LiveSettings {
  /** 'replay' or a device id as a string. */
  source: string;
  replayPath: string;
  sampleRate: number;
  sampleFormat: 's16' | 'f32';
  channelFormat: ChannelFormat;
  channelOrder: number[];
  hopSeconds: number;
  recordDir: string;
  /** How listened classes are heard: a beam at their direction (fast) or the separator (isolated). */
  listenMode: ListenMode;
}

/** Capture buffer asked of a device (s): direct listening is only as fast as the input blocks. */
export const CAPTURE_BLOCK_SECONDS = 0.01;

const DEFAULTS: LiveSettings = {
  source: 'replay', replayPath: '', sampleRate: 48000, sampleFormat: 'f32', channelFormat: 'foa-acn-sn3d',
  channelOrder: [0, 1, 2, 3], hopSeconds: 0.25, recordDir: '', listenMode: 'direct',
};

function loadSettings(): LiveSettings {
  try {
    const raw = localStorage.getItem(SETTINGS_KEY);
    return raw ? { ...DEFAULTS, ...(JSON.parse(raw) as Partial<LiveSettings>) } : { ...DEFAULTS };
  } catch {
    return { ...DEFAULTS };
  }
}

export class LiveState {
  settings = $state<LiveSettings>(loadSettings());
  inputs = $state.raw<LiveDevice[]>([]);
  outputs = $state.raw<LiveDevice[]>([]);
  deviceError = $state<string | null>(null);
  info = $state.raw<LiveSessionInfo | null>(null);
  running = $state(false);
  busy = $state(false);
  error = $state<string | null>(null);
  message = $state('');
  active = $state.raw<S5Label[]>([]);
  listen = $state.raw<S5Label[]>([]);
  stats = $state.raw<LiveStats | null>(null);
  levels = $state.raw<Float32Array>(new Float32Array(0));
  overloaded = $state(false);
  recording = $state.raw<{ path: string; seconds: number } | null>(null);
  lastRecording = $state<string | null>(null);
  /** The channel format of `lastRecording` when it is known (4 input channels in FOA/A-format order); else null. */
  lastRecordingFormat = $state<ChannelFormat | null>(null);
  /** Chart history: times and one probability row per label. */
  times: number[] = [];
  probs: number[][] = [];
  /** Bumped per frame so the chart redraws. */
  frameCount = $state(0);
  /** Browser output delay of the listen audio (ms): how far ahead blocks are scheduled + output latency. */
  browserDelayMs = $state<number | null>(null);
  private audio: AudioContext | null = null;
  private playAt = 0;
  private unsubscribe: (() => void)[] = [];

  constructor(private readonly api: S5Bridge) {
    this.unsubscribe.push(
      api.on('liveFrame', (f) => this.onFrame(f)),
      api.on('liveState', (s) => {
        if (this.info && s.sessionId !== this.info.sessionId) return;
        this.message = s.message;
        if (s.state !== 'running') {
          this.running = false;
          if (s.state === 'failed') this.error = s.message;
        }
      }),
      api.on('liveAudio', (a) => this.play(a.pcm, a.sampleRate)),
    );
  }

  saveSettings(): void {
    try {
      localStorage.setItem(SETTINGS_KEY, JSON.stringify(this.settings));
    } catch {
      /* storage full or disabled: settings are not remembered */
    }
  }

  async refreshDevices(): Promise<void> {
    try {
      const d = await this.api.liveDevices({});
      this.inputs = d.inputs;
      this.outputs = d.outputs;
      this.deviceError = d.error;
    } catch (err) {
      this.deviceError = toErrorView(err).message;
    }
  }

  /** Picks up a session that is already running in the engine (view re-mounted, page reloaded). */
  async attach(): Promise<void> {
    try {
      const s = await this.api.liveStatus({});
      if (s.running && s.session) {
        this.info = s.session;
        this.running = true;
        this.listen = s.listen;
        if (s.listenMode) this.settings.listenMode = s.listenMode;
      }
    } catch {
      /* the engine reports problems through its status */
    }
  }

  private onFrame(f: LiveFrameEvent): void {
    if (!this.info || f.sessionId !== this.info.sessionId) return;
    this.active = f.active;
    this.stats = f.stats;
    this.levels = f.levels;
    this.overloaded = f.overloaded;
    this.recording = f.recording ? { path: f.recording.path, seconds: f.recording.seconds } : null;
    this.times.push(f.t);
    f.probs.forEach((p, i) => (this.probs[i] ??= []).push(p));
    const cut = this.times.findIndex((t) => t >= f.t - HISTORY_SECONDS);
    if (cut > 0) {
      this.times.splice(0, cut);
      for (const row of this.probs) row.splice(0, cut);
    }
    this.frameCount++;
  }

  private play(pcm: Float32Array, rate: number): void {
    if (!this.running || this.listen.length === 0) return;
    try {
      this.audio ??= new AudioContext();
      const ctx = this.audio;
      const buf = ctx.createBuffer(1, pcm.length, rate);
      buf.copyToChannel(new Float32Array(pcm), 0);
      const node = ctx.createBufferSource();
      node.buffer = buf;
      node.connect(ctx.destination);
      // Keep a small safety margin; if we fell behind, restart the schedule now.
      if (this.playAt < ctx.currentTime + 0.02) this.playAt = ctx.currentTime + 0.05;
      node.start(this.playAt);
      const delay = (this.playAt - ctx.currentTime + (ctx.outputLatency || 0) + (ctx.baseLatency || 0)) * 1000;
      this.browserDelayMs = this.browserDelayMs === null ? delay : 0.9 * this.browserDelayMs + 0.1 * delay;
      this.playAt += buf.duration;
    } catch {
      /* no audio output in this browser: listening is silent, the rest works */
    }
  }

  async start(): Promise<void> {
    const s = this.settings;
    this.error = null;
    this.busy = true;
    this.saveSettings();
    this.times = [];
    this.probs = [];
    try {
      const source = s.source === 'replay'
        ? { kind: 'replay' as const, path: s.replayPath.trim(), loop: true }
        : {
          kind: 'device' as const, deviceId: Number(s.source), sampleRate: s.sampleRate, sampleFormat: s.sampleFormat, channelOrder: s.channelOrder,
          framesPerBuffer: Math.round(s.sampleRate * CAPTURE_BLOCK_SECONDS),
        };
      if (source.kind === 'replay' && !source.path) throw new Error('Type the path of a recording to replay.');
      this.browserDelayMs = null;
      this.info = await this.api.liveStart({
        source, channelFormat: s.channelFormat, hopSeconds: s.hopSeconds, listen: this.listen, listenMode: s.listenMode, output: { kind: 'client' },
      });
      this.running = true;
      this.active = [];
      this.stats = null;
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<void> {
    this.busy = true;
    try {
      const r = await this.api.liveStop({});
      if (r.recording) this.noteRecording(r.recording.path);
      if (r.stats) this.stats = r.stats;
      this.running = false;
      this.recording = null;
      this.active = [];
    } catch (err) {
      this.error = errorText(err);
    } finally {
      this.busy = false;
    }
  }

  async toggleListen(label: S5Label): Promise<void> {
    const next = this.listen.includes(label) ? this.listen.filter((l) => l !== label) : [...this.listen, label];
    this.listen = next;
    if (next.length) void this.audio?.resume();
    if (!this.running) return;
    try {
      this.listen = (await this.api.liveListen({ labels: next, mode: this.settings.listenMode })).labels;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /** Direct (beam) or clean (separator) listening; a running session switches with a crossfade. */
  async setListenMode(mode: ListenMode): Promise<void> {
    this.settings.listenMode = mode;
    this.saveSettings();
    if (!this.running) return;
    try {
      const r = await this.api.liveListen({ labels: this.listen, mode });
      this.listen = r.labels;
      this.settings.listenMode = r.mode;
    } catch (err) {
      this.error = errorText(err);
    }
  }

  /**
   * Remembers a finished recording. It holds the raw input channels, so its channel format is the
   * session's when the source delivered exactly 4 channels in order (replay, or the identity order).
   */
  private noteRecording(path: string): void {
    const s = this.settings;
    const inOrder = s.source === 'replay' || s.channelOrder.every((c, i) => c === i);
    this.lastRecording = path;
    this.lastRecordingFormat = this.info?.inputChannels === 4 && inOrder ? s.channelFormat : null;
  }

  async toggleRecord(): Promise<void> {
    try {
      if (this.recording) {
        const r = await this.api.liveRecord({ action: 'stop' });
        if (r.recording) this.noteRecording(r.recording.path);
        this.recording = null;
      } else {
        const dir = this.settings.recordDir.trim();
        const r = await this.api.liveRecord({ action: 'start', ...(dir ? { dir } : {}) });
        this.recording = r.recording ? { path: r.recording.path, seconds: r.recording.seconds } : null;
        this.saveSettings();
      }
    } catch (err) {
      this.error = errorText(err);
    }
  }
}
