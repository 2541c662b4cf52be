/** Results of `s5 evaluate` (CLI `--json` and the API share these shapes). */
import { z } from 'zod';
import { TASKS } from './labels';

export const EvaluateRequestSchema = z.object({
  task: z.enum(TASKS),
  soundscapes: z.string().min(1),
  oracle: z.string().min(1),
  estimates: z.string().min(1),
});
export type EvaluateRequest = z.infer<typeof EvaluateRequestSchema>;

export const Evaluate2025Schema = z.object({
  task: z.literal('dcase2025t4'),
  ca_sdri: z.number(),
  label_accuracy: z.number(),
  per_mixture: z.record(z.string(), z.object({ ca_sdri: z.number(), labels_correct: z.boolean() })),
});
export const Evaluate2026Schema = z.object({
  task: z.literal('dcase2026t4'),
  /** null when every mixture is empty-vs-empty (no value to average). */
  capi_sdri: z.number().nullable(),
  mixture_accuracy: z.number(),
  source_accuracy: z.number(),
  per_mixture: z.record(
    z.string(),
    z.object({
      capi_sdri: z.number().nullable(),
      labels_correct: z.boolean(),
      tp: z.number().int(),
      fp: z.number().int(),
      fn: z.number().int(),
    }),
  ),
});
export const EvaluateResultSchema = z.discriminatedUnion('task', [Evaluate2025Schema, Evaluate2026Schema]);
export type Evaluate2025 = z.infer<typeof Evaluate2025Schema>;
export type Evaluate2026 = z.infer<typeof Evaluate2026Schema>;
export type EvaluateResult = z.infer<typeof EvaluateResultSchema>;
