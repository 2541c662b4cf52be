/** Results of `s5 evaluate` (CLI `--json` and the API share these shapes). */
import { z } from './zod';
import { TASKS } from './labels';

export const EvaluateRequestSchema = z.object({
  task: z.enum(TASKS),
  soundscapes: z.string().min(1),
  oracle: z.string().min(1),
  estimates: z.string().min(1),
});
export type EvaluateRequest = z.infer<typeof EvaluateRequestSchema>;

/** Optional details shared by both tasks' per-mixture entries (silence removed, sorted, duplicates kept). */
const MixtureLabelsShape = {
  ref_labels: z.array(z.string()).optional(),
  est_labels: z.array(z.string()).optional(),
};
/** Optional run details shared by both results. */
const RunDetailsShape = {
  /** Number of mixtures (= soundscape files) evaluated. */
  mixtures: z.number().int().nonnegative().optional(),
  /** Non-fatal findings (ignored files, averaged multi-channel estimates, missing estimates…). */
  warnings: z.array(z.string()).optional(),
};

export const Evaluate2025Schema = z.object({
  task: z.literal('dcase2025t4'),
  /** dB, mean over mixtures. */
  ca_sdri: z.number(),
  /** Percent of mixtures whose estimated label set equals the reference label set. */
  label_accuracy: z.number(),
  per_mixture: z.record(
    z.string(),
    z.object({
      ca_sdri: z.number(),
      labels_correct: z.boolean(),
      /** Label-set counts: |TP|, |FP|, |FN|. */
      tp: z.number().int().optional(),
      fp: z.number().int().optional(),
      fn: z.number().int().optional(),
      ...MixtureLabelsShape,
    }),
  ),
  /**
   * Per class over all mixtures: mean SDRi (dB) of its matched estimates (null when never
   * matched), label counts |TP|, |FP|, |FN| and F1 of detection.
   */
  per_class: z
    .record(
      z.string(),
      z.object({ sdri: z.number().nullable(), tp: z.number().int(), fp: z.number().int(), fn: z.number().int(), f1: z.number() }),
    )
    .optional(),
  ...RunDetailsShape,
});
export const Evaluate2026Schema = z.object({
  task: z.literal('dcase2026t4'),
  /** dB; null when every mixture is empty-vs-empty (no value to average). */
  capi_sdri: z.number().nullable(),
  /** Percent of mixtures whose label multisets are equal (empty == empty counts as correct). */
  mixture_accuracy: z.number(),
  /** Percent, micro-averaged: 100·Σtp / (Σtp + Σfp + Σfn); 100 when there are no sources at all. */
  source_accuracy: z.number(),
  per_mixture: z.record(
    z.string(),
    z.object({
      capi_sdri: z.number().nullable(),
      labels_correct: z.boolean(),
      tp: z.number().int(),
      fp: z.number().int(),
      fn: z.number().int(),
      ...MixtureLabelsShape,
    }),
  ),
  /** Mixtures that entered the CAPI-SDRi mean (empty-vs-empty ones do not). */
  scored_mixtures: z.number().int().nonnegative().optional(),
  ...RunDetailsShape,
});
export const EvaluateResultSchema = z.discriminatedUnion('task', [Evaluate2025Schema, Evaluate2026Schema]);
export type Evaluate2025 = z.infer<typeof Evaluate2025Schema>;
export type Evaluate2026 = z.infer<typeof Evaluate2026Schema>;
export type EvaluateResult = z.infer<typeof EvaluateResultSchema>;
