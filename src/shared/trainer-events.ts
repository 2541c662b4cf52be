/**
 * The Python trainer's event protocol (trainer/PROTOCOL.md, version 1): one JSON object per line on
 * the trainer's stdout, discriminated by `event`. The engine's run manager parses every line with
 * `parseTrainerEvent`; keys are snake_case because the Python side writes them. Objects are not
 * strict: a newer trainer may add fields, which are dropped here, never rejected.
 */
import { z } from './zod';
import { S5_LABELS } from './labels';

export const TRAINER_PROTOCOL_VERSION = 1;

const Count = z.number().int().nonnegative();
const Num = z.number(); // JSON carries no NaN/Infinity: the trainer writes null instead
const NullableNum = Num.nullable();

const base = {
  v: z.literal(TRAINER_PROTOCOL_VERSION),
  time: z.iso.datetime({ offset: true }),
  run: z.string().min(1),
};

export const StartedEventSchema = z.object({
  event: z.literal('started'),
  ...base,
  config: z.record(z.string(), z.unknown()),
  device: z.string().min(1), // 'cpu' | 'cuda:0' ...
  world_size: z.number().int().positive(),
  params: z.object({ trainable: Count, total: Count }),
  kind: z.enum(['tagger', 'separator']),
  arch: z.string().min(1),
  step: Count, // first step of this process (> 0 when resumed)
  total: z.number().int().positive(),
  resumed: z.boolean(),
  torch: z.string(),
});

export const ProgressEventSchema = z.object({
  event: z.literal('progress'),
  ...base,
  step: Count,
  total: z.number().int().positive(),
  loss: Num, // mean over the steps since the previous progress event (and over ranks)
  lr: Num,
  samples_per_s: Num.nonnegative(),
  eta_s: Num.nonnegative(),
});

/** Per-class validation figures: `sdri`/`count` for separators, F1 and friends for label decisions. */
export const ClassMetricsSchema = z.object({
  sdri: Num.optional(),
  count: Count.optional(),
  f1: Num.optional(),
  precision: Num.optional(),
  recall: Num.optional(),
  support: Count.optional(),
});

export const ValidationEventSchema = z.object({
  event: z.literal('validation'),
  ...base,
  step: Count,
  best: z.boolean(),
  metric: z.enum(['ca_sdri', 'capi_sdri']), // 2025 CA-SDRi or 2026 CAPI-SDRi
  ca_sdri: NullableNum, // separator with oracle labels
  system_ca_sdri: NullableNum, // tagger + separator (validation.partner)
  label_accuracy: NullableNum, // percent
  loss: NullableNum,
  per_class: z.partialRecord(z.enum(S5_LABELS), ClassMetricsSchema),
  mixtures: Count,
});

export const CheckpointEventSchema = z.object({
  event: z.literal('checkpoint'),
  ...base,
  path: z.string().min(1),
  step: Count,
  kind: z.enum(['last', 'best']),
});

export const ExportedEventSchema = z.object({
  event: z.literal('exported'),
  ...base,
  dir: z.string().min(1),
});

export const FinishedEventSchema = z.object({
  event: z.literal('finished'),
  ...base,
  best_step: Count.nullable(),
  metrics: z.object({
    ca_sdri: NullableNum.optional(),
    system_ca_sdri: NullableNum.optional(),
    label_accuracy: NullableNum.optional(),
    loss: NullableNum.optional(),
    best_metric: z.string().nullable(),
    best_value: NullableNum,
  }),
  step: Count,
  checkpoint: z.string().min(1),
  best_checkpoint: z.string().nullable(),
  replica_fingerprints: z.array(z.string()).nullable(), // DDP: one weight hash per rank, all equal
});

export const CancelledEventSchema = z.object({
  event: z.literal('cancelled'),
  ...base,
  step: Count,
});

export const FailedEventSchema = z.object({
  event: z.literal('failed'),
  ...base,
  error: z.string(), // "<ExceptionType>: message"
  code: z.string(), // stable code, e.g. bad_config, data_error, device_unavailable, diverged, internal
  traceback: z.string(),
  step: Count.nullable(),
});

export const TrainerEventSchema = z.discriminatedUnion('event', [
  StartedEventSchema,
  ProgressEventSchema,
  ValidationEventSchema,
  CheckpointEventSchema,
  ExportedEventSchema,
  FinishedEventSchema,
  CancelledEventSchema,
  FailedEventSchema,
]);
export type TrainerEvent = z.infer<typeof TrainerEventSchema>;
export type TrainerEventName = TrainerEvent['event'];

/** Events after which the trainer process exits (0 for finished/cancelled, non-zero for failed). */
export const TERMINAL_TRAINER_EVENTS: readonly TrainerEventName[] = ['finished', 'cancelled', 'failed'];

/** Parse one stdout line; throws a ZodError (or SyntaxError for non-JSON) on anything else. */
export function parseTrainerEvent(line: string): TrainerEvent {
  return TrainerEventSchema.parse(JSON.parse(line));
}
