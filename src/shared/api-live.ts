/**
 * Live monitoring (issue #7): devices, capture, rolling labels, listen, record, replay-as-live — the
 * part of the one contract (api.ts) this workflow adds. api.ts spreads these tables into
 * S5_METHODS / S5_EVENTS, so every name starts with `live`.
 *
 * One live session at a time runs in the engine (it survives the renderer switching views). Its
 * state reaches every client as events: `liveFrame` per tagger hop (probabilities, active labels,
 * levels, latency/CPU/dropout counters), `liveEvent` per label onset/offset, `liveAudio` with the
 * listen output when the client plays it (web mode), `liveState` when the session starts/stops/fails.
 *
 * Listening has two modes (issue #17, docs/live.md): `clean` runs the separator on a sliding window
 * (isolation, ≈ 250–370 ms late), `direct` steers a first-order beam at each class's direction
 * (tens of milliseconds, but only as much isolation as a first-order beam gives).
 */
import { ChannelFormatSchema } from './audio';
import { S5_LABELS } from './labels';
import { z } from './zod';

const PathSchema = z.string().min(1).max(4096);
const LabelSchema = z.enum(S5_LABELS);

export const LiveDeviceSchema = z.object({
  /** PortAudio device index (stable while the device set does not change). */
  id: z.number().int().nonnegative(),
  name: z.string(),
  hostApi: z.string(),
  maxInputChannels: z.number().int().nonnegative(),
  maxOutputChannels: z.number().int().nonnegative(),
  defaultSampleRate: z.number().positive(),
});
export type LiveDevice = z.infer<typeof LiveDeviceSchema>;

export const LiveDevicesResultSchema = z.object({
  /** Devices with at least one input channel (the UI marks those with fewer than 4). */
  inputs: z.array(LiveDeviceSchema),
  outputs: z.array(LiveDeviceSchema),
  /** Why devices could not be listed (PortAudio failed to load or initialise); lists are then empty. */
  error: z.string().nullable(),
});
export type LiveDevicesResult = z.infer<typeof LiveDevicesResultSchema>;

export const LIVE_SAMPLE_FORMATS = ['s16', 'f32'] as const;
export const LiveSampleFormatSchema = z.enum(LIVE_SAMPLE_FORMATS);

export const LiveDeviceSourceSchema = z.object({
  kind: z.literal('device'),
  deviceId: z.number().int().nonnegative(),
  sampleRate: z.number().int().min(8000).max(384000),
  sampleFormat: LiveSampleFormatSchema.default('f32'),
  /** Channels to open (≥ 4; arrays with more channels pick 4 with channelOrder). */
  channels: z.number().int().min(4).max(64).default(4),
  /**
   * Device channel (0-based) feeding each of the 4 channels of `channelFormat`, in that format's
   * own order (e.g. FuMa W, X, Y, Z). Default [0, 1, 2, 3].
   */
  channelOrder: z.array(z.number().int().min(0).max(63)).length(4).default([0, 1, 2, 3]),
  /** PortAudio frames per buffer (0 = let the host choose). */
  framesPerBuffer: z.number().int().min(0).max(65536).default(1024),
});

export const LiveReplaySourceSchema = z.object({
  kind: z.literal('replay'),
  path: PathSchema,
  /** Playback speed relative to real time (tests use > 1; 1 = as recorded). */
  speed: z.number().min(0.1).max(100).default(1),
  /** Start again at the end (default) or end the session. */
  loop: z.boolean().default(true),
  /**
   * false: no clock — each 10 ms block is handed over when the session has processed the previous
   * one (offline render of the live path, `s5 listen`; needs loop false; latency = processing only).
   */
  paced: z.boolean().default(true),
});

export const LiveSourceSchema = z.discriminatedUnion('kind', [LiveDeviceSourceSchema, LiveReplaySourceSchema]);
export type LiveSource = z.input<typeof LiveSourceSchema>;

/** How a listened class is heard: separator (clean) or a beam at its direction (direct). */
export const LISTEN_MODES = ['direct', 'clean'] as const;
export const ListenModeSchema = z.enum(LISTEN_MODES);
export type ListenMode = z.infer<typeof ListenModeSchema>;

/**
 * Direct mode's beam (engine/dsp/beam.ts): max-rE (default: rear lobe −11 dB, robust to direction
 * errors), hypercardioid (most directive, −6 dB rear lobe), cardioid (null at 180°), or MVDR on
 * the live covariance (deepest nulls with an exact direction, loses the target with a wrong one).
 */
export const BEAM_PATTERNS = ['max-re', 'hypercardioid', 'cardioid', 'mvdr'] as const;
export const BeamPatternSchema = z.enum(BEAM_PATTERNS);

