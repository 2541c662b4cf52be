/**
 * Fine-tuning (issue #8): trainer doctor, data checks, run manager, run events — the part of the
 * one contract (api.ts) this workflow adds. api.ts spreads these tables into S5_METHODS /
 * S5_EVENTS, so every name here starts with `train`.
 *
 * A run is one `python -m s5trainer train` process working in `<data>/runs/<id>/`; the engine's
 * run manager (src/main/engine/training/) owns it. Trainer events (src/shared/trainer-events.ts)
 * are passed to clients unchanged inside `trainEvent`.
 */
import { z } from './zod';
import { TASKS } from './labels';
import { TrainerEventSchema } from './trainer-events';

const PathSchema = z.string().min(1).max(4096);
const RunIdSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a run id: lowercase letters, digits, ".", "_", "-"');

// ------------------------------------------------------------------------------------------------
// Doctor: which Python runs the trainer, and on what.

/** How one Python candidate answered `s5trainer doctor --json`. */
export const TrainPythonProbeSchema = z.object({
  executable: z.string(),
  ok: z.boolean(),
  /** What went wrong and how to fix it (null when ok). */
  error: z.string().nullable(),
});

export const TrainDoctorSchema = z.object({
  /** true when a Python with torch was found and the trainer's doctor reported no problems. */
  ok: z.boolean(),
  /** The Python that runs the trainer (null: none works; see `tried`). */
  python: z.string().nullable(),
  python_version: z.string().nullable(),
  torch: z.string().nullable(),
  cuda_available: z.boolean(),
  gpus: z.array(z.object({ index: z.number().int(), name: z.string(), memory_bytes: z.number().nullable() })),
  cpu_threads: z.number().int().nonnegative(),
  disk_free_bytes: z.number().nonnegative().nullable(),
  disk_path: z.string().nullable(),
  /** Devices a run may ask for: always 'cpu', plus 'cuda' when a GPU is usable. */
  devices: z.array(z.enum(['cpu', 'cuda'])),
  /** One line for the UI, e.g. "CPU · 2 threads" or "CUDA · NVIDIA H200 (139 GiB)". */
  summary: z.string(),
  /** The trainer's own problems, and ours (each with its fix). */
  problems: z.array(z.string()),
  tried: z.array(TrainPythonProbeSchema),
  torchrun: z.boolean(),
  torchrun_extra_args: z.array(z.string()),
  /** The Python setting (null = automatic: /usr/bin/python3, then python3). */
  python_setting: z.string().nullable(),
});
export type TrainDoctor = z.infer<typeof TrainDoctorSchema>;

// ------------------------------------------------------------------------------------------------
// Data and rooms.

export const TrainDataSchema = z.discriminatedUnion('source', [
  /** The built-in sound library (`<data>/library`, built by `s5trainer library build`). */
  z.object({ source: z.literal('library'), path: PathSchema.optional() }),
  /** The user's labelled clips `ClassName/*.wav`, added to the built-in library before training. */
  z.object({ source: z.literal('folder'), path: PathSchema }),
  /** The official DCASE `dev_set` folder (spec §8.1): trains on its `test/` soundscapes + oracle targets. */
  z.object({ source: z.literal('dcase'), path: PathSchema }),
  /** Toy tone scenes made on the fly: checks the set-up in seconds; the model learns nothing useful. */
  z.object({ source: z.literal('toy') }),
]);
export type TrainData = z.infer<typeof TrainDataSchema>;

export const TrainRoomsSchema = z.discriminatedUnion('source', [
  /** The simulated FOA room bank in `<data>/rooms/default` (`s5trainer rooms bank`). */
  z.object({ source: z.literal('simulated') }),
  /** A folder of 4-channel impulse responses (WAV or SOFA), imported into the run before training. */
  z.object({ source: z.literal('folder'), path: PathSchema, format: z.enum(['acn-sn3d', 'acn-n3d', 'fuma']).default('acn-sn3d') }),
]);
export type TrainRooms = z.infer<typeof TrainRoomsSchema>;

export const DataClassCountSchema = z.object({ name: z.string(), files: z.number().int().nonnegative() });

