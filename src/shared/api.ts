/**
 * The one contract (DESIGN.md §2): `S5Api` is served by Electron IPC (app), by the WebSocket
 * bridge (web mode, e2e tests) and in-process (CLI, integration tests). Each method takes one
 * object argument and returns one object; both are validated with these schemas at every process
 * boundary. Audio and other bulk data travel as typed arrays (structured clone over IPC, binary
 * frames over WebSocket — see wire.ts), never as JSON number lists.
 */
import { z } from './zod';
import { AudioInfoSchema, ChannelFormatSchema } from './audio';
import { S5ErrorDataSchema } from './errors';
import { EvaluateRequestSchema, EvaluateResultSchema } from './evaluate';
import { S5_LABELS, TASKS } from './labels';
import { S5ResultSchema, SeparationModeSchema, StemFormatSchema } from './result';
import { LIVE_EVENTS, LIVE_METHODS } from './api-live';
import { SCENE_EVENTS, SCENE_METHODS } from './api-scene';
import { TRAIN_EVENTS, TRAIN_METHODS } from './api-train';

/** Longest path we accept from a client; longer is certainly not a path (PATH_MAX is 4096). */
const PathSchema = z.string().min(1).max(4096);

export const EngineInfoSchema = z.object({
  version: z.string(),
  /** Which shell hosts the engine: Electron app, web bridge, or in-process (CLI/tests). */
  shell: z.enum(['electron', 'web', 'inprocess']),
  node: z.string(),
  platform: z.string(),
  pid: z.number().int(),
  /** How many times the engine process was (re)started in this session; 1 = never crashed. */
  starts: z.number().int().positive(),
});
export type EngineInfo = z.infer<typeof EngineInfoSchema>;

export const OpenAudioRequestSchema = z.object({
  path: PathSchema,
  /** Declared channel format; omitted = assume ACN/SN3D for 4 channels and report the hint. */
  channelFormat: ChannelFormatSchema.optional(),
  /** Number of min/max buckets of the waveform overview (per channel). */
  overviewBuckets: z.number().int().min(16).max(8192).default(1024),
});
export type OpenAudioRequest = z.input<typeof OpenAudioRequestSchema>;

/** Min/max envelope per channel, after channel-format conversion (channel 0 = W for FOA). */
export const WaveformOverviewSchema = z.object({
  buckets: z.number().int().positive(),
  min: z.array(z.instanceof(Float32Array)),
  max: z.array(z.instanceof(Float32Array)),
});
export type WaveformOverview = z.infer<typeof WaveformOverviewSchema>;

export const OpenAudioResultSchema = z.object({
  info: AudioInfoSchema,
  overview: WaveformOverviewSchema,
});
export type OpenAudioResult = z.infer<typeof OpenAudioResultSchema>;

/** Web mode drag-and-drop: the browser has bytes, not a path; the engine stores them and opens that. */
export const ImportFileRequestSchema = z.object({
  name: z.string().min(1).max(255),
  data: z.instanceof(Uint8Array),
});
export const ImportFileResultSchema = z.object({ path: z.string() });

export const PickFileRequestSchema = z.object({
  purpose: z.enum(['audio', 'folder']).default('audio'),
});
/** `path` null = the user cancelled, or the shell has no native dialog (web mode). */
export const PickFileResultSchema = z.object({ path: z.string().nullable() });

// ------------------------------------------------------------------------------------------------
// Models, inference, separation (issue #5). Long calls take an optional client-chosen `jobId`;
// `cancel({jobId})` stops them (they then fail with code 'cancelled'). Progress arrives as
// `progress` events {task: 'separate' | 'tag', stage, done, total, job}.

const JobIdSchema = z.string().min(1).max(128);
/** A tagger, a separator and a verifier at most, in any order. */
const ModelIdsSchema = z.array(z.string().min(1).max(64)).max(3);

