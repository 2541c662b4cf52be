/**
 * Fine-tuning (issue #8): trainer doctor, data checks, run manager, run events — the part of the
 * one contract (api.ts) this workflow adds. api.ts spreads these tables into S5_METHODS /
 * S5_EVENTS, so every name here starts with `train`.
 *
 * A run is one `python -m s5trainer train` process working in `<data>/runs/<id>/`; the engine's
 * run manager (src/engine/training/) owns it. Trainer events (src/shared/trainer-events.ts)
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

// Microphone arrays for simulated rooms. Positions are metres relative to the array centre, in the
// trainer's frame: x front, y left, z up (trainer/README.md "Conventions").

/** Bounds of an array: tetra radius / square side, capsule distance from the centre, capsule spacing. */
export const ARRAY_LIMITS = { minSize_m: 0.005, maxSize_m: 1, maxRadius_m: 1, minSpacing_m: 0.001 } as const;

const sizeM = (what: string) =>
  z.number({ error: `${what} must be a number of metres` })
    .refine((v) => Number.isFinite(v), `${what} must be a finite number of metres`)
    .refine((v) => v >= ARRAY_LIMITS.minSize_m, `${what} must be at least ${ARRAY_LIMITS.minSize_m * 1000} mm`)
    .refine((v) => v <= ARRAY_LIMITS.maxSize_m, `${what} must be at most ${ARRAY_LIMITS.maxSize_m} m`);

const PositionSchema = z.tuple([z.number(), z.number(), z.number()]);

/** Problems with 4 capsule positions (empty = usable): finite, within 1 m of the centre, distinct. */
export function capsuleProblems(positions: ReadonlyArray<readonly number[]>): string[] {
  const problems: string[] = [];
  if (positions.length !== 4) return [`a 4-mic array needs 4 capsule positions, got ${positions.length}`];
  positions.forEach((p, i) => {
    if (p.length !== 3 || !p.every(Number.isFinite)) problems.push(`capsule ${i + 1}: x, y and z must be finite numbers`);
  });
  if (problems.length) return problems;
  positions.forEach((p, i) => {
    const r = Math.hypot(p[0], p[1], p[2]);
    if (r > ARRAY_LIMITS.maxRadius_m) problems.push(`capsule ${i + 1} is ${(r * 1000).toFixed(0)} mm from the array centre; capsules must be within ${ARRAY_LIMITS.maxRadius_m * 1000} mm`);
  });
  for (let i = 0; i < 4; i++) {
    for (let j = i + 1; j < 4; j++) {
      const d = Math.hypot(positions[i][0] - positions[j][0], positions[i][1] - positions[j][1], positions[i][2] - positions[j][2]);
      if (d < ARRAY_LIMITS.minSpacing_m) problems.push(`capsules ${i + 1} and ${j + 1} are at the same place (${(d * 1000).toFixed(2)} mm apart); capsules must be at least ${ARRAY_LIMITS.minSpacing_m * 1000} mm apart`);
    }
  }
  return problems;
}

export const TrainArraySchema = z.discriminatedUnion('kind', [
  /** First-order Ambisonics (ACN/SN3D), what the shipped models take. */
  z.object({ kind: z.literal('foa') }),
  /** Tetrahedral omni capsules FLU, FRD, BLD, BRU at `radius_m` from the centre. */
  z.object({ kind: z.literal('tetra'), radius_m: sizeM('the tetrahedron radius') }),
  /** Planar square in the x-y plane, capsules counter-clockwise from front-left. */
  z.object({ kind: z.literal('square'), side_m: sizeM('the square side') }),
  /** Four omni capsules anywhere within 1 m of the centre (metres, x front, y left, z up). */
  z.object({ kind: z.literal('custom'), positions_m: z.array(PositionSchema).length(4, 'a 4-mic array needs exactly 4 capsule positions') })
    .superRefine((a, ctx) => {
      if (a.positions_m.length !== 4) return; // already reported by .length()
      for (const message of capsuleProblems(a.positions_m)) ctx.addIssue({ code: 'custom', message, path: ['positions_m'] });
    }),
]);
export type TrainArray = z.infer<typeof TrainArraySchema>;