export const LiveOutputSchema = z.discriminatedUnion('kind', [
  /** No listen output (tagging only). */
  z.object({ kind: z.literal('none') }),
  /** A PortAudio output device. */
  z.object({ kind: z.literal('device'), deviceId: z.number().int().nonnegative(), sampleRate: z.number().int().min(8000).max(384000).optional() }),
  /** PCM frames as `liveAudio` events, played by the client (web mode). */
  z.object({ kind: z.literal('client') }),
]);

export const LiveStartRequestSchema = z.object({
  source: LiveSourceSchema,
  /** How the input's 4 channels are to be read (converted to ACN/SN3D for the models). */
  channelFormat: ChannelFormatSchema.default('foa-acn-sn3d'),
  /** Seconds between tagger runs (default 0.25 → 4 label updates/s). */
  hopSeconds: z.number().min(0.05).max(5).default(0.25),
  /** Tagger context in seconds (default: the tagger's own window). */
  tagWindowSeconds: z.number().min(0.5).max(60).optional(),
  /** Separator context for listening, in seconds (shorter = faster, less context). */
  listenWindowSeconds: z.number().min(0.5).max(60).default(2),
  listen: z.array(LabelSchema).max(18).default([]),
  /** How the listened classes are heard (default clean: the separator). */
  listenMode: ListenModeSchema.default('clean'),
  /** Direct mode's beam pattern. */
  beam: BeamPatternSchema.default('max-re'),
  /** Direct mode: seconds between the separator's direction passes (rounded to hops), and their window. */
  directionHopSeconds: z.number().min(0.05).max(10).default(0.5),
  directionWindowSeconds: z.number().min(0.25).max(60).default(1),
  output: LiveOutputSchema.default({ kind: 'client' }),
  /** Start recording at once into this folder. */
  recordDir: PathSchema.optional(),
  models: z.array(z.string().min(1).max(64)).max(2).optional(),
});
export type LiveStartRequest = z.input<typeof LiveStartRequestSchema>;

export const LiveSessionInfoSchema = z.object({
  sessionId: z.string(),
  /** Model sample rate (probabilities and listen audio are at this rate). */
  modelRate: z.number().int().positive(),
  /** Input rate and channels as delivered by the source. */
  inputRate: z.number().int().positive(),
  inputChannels: z.number().int().positive(),
  labels: z.array(LabelSchema),
  hopSeconds: z.number(),
  tagWindowSeconds: z.number(),
  listenWindowSeconds: z.number(),
  /** The listen mode the session started in, the beam, and the direct path's timing. */
  listenMode: ListenModeSchema,
  beam: BeamPatternSchema,
  /** Processing step of the direct path (s); its blocks are the source's, cut at these steps. */
  directStepSeconds: z.number(),
  directionHopSeconds: z.number(),
  directionWindowSeconds: z.number(),
  /** false for an unpaced replay (offline render). */
  paced: z.boolean(),
  tagger: z.string(),
  separator: z.string().nullable(),
  sourceName: z.string(),
  warnings: z.array(z.string()),
});
export type LiveSessionInfo = z.infer<typeof LiveSessionInfoSchema>;

export const LiveEventRecordSchema = z.object({
  label: LabelSchema,
  /** Seconds of input since the session started. */
  onset: z.number(),
  /** null while the label is still on. */
  offset: z.number().nullable(),
  peak: z.number(),
});
export type LiveEventRecord = z.infer<typeof LiveEventRecordSchema>;

const LatencySchema = z.object({
  p50Ms: z.number().nullable(),
  p95Ms: z.number().nullable(),
  /** Measurements ever taken (8 frames per output block). */
  samples: z.number().int().nonnegative(),
});