/** One model folder as the registry sees it (valid or not). */
export const ModelInfoSchema = z.object({
  id: z.string(),
  source: z.enum(['shipped', 'user']),
  dir: z.string(),
  valid: z.boolean(),
  /** Each names the file and the problem; a model with errors is refused. */
  errors: z.array(z.string()),
  warnings: z.array(z.string()),
  /** null when the manifest cannot be read. */
  name: z.string().nullable(),
  kind: z.enum(['tagger', 'separator']).nullable(),
  /** What the model does in the engine: a tagger-kind model with a verification block is a stem verifier. */
  role: z.enum(['tagger', 'separator', 'verifier']).nullable(),
  task: z.enum(TASKS).nullable(),
  architecture: z.string().nullable(),
  sample_rate: z.number().nullable(),
  window_seconds: z.number().nullable(),
  channels: z.number().nullable(),
  slots: z.number().nullable(),
  params: z.number().nullable(),
  labels: z.number().nullable(),
  active: z.boolean(),
  /** The manifest's `metrics` (e.g. ca_sdri, label_accuracy, onnx_parity_*); null when the manifest cannot be read. */
  metrics: z.record(z.string(), z.number()).nullable(),
  /** Taggers: the decision rule (global threshold, per-class thresholds, event counts); null otherwise. */
  decision: z
    .object({
      threshold: z.number(),
      thresholds: z.record(z.string(), z.number()),
      min_events: z.number(),
      max_events: z.number(),
    })
    .nullable(),
  /** Verifiers: confirmation / relabel thresholds and the pass bound (manifest `verification`); null otherwise. */
  verification: z
    .object({
      confirm: z.record(z.string(), z.number()),
      relabel: z.number().nullable(),
      max_passes: z.number(),
      candidate: z.number(),
    })
    .nullable(),
  /** Level normalisation inside the graph: the W-channel RMS (dBFS) each window is scaled to; null = none. */
  input_level_dbfs: z.number().nullable(),
  /** MODEL_CARD.md as plain text (at most MODEL_CARD_MAX_BYTES); null when the folder has none. */
  card: z.string().nullable(),
});
/** Largest part of a MODEL_CARD.md that `listModels` returns. */
export const MODEL_CARD_MAX_BYTES = 64 * 1024;
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export const ActiveModelsInfoSchema = z.object({
  tagger: z.string().nullable(),
  separator: z.string().nullable(),
  /** 'settings': the pair saved by activateModels; 'default': chosen automatically. */
  from: z.enum(['settings', 'default']),
  /** The stem verifier (null: none installed, or the user chose none). */
  verifier: z.string().nullable(),
  /** 'settings': chosen by the user (including none); 'default': the first valid one that fits the separator. */
  verifier_from: z.enum(['settings', 'default']),
  warnings: z.array(z.string()),
});

export const ListModelsResultSchema = z.object({
  models: z.array(ModelInfoSchema),
  active: ActiveModelsInfoSchema,
  roots: z.array(z.object({ dir: z.string(), source: z.enum(['shipped', 'user']) })),
});
export type ListModelsResult = z.infer<typeof ListModelsResultSchema>;

export const ActivateModelsRequestSchema = z
  .object({
    /** A tagger, a separator and/or a verifier (one of each at most). */
    ids: z.array(z.string().min(1).max(64)).max(3).default([]),
    /** The stem verifier to use: an id, or null for none (omitted: unchanged unless `ids` names one). */
    verifier: z.string().min(1).max(64).nullable().optional(),
  })
  .refine((r) => r.ids.length > 0 || r.verifier !== undefined, { message: 'name at least one model id, or a verifier (null for none)', path: ['ids'] });
export const ImportModelRequestSchema = z.object({ path: PathSchema, force: z.boolean().default(false) });
export const RemoveModelRequestSchema = z.object({ id: z.string().min(1).max(64) });