/** Capsule positions (metres) of an omni array; null for FOA. Same layouts as trainer/s5trainer/rooms/arrays.py. */
export function arrayCapsules(a: TrainArray): Array<[number, number, number]> | null {
  switch (a.kind) {
    case 'foa':
      return null;
    case 'tetra': {
      const el = Math.atan(1 / Math.SQRT2);
      const dirs: Array<[number, number]> = [[45, el], [-45, -el], [135, -el], [-135, el]];
      return dirs.map(([azDeg, e]) => {
        const az = (azDeg * Math.PI) / 180;
        return [a.radius_m * Math.cos(e) * Math.cos(az), a.radius_m * Math.cos(e) * Math.sin(az), a.radius_m * Math.sin(e)];
      });
    }
    case 'square': {
      const h = a.side_m / 2;
      return [[h, h, 0], [-h, h, 0], [-h, -h, 0], [h, -h, 0]];
    }
    case 'custom':
      return a.positions_m.map((p) => [p[0], p[1], p[2]]);
  }
}

const num = (v: number) => String(Number(v.toFixed(6)));

/** The trainer's `--array` argument: foa | tetra:R | square:SIDE | geom:x1,y1,z1,...,x4,y4,z4 (metres). */
export function arraySpecArg(a: TrainArray): string {
  switch (a.kind) {
    case 'foa':
      return 'foa';
    case 'tetra':
      return `tetra:${num(a.radius_m)}`;
    case 'square':
      return `square:${num(a.side_m)}`;
    case 'custom':
      return `geom:${a.positions_m.flat().map(num).join(',')}`;
  }
}

/** A short name: "FOA", "tetrahedral 4-mic array", "square 4-mic array", "custom 4-mic array". */
export function arrayShortName(a: TrainArray): string {
  return a.kind === 'foa' ? 'FOA' : `${a.kind === 'tetra' ? 'tetrahedral' : a.kind} 4-mic array`;
}

/** One line for people (provenance, run list): "custom 4-mic array (mm: …)". */
export function describeArray(a: TrainArray): string {
  const mm = (v: number) => String(Number((v * 1000).toFixed(2)));
  switch (a.kind) {
    case 'foa':
      return 'first-order Ambisonics (ACN/SN3D)';
    case 'tetra':
      return `tetrahedral 4-mic omni array, radius ${mm(a.radius_m)} mm`;
    case 'square':
      return `square 4-mic omni array, side ${mm(a.side_m)} mm`;
    case 'custom':
      return `custom 4-mic omni array, capsules (x, y, z mm; x front, y left, z up) ${a.positions_m.map((p) => `(${p.map(mm).join(', ')})`).join(' ')}`;
  }
}

/** Size of a simulated bank built for an array (the default FOA bank is built outside the app). */
export const TrainBankSizeSchema = z.object({
  /** Rooms (every 10th is validation, the next test: at least 10). */
  rooms: z.number().int().min(10, 'a room bank needs at least 10 rooms (every 10th is a validation room)').max(2000).default(200),
  positions: z.number().int().min(2).max(64).default(16),
  max_seconds: z.number().min(0.1).max(4).default(2),
});

export const TrainRoomsSchema = z.discriminatedUnion('source', [
  /**
   * Simulated rooms: FOA uses the bank in `<data>/rooms/default` (`s5trainer rooms bank`); another
   * array gets its own bank, built once before the run into `<data>/rooms/array-<hash>`.
   */
  z.object({
    source: z.literal('simulated'),
    array: TrainArraySchema.default({ kind: 'foa' }),
    bank: TrainBankSizeSchema.default({ rooms: 200, positions: 16, max_seconds: 2 }),
  }),
  /** A folder of 4-channel impulse responses (WAV or SOFA), imported into the run before training. */
  z.object({ source: z.literal('folder'), path: PathSchema, format: z.enum(['acn-sn3d', 'acn-n3d', 'fuma']).default('acn-sn3d') }),
]);
export type TrainRooms = z.infer<typeof TrainRoomsSchema>;
export type TrainRoomsInput = z.input<typeof TrainRoomsSchema>;

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