export const DataCheckSchema = z.object({
  ok: z.boolean(),
  /** What was checked, e.g. "user folder /home/me/clips". */
  what: z.string(),
  /** Per accepted class: number of readable audio files. */
  classes: z.array(DataClassCountSchema),
  /** Sub-folders whose name is not one of the accepted class names, with the nearest accepted name. */
  unknown: z.array(z.object({ name: z.string(), suggestion: z.string().nullable() })),
  unreadable: z.array(z.object({ file: z.string(), reason: z.string() })),
  /** Everything else that stops a run (missing folders, nothing found...). */
  errors: z.array(z.string()),
  warnings: z.array(z.string()),
  accepted: z.array(z.string()),
});
export type DataCheck = z.infer<typeof DataCheckSchema>;

// ------------------------------------------------------------------------------------------------
// Runs.

export const TrainModelSizeSchema = z.enum(['tiny', 'small-16k', 'small-32k']);
export const TrainKindSchema = z.enum(['tagger', 'separator']);

export const TrainRequestSchema = z.object({
  /** Shown in the run list; also the start of the run id. */
  name: z.string().max(40).optional(),
  task: z.enum(TASKS).default('dcase2025t4'),
  /** What to train; 'both' makes two runs (tagger, then separator, queued). */
  target: z.enum(['tagger', 'separator', 'both']).default('separator'),
  /** Architecture size: tiny (smoke test, 8 kHz 1-s), small-16k, small-32k (the shipped defaults' recipes). */
  size: TrainModelSizeSchema.default('small-16k'),
  /**
   * Weights to start from: fresh, a finished run's best checkpoint, a checkpoint file, or a
   * registered model (shipped or user; its PyTorch weights are recovered from its ONNX file by
   * `s5trainer weights-from-onnx`, cached, and the run keeps BatchNorms frozen).
   */
  base: z.discriminatedUnion('from', [
    z.object({ from: z.literal('scratch') }),
    z.object({ from: z.literal('run'), run: RunIdSchema }),
    z.object({ from: z.literal('file'), path: PathSchema }),
    z.object({ from: z.literal('model'), id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'a model id') }),
  ]).default({ from: 'scratch' }),
  data: TrainDataSchema,
  rooms: TrainRoomsSchema.default({ source: 'simulated' }),
  /** Optimizer steps, or a wall-clock budget (the run stops, validates and exports when it is spent). */
  budget: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('steps'), steps: z.number().int().min(1).max(10_000_000) }),
    z.object({ kind: z.literal('minutes'), minutes: z.number().min(0.1).max(60 * 24 * 14), steps: z.number().int().min(1).max(10_000_000).default(1_000_000) }),
  ]),
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  batchSize: z.number().int().min(1).max(4096).optional(),
  lr: z.number().positive().max(1).optional(),
  /** Steps between validations (0: only at the end). */
  validationEvery: z.number().int().min(0).optional(),
  checkpointEvery: z.number().int().min(1).optional(),
  /** Extra trainer config overrides by dotted key (`train.lr=3e-4`), applied last. */
  set: z.array(z.string().regex(/^[a-z_]+(\.[a-z_]+)+=.+$/, 'key.sub=value')).max(32).default([]),
});
export type TrainRequest = z.input<typeof TrainRequestSchema>;
export type TrainRequestParsed = z.output<typeof TrainRequestSchema>;