export const LiveStatsSchema = z.object({
  /**
   * Listen path latency of the current mode (capture of a frame → written to the output, plus
   * what the output reports queued ahead), ms; null before any output in this mode.
   */
  latencyP50Ms: z.number().nullable(),
  latencyP95Ms: z.number().nullable(),
  latencySamples: z.number().int().nonnegative(),
  /** The current listen mode and the latency measured in each mode this session. */
  mode: ListenModeSchema,
  latencyByMode: z.object({ direct: LatencySchema, clean: LatencySchema }),
  /** Pipeline busy time per hop length (1 = no margin left). */
  load: z.number(),
  /** Engine process CPU time per wall time per core (0…1). */
  cpu: z.number(),
  /** Hops the tagger could not keep up with (coalesced). */
  lateBlocks: z.number().int().nonnegative(),
  /** Output hops that could not be produced (gaps in the listen stream) + input overruns. */
  dropouts: z.number().int().nonnegative(),
  /** Separation passes skipped to keep tagging on time. */
  skippedSeparations: z.number().int().nonnegative(),
  /** Tagger updates per second of wall time over the last seconds. */
  updatesPerSecond: z.number(),
  /** Mean processing time per hop (tagger, separator) in ms. */
  tagMs: z.number(),
  separateMs: z.number(),
  /** Direct mode: mean time of a direction pass (separator on the direction window), ms; passes done. */
  directionMs: z.number(),
  directionPasses: z.number().int().nonnegative(),
  /** Direction results that arrived after the frame they were due to steer from. */
  lateDirections: z.number().int().nonnegative(),
  /** Beam processing time per direct block (ms, p50/p95) and the mean block length (frames). */
  directBlockMsP50: z.number().nullable(),
  directBlockMsP95: z.number().nullable(),
  directBlockFrames: z.number().nullable(),
});
export type LiveStats = z.infer<typeof LiveStatsSchema>;

export const LiveRecordingSchema = z.object({
  path: z.string(),
  eventsPath: z.string(),
  seconds: z.number(),
});

export const LiveStopResultSchema = z.object({
  stopped: z.boolean(),
  events: z.array(LiveEventRecordSchema),
  stats: LiveStatsSchema.nullable(),
  recording: LiveRecordingSchema.nullable(),
});

export const LiveStatusResultSchema = z.object({
  running: z.boolean(),
  session: LiveSessionInfoSchema.nullable(),
  listen: z.array(LabelSchema),
  listenMode: ListenModeSchema.nullable(),
  events: z.array(LiveEventRecordSchema),
  recording: LiveRecordingSchema.nullable(),
});

export const LiveFrameEventSchema = z.object({
  sessionId: z.string(),
  /** End of the tagged window, seconds of input since start. */
  t: z.number(),
  /** One probability per label (session.labels order), smoothed. */
  probs: z.instanceof(Float32Array),
  active: z.array(LabelSchema),
  /** Input RMS per channel over the last hop, dBFS. */
  levels: z.instanceof(Float32Array),
  /** true when separation was skipped in this hop to keep up. */
  overloaded: z.boolean(),
  stats: LiveStatsSchema,
  recording: LiveRecordingSchema.nullable(),
  /** Direct mode's beams: look direction per listened class (null: no direction yet, omni). */
  beams: z.array(z.object({
    label: LabelSchema,
    azimuth_deg: z.number().nullable(),
    elevation_deg: z.number().nullable(),
    /** The latest direction pass kept the old direction (class off or quiet). */
    held: z.boolean(),
  })),
});
export type LiveFrameEvent = z.infer<typeof LiveFrameEventSchema>;

export const LiveLabelEventSchema = z.object({
  sessionId: z.string(),
  kind: z.enum(['onset', 'offset']),
  event: LiveEventRecordSchema,
});

export const LiveAudioEventSchema = z.object({
  sessionId: z.string(),
  /** Input time of the first sample, seconds since start. */
  t: z.number(),
  sampleRate: z.number().int().positive(),
  pcm: z.instanceof(Float32Array),
});

export const LiveStateEventSchema = z.object({
  sessionId: z.string(),
  state: z.enum(['running', 'stopped', 'ended', 'failed']),
  message: z.string(),
});

export const LIVE_METHODS = {
  /** Input and output devices PortAudio sees. */
  liveDevices: { input: z.object({}), output: LiveDevicesResultSchema },
  /** Starts the live session (fails with `invalid_request` while one runs). */
  liveStart: { input: LiveStartRequestSchema, output: LiveSessionInfoSchema },
  liveStop: { input: z.object({}), output: LiveStopResultSchema },
  liveStatus: { input: z.object({}), output: LiveStatusResultSchema },
  /** The classes to hear (empty = listen off) and, optionally, the mode (switching crossfades). */
  liveListen: {
    input: z.object({ labels: z.array(LabelSchema).max(18), mode: ListenModeSchema.optional() }),
    output: z.object({ labels: z.array(LabelSchema), mode: ListenModeSchema }),
  },
  /** Starts recording into `dir` (default: the data folder's `recordings/`) — raw input WAV + events JSON lines — or stops it. */
  liveRecord: {
    input: z.object({ action: z.enum(['start', 'stop']), dir: PathSchema.optional() }),
    output: z.object({ recording: LiveRecordingSchema.nullable() }),
  },
} as const;

export const LIVE_EVENTS = {
  liveFrame: LiveFrameEventSchema,
  liveEvent: LiveLabelEventSchema,
  liveAudio: LiveAudioEventSchema,
  liveState: LiveStateEventSchema,
} as const;