export const DoctorReportSchema = z.object({
  engine: z.object({ version: z.string(), node: z.string(), platform: z.string() }),
  cpu: z.object({ model: z.string(), cores: z.number().int().positive() }),
  /** Intra-op threads per ONNX Runtime session. */
  threads: z.number().int().positive(),
  gpu: z.object({ present: z.boolean(), names: z.array(z.string()) }),
  onnxruntime: z.object({
    version: z.string().nullable(),
    backends: z.array(z.object({ name: z.string(), bundled: z.boolean() })),
    cuda_built: z.boolean(),
    cuda_installed: z.boolean(),
    /** Why the inference worker could not start (null when it did). */
    error: z.string().nullable(),
  }),
  provider: z.object({
    preference: z.enum(['auto', 'cpu', 'cuda']),
    /** The provider sessions get (checked by loading the active tagger when there is one). */
    selected: z.enum(['cpu', 'cuda']),
    fallback_reason: z.string().nullable(),
    /** true when a real session was created to check it. */
    verified: z.boolean(),
    session_create_s: z.number().nullable(),
  }),
  data_dir: z.string(),
  settings_file: z.string(),
  models: z.object({
    roots: z.array(z.object({ dir: z.string(), source: z.enum(['shipped', 'user']), exists: z.boolean() })),
    total: z.number().int().nonnegative(),
    valid: z.number().int().nonnegative(),
    invalid: z.array(z.object({ id: z.string(), errors: z.array(z.string()) })),
    active: ActiveModelsInfoSchema,
  }),
  /** Python interpreters found for training (`$S5_PYTHON`, /usr/bin/python3, python3: the run manager tries them in this order). */
  python: z.array(z.object({
    executable: z.string(),
    version: z.string().nullable(),
    torch: z.string().nullable(),
    torch_cuda: z.boolean().nullable(),
    error: z.string().nullable(),
    /** The s5trainer package this Python imports with the run manager's environment (null: none). */
    trainer: z.object({ version: z.string(), path: z.string() }).nullable().optional(),
    /** The trainer's other Python dependencies: module → version, null when it does not import. */
    packages: z.record(z.string(), z.string().nullable()).optional(),
    /** What keeps this Python from training, each with its fix (empty: ready). */
    problems: z.array(z.string()).optional(),
  })),
  warnings: z.array(z.string()),
});
export type DoctorReport = z.infer<typeof DoctorReportSchema>;

export const SeparateRequestSchema = z.object({
  path: PathSchema,
  /** The recording's stems, labels.json and labels.csv go to `<outDir>/<recording name>/`. */
  outDir: PathSchema,
  format: StemFormatSchema.default('wav16'),
  /** Output sample rate in Hz (default: the model's). */
  rate: z.number().int().min(8000).max(384000).optional(),
  channelFormat: ChannelFormatSchema.optional(),
  /** Model ids to use instead of the active ones (a tagger, a separator and/or a verifier). */
  models: ModelIdsSchema.optional(),
  /** Separate exactly these classes instead of the tagger's (the user's query; origin 'user'). */
  labels: z.array(z.enum(S5_LABELS)).min(1).max(18).optional(),
  /** 'accurate' also tries the classes the tagger missed (needs a verifier). */
  mode: SeparationModeSchema.optional(),
  /** The stem verifier: an id, or null for none (omitted: the named or active one). */
  verifier: z.string().min(1).max(64).nullable().optional(),
  jobId: JobIdSchema.optional(),
});
export type SeparateRequest = z.input<typeof SeparateRequestSchema>;

export const TagRequestSchema = z.object({
  path: PathSchema,
  channelFormat: ChannelFormatSchema.optional(),
  models: ModelIdsSchema.optional(),
  jobId: JobIdSchema.optional(),
});