export const RunStatusSchema = z.enum(['queued', 'preparing', 'running', 'cancelled', 'interrupted', 'finished', 'failed']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

export const ValidationPointSchema = z.object({
  step: z.number().int(),
  ca_sdri: z.number().nullable(),
  system_ca_sdri: z.number().nullable(),
  label_accuracy: z.number().nullable(),
  loss: z.number().nullable(),
});

export const RunMetricsSchema = z.object({
  ca_sdri: z.number().nullable(),
  label_accuracy: z.number().nullable(),
  loss: z.number().nullable(),
});

/** What the UI shows about a run; the engine keeps it in `<data>/runs/<id>/studio.json`. */
export const TrainRunSchema = z.object({
  id: z.string(),
  name: z.string(),
  dir: z.string(),
  kind: TrainKindSchema,
  status: RunStatusSchema,
  /** Why it stopped (interrupted/failed), or what it is doing (preparing). */
  message: z.string().nullable(),
  created: z.string(),
  updated: z.string(),
  step: z.number().int().nonnegative(),
  total: z.number().int().nonnegative(),
  /** Step of the newest `last.pt` (where a resume continues). */
  checkpoint_step: z.number().int().nonnegative().nullable(),
  loss: z.number().nullable(),
  samples_per_s: z.number().nullable(),
  eta_s: z.number().nullable(),
  device: z.string().nullable(),
  resumable: z.boolean(),
  /** The registered model (after `finished` and export). */
  model_id: z.string().nullable(),
  metrics: RunMetricsSchema.nullable(),
  /** The model it started from (run id or file), and that model's metrics when known. */
  base: z.object({ label: z.string(), metrics: RunMetricsSchema.nullable() }),
  /** 'studio': started here; 'imported': a run folder produced elsewhere. */
  origin: z.enum(['studio', 'imported']),
  request: z.unknown().nullable(),
  /** Minutes budget: the wall clock when it is spent (ISO), else null. */
  deadline: z.string().nullable(),
});
export type TrainRun = z.infer<typeof TrainRunSchema>;

export const LossPointSchema = z.object({ step: z.number().int(), loss: z.number() });

export const TrainRunDetailSchema = z.object({
  run: TrainRunSchema,
  loss: z.array(LossPointSchema),
  validation: z.array(ValidationPointSchema),
  /** The last lines of the trainer's log (stderr). */
  log: z.array(z.string()),
});
export type TrainRunDetail = z.infer<typeof TrainRunDetailSchema>;

const RunRef = z.object({ id: RunIdSchema });

export const TRAIN_METHODS = {
  /** Finds a Python with torch and reports the trainer's doctor (device, GPUs, threads, disk). */
  trainDoctor: { input: z.object({}), output: TrainDoctorSchema },
  /** Sets the Python used for training (null = automatic) and answers the new doctor report. */
  trainSetPython: { input: z.object({ python: PathSchema.nullable() }), output: TrainDoctorSchema },
  trainCheckData: { input: z.object({ data: TrainDataSchema, task: z.enum(TASKS).default('dcase2025t4') }), output: DataCheckSchema },
  trainCheckRooms: { input: z.object({ rooms: TrainRoomsSchema }), output: DataCheckSchema },
  /** Starts a run (or two for target 'both'); refused while another run is active. */
  trainStart: { input: TrainRequestSchema, output: z.object({ runs: z.array(TrainRunSchema) }) },
  /** SIGTERM (the trainer checkpoints and stops), SIGKILL after the grace period. */
  trainCancel: { input: RunRef, output: z.object({ run: TrainRunSchema }) },
  /** Continues a cancelled/interrupted run from its last checkpoint (`--resume`). */
  trainResume: { input: RunRef.extend({ maxSteps: z.number().int().min(1).optional() }), output: z.object({ run: TrainRunSchema }) },
  trainList: { input: z.object({}), output: z.object({ runs: z.array(TrainRunSchema), dir: z.string() }) },
  trainGetRun: { input: RunRef, output: TrainRunDetailSchema },
  /** Deletes a run folder (not while it runs); its registered model stays. */
  trainDelete: { input: RunRef, output: z.object({}) },
  /** Registers a run folder made elsewhere (`s5trainer train --workdir`, torchrun): events replayed. */
  trainImport: { input: z.object({ path: PathSchema }), output: z.object({ run: TrainRunSchema }) },
  /** The equivalent command for a workstation or cluster (torchrun, data-parallel). */
  trainCommand: {
    input: z.object({ request: TrainRequestSchema, gpusPerNode: z.number().int().min(1).max(64).default(1), nodes: z.number().int().min(1).max(1024).default(1) }),
    output: z.object({ config: z.record(z.string(), z.unknown()), configJson: z.string(), command: z.string() }),
  },
  /** Makes a finished run's model the active tagger or separator. */
  trainActivate: { input: RunRef, output: z.object({ tagger: z.string().nullable(), separator: z.string().nullable() }) },
} as const;

export const TrainRunEventSchema = z.object({ run: TrainRunSchema });
export const TrainTrainerEventSchema = z.object({ run: z.string(), event: TrainerEventSchema });
export const TrainLogEventSchema = z.object({ run: z.string(), lines: z.array(z.string()) });

export const TRAIN_EVENTS = {
  /** A run's summary changed (status, step, model...). */
  trainRun: TrainRunEventSchema,
  /** One trainer event, as the trainer wrote it (already validated). */
  trainEvent: TrainTrainerEventSchema,
  /** New lines of the trainer's log. */
  trainLog: TrainLogEventSchema,
} as const;