/**
 * Architecture and recipe: tiny (set-up check), the fast small models, or 'm2dat': the official
 * M2D-AT tagger recipe (ViT-Base, 32 kHz, 10-s windows; a GPU recipe) — stage 1 trains the head
 * over the pretrained M2D encoder (base 'pretrained'), stage 2 the last 2 blocks from a stage-1
 * run or checkpoint (base 'run' / 'file').
 */
export const TrainModelSizeSchema = z.enum(['tiny', 'small-16k', 'small-32k', 'm2dat']);
export const TrainKindSchema = z.enum(['tagger', 'separator']);

export const TrainRequestSchema = z.object({
  /** Shown in the run list; also the start of the run id. */
  name: z.string().max(40).optional(),
  task: z.enum(TASKS).default('dcase2025t4'),
  /** What to train; 'both' makes two runs (tagger, then separator, queued). */
  target: z.enum(['tagger', 'separator', 'both']).default('separator'),
  /** Architecture size: tiny (smoke test, 8 kHz 1-s), small-16k, small-32k (the shipped defaults' recipes), m2dat (the official M2D-AT recipe). */
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
    /** The pretrained M2D encoder of the official M2D-AT recipe (size 'm2dat'); default path `<data>/pretrained/…`, checked before a run. */
    z.object({ from: z.literal('pretrained'), path: PathSchema.optional() }),
  ]).default({ from: 'scratch' }),
  data: TrainDataSchema,
  rooms: TrainRoomsSchema.default({ source: 'simulated', array: { kind: 'foa' }, bank: { rooms: 200, positions: 16, max_seconds: 2 } }),
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

/**
 * The pretrained M2D encoder of the official M2D-AT recipe, as the trainer's own check
 * (`s5trainer m2d-weights FILE --json`) found it, and whether the official-size M2D-AT can start
 * from it (12 blocks × 768, 311 position tokens).
 */
export const TrainPretrainedCheckSchema = z.object({
  ok: z.boolean(),
  /** The file checked. */
  file: z.string(),
  /** Where the app looks when no file is chosen: `<data>/pretrained/<official folder>/<file>`. */
  default_file: z.string(),
  /** The official download (a zip holding the folder). */
  url: z.string(),
  /** What is wrong and what is accepted (null when ok). */
  problem: z.string().nullable(),
  /** What the file holds (null when it could not be read as an M2D encoder). */
  encoder: z.object({
    depth: z.number().int(),
    dim: z.number().int(),
    tokens: z.number().int(),
    norm_stats: z.array(z.number()),
    norm_stats_default: z.boolean(),
  }).nullable(),
  warnings: z.array(z.string()),
});
export type TrainPretrainedCheck = z.infer<typeof TrainPretrainedCheckSchema>;

export const TRAIN_METHODS = {
  /** Finds a Python with torch and reports the trainer's doctor (device, GPUs, threads, disk). */
  trainDoctor: { input: z.object({}), output: TrainDoctorSchema },
  /** Sets the Python used for training (null = automatic) and answers the new doctor report. */
  trainSetPython: { input: z.object({ python: PathSchema.nullable() }), output: TrainDoctorSchema },
  /** Checks the data (with the rooms it will be rendered in: an array needs library or user clips). */
  trainCheckData: { input: z.object({ data: TrainDataSchema, task: z.enum(TASKS).default('dcase2025t4'), rooms: TrainRoomsSchema.optional() }), output: DataCheckSchema },
  /** Checks rooms: an IR folder's files, or a simulated array's geometry and whether its bank is built (`rate`: the run's model rate). */
  trainCheckRooms: { input: z.object({ rooms: TrainRoomsSchema, rate: z.number().int().min(1000).max(192000).optional() }), output: DataCheckSchema },
  /** Checks the official M2D-AT recipe's pretrained M2D encoder (`path`, else the default place) with the trainer's own check. */
  trainCheckPretrained: { input: z.object({ path: PathSchema.optional() }), output: TrainPretrainedCheckSchema },
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