/** Method table: the single source of truth for names and schemas. */
export const S5_METHODS = {
  getEngineInfo: { input: z.object({}), output: EngineInfoSchema },
  openAudio: { input: OpenAudioRequestSchema, output: OpenAudioResultSchema },
  importFile: { input: ImportFileRequestSchema, output: ImportFileResultSchema },
  evaluate: { input: EvaluateRequestSchema, output: EvaluateResultSchema },
  listModels: { input: z.object({}), output: ListModelsResultSchema },
  activateModels: { input: ActivateModelsRequestSchema, output: ActiveModelsInfoSchema },
  importModel: { input: ImportModelRequestSchema, output: z.object({ model: ModelInfoSchema }) },
  removeModel: { input: RemoveModelRequestSchema, output: z.object({}) },
  doctor: { input: z.object({}), output: DoctorReportSchema },
  separate: { input: SeparateRequestSchema, output: S5ResultSchema },
  tag: { input: TagRequestSchema, output: S5ResultSchema },
  /** Stops a running separate/tag call; `cancelled` false when no such job is running. */
  cancel: { input: z.object({ jobId: JobIdSchema }), output: z.object({ cancelled: z.boolean() }) },
  /** Served by the shell (Electron dialog), not by the engine. */
  pickFile: { input: PickFileRequestSchema, output: PickFileResultSchema },
  // Each workflow's own methods live in its file (api-scene.ts, api-live.ts, api-train.ts).
  ...SCENE_METHODS,
  ...LIVE_METHODS,
  ...TRAIN_METHODS,
} as const;

export type S5MethodName = keyof typeof S5_METHODS;
export const S5_METHOD_NAMES = Object.keys(S5_METHODS) as S5MethodName[];
/** Methods the shell answers itself; every other method goes to the engine. */
export const SHELL_METHODS: readonly S5MethodName[] = ['pickFile'];

export type S5Input<M extends S5MethodName> = z.input<(typeof S5_METHODS)[M]['input']>;
export type S5ParsedInput<M extends S5MethodName> = z.output<(typeof S5_METHODS)[M]['input']>;
export type S5Output<M extends S5MethodName> = z.output<(typeof S5_METHODS)[M]['output']>;

/** Typed events pushed from engine/shell to every client. */
export const EngineStatusEventSchema = z.object({
  /** 'failed': the engine crashed too often and is no longer restarted (calls fail until restart). */
  state: z.enum(['starting', 'ready', 'crashed', 'restarting', 'failed']),
  message: z.string(),
  /** The call that was in flight when the engine died, if any. */
  failedMethods: z.array(z.string()).default([]),
});
export const ProgressEventSchema = z.object({
  task: z.string(),
  stage: z.string(),
  done: z.number().nonnegative(),
  total: z.number().nonnegative(),
  /** The jobId of the call this progress belongs to, when the caller gave one. */
  job: z.string().optional(),
});
export const S5_EVENTS = {
  engineStatus: EngineStatusEventSchema,
  progress: ProgressEventSchema,
  ...SCENE_EVENTS,
  ...LIVE_EVENTS,
  ...TRAIN_EVENTS,
} as const;
export type S5EventName = keyof typeof S5_EVENTS;
export const S5_EVENT_NAMES = Object.keys(S5_EVENTS) as S5EventName[];
export type S5EventPayload<E extends S5EventName> = z.output<(typeof S5_EVENTS)[E]>;

export type S5Api = {
  [M in S5MethodName]: (arg: S5Input<M>) => Promise<S5Output<M>>;
} & {
  /** Subscribe to an event; returns the unsubscribe function. */
  on<E extends S5EventName>(event: E, listener: (payload: S5EventPayload<E>) => void): () => void;
};

/** What a call returns on the wire. */
export const CallReplySchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({ ok: z.literal(false), error: S5ErrorDataSchema }),
]);
export type CallReply = z.infer<typeof CallReplySchema>;

/**
 * What the renderer sees as `window.s5`: the contract plus one synchronous shell helper.
 * `pathForFile` turns a dropped File into its filesystem path (Electron's webUtils); in web mode
 * it returns null and the renderer uploads the bytes with `importFile` instead.
 */
export type S5Bridge = S5Api & { pathForFile(file: File): string | null };
