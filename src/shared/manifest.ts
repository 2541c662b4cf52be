/**
 * Model manifest (DESIGN.md §3): every shipped or user model is `<id>/model.onnx` plus this
 * `manifest.json`. Written by the Python trainer, so keys are snake_case. The registry refuses a
 * model whose file hash, input/output names or shapes disagree with its manifest.
 */
import { z } from './zod';
import { ChannelFormatSchema } from './audio';
import { S5_LABELS, TASKS } from './labels';

/** A dimension is a fixed size or a symbolic name (e.g. "batch"). */
const DimSchema = z.union([z.number().int().positive(), z.string().min(1)]);

export const TensorSpecSchema = z.object({
  name: z.string().min(1),
  shape: z.array(DimSchema),
  dtype: z.enum(['float32', 'int64', 'bool']).default('float32'),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;

export const DecisionRuleSchema = z
  .object({
    /** The probability a class needs to be selected (every class without its own threshold). */
    threshold: z.number().min(0).max(1),
    /** Per-class thresholds (label → probability), e.g. tuned on a validation set by `s5 models calibrate`. */
    thresholds: z.partialRecord(z.enum(S5_LABELS), z.number().min(0).max(1)).optional(),
    min_events: z.number().int().min(0),
    max_events: z.number().int().min(1),
  })
  .refine((r) => r.min_events <= r.max_events, { message: 'min_events must not exceed max_events' });
export type DecisionRule = z.infer<typeof DecisionRuleSchema>;

/** The threshold the decision rule applies to `label`. */
export function classThreshold(rule: { threshold: number; thresholds?: Readonly<Partial<Record<string, number>>> | null }, label: string): number {
  return rule.thresholds?.[label] ?? rule.threshold;
}

/**
 * Stem verification (issue #13): thresholds of a verifier — a single-source classifier (a 1-channel
 * tagger, `channels: 1`, `channel_format: 'mono'`, output probabilities [batch, labels]) that checks
 * each separated stem. A manifest with this block is a verifier, not a mixture tagger.
 */
export const VerificationSchema = z
  .object({
    /** Probability a stem needs for its own label to be confirmed: per class, and `default` for the rest. */
    confirm: z.partialRecord(z.enum([...S5_LABELS, 'default']), z.number().min(0).max(1)).default({}),
    /** Probability of another class at which an unconfirmed stem is relabelled to that class (absent: never relabel). */
    relabel: z.number().min(0).max(1).optional(),
    /** Separator passes per window at most, the first included (re-separation with the corrected labels). */
    max_passes: z.number().int().min(1).max(8).default(2),
    /** Accurate mode: the classes queried beyond the tagger's picks are those with tagger probability ≥ this (0: every class). */
    candidate: z.number().min(0).max(1).default(0),
  });
export type Verification = z.infer<typeof VerificationSchema>;

/** Confirmation threshold of `label` (the class's own, else `default`, else 0.5). */
export function confirmThreshold(v: Pick<Verification, 'confirm'>, label: string): number {
  return (v.confirm as Partial<Record<string, number>>)[label] ?? v.confirm.default ?? 0.5;
}

export const ModelManifestSchema = z
  .object({
    schema_version: z.literal(1),
    id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lowercase letters, digits, . _ - (max 64)'),
    name: z.string().min(1),
    kind: z.enum(['tagger', 'separator']),
    task: z.enum(TASKS),
    architecture: z.string().min(1),
    labels: z.array(z.enum(S5_LABELS)).min(1).refine((a) => new Set(a).size === a.length, 'labels lists a class twice'),
    sample_rate: z.number().int().positive(),
    window_seconds: z.number().positive(),
    channels: z.number().int().positive(),
    channel_format: ChannelFormatSchema,
    /** Output slots of a separator (ResUNetK: 3; ResUNet: 1); taggers: max events. */
    slots: z.number().int().positive(),
    inputs: z.array(TensorSpecSchema).min(1),
    outputs: z.array(TensorSpecSchema).min(1),
    /** Taggers only. */
    decision: DecisionRuleSchema.optional(),
    /** Verifiers only (a tagger kind model that checks stems): see VerificationSchema. */
    verification: VerificationSchema.optional(),
    /** Level normalisation inside the graph: each input window is scaled to this W-channel RMS (dBFS)
     * before the model, and a separator scales its stems back, so results do not depend on the gain. */
    input_level_dbfs: z.number().optional(),
    onnx_file: z.string().default('model.onnx'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    params: z.number().int().nonnegative(),
    provenance: z.object({
      trainer_version: z.string(),
      created: z.string(),
      data: z.string(),
      steps: z.number().int().nonnegative().optional(),
      base_model: z.string().optional(),
    }),
    metrics: z.record(z.string(), z.number()).default({}),
    licence: z.string().min(1),
  })
  .refine((m) => m.kind !== 'tagger' || m.decision !== undefined, {
    message: 'a tagger needs a decision rule',
    path: ['decision'],
  })
  .refine((m) => Object.keys(m.decision?.thresholds ?? {}).every((l) => (m.labels as string[]).includes(l)), {
    message: "decision.thresholds names a class that is not in the model's labels",
    path: ['decision', 'thresholds'],
  })
  .refine((m) => m.verification === undefined || m.kind === 'tagger', {
    message: 'only a tagger-kind model (a stem classifier) can carry a verification block',
    path: ['verification'],
  })
  .refine((m) => Object.keys(m.verification?.confirm ?? {}).every((l) => l === 'default' || (m.labels as string[]).includes(l)), {
    message: "verification.confirm names a class that is not in the model's labels (or use 'default')",
    path: ['verification', 'confirm'],
  });

/** A verifier: a tagger-kind model with a `verification` block (it classifies single stems, not mixtures). */
export function isVerifier(m: Pick<ModelManifest, 'kind' | 'verification'>): boolean {
  return m.kind === 'tagger' && m.verification !== undefined;
}
export type ModelManifest = z.infer<typeof ModelManifestSchema>;
