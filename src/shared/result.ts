/**
 * The result of tagging / separating one recording (issue #5): recording-level labels with their
 * confidence, the per-window probability timeline, the written stems with their direction, the
 * models and execution provider used, and timings. The same schema is the `separate` / `tag` API
 * output and the `labels.json` file `s5 separate` writes next to the stems. Keys are snake_case
 * (it is a file format as much as an API value). Times are in seconds, angles in degrees.
 */
import { z } from './zod';
import { ChannelFormatSchema } from './audio';
import { S5_LABELS, TASKS } from './labels';

/** Stem file formats (CLI `--format`, API `format`) and the writer encoding each maps to. */
export const STEM_FORMATS = ['wav16', 'wav24', 'f32', 'flac'] as const;
export const StemFormatSchema = z.enum(STEM_FORMATS);
export type StemFormat = z.infer<typeof StemFormatSchema>;
export const STEM_FORMAT_ENCODING = {
  wav16: 'pcm16',
  wav24: 'pcm24',
  f32: 'float32',
  flac: 'flac24',
} as const satisfies Record<StemFormat, string>;
export const STEM_FORMAT_EXTENSION: Record<StemFormat, string> = { wav16: '.wav', wav24: '.wav', f32: '.wav', flac: '.flac' };

const LabelSchema = z.enum(S5_LABELS);

/** Where a label came from: the tagger, the user's query (`s5 separate --labels`, the Scene view's
 * "Separate another class…"; no tagger probability), or the verifier (a relabelled stem, or a class
 * found in accurate mode). Written only when not 'tagger' (absent = 'tagger'). */
export const LabelOriginSchema = z.enum(['tagger', 'user', 'verifier']);
export type LabelOrigin = z.infer<typeof LabelOriginSchema>;
/** Separation modes: 'fast' queries the tagger's labels; 'accurate' also queries the classes the
 * tagger missed and keeps the stems the verifier confirms (needs a verifier). */
export const SEPARATION_MODES = ['fast', 'accurate'] as const;
export const SeparationModeSchema = z.enum(SEPARATION_MODES);
export type SeparationMode = z.infer<typeof SeparationModeSchema>;

/** Direction of arrival: azimuth counter-clockwise from the front (+x) towards the left (+y),
 * elevation up from the horizontal plane; confidence = 1 − diffuseness of the stem's share of the
 * sound field (1: one plane wave; 0: no preferred direction). See docs/direction.md. */
export const DirectionSchema = z.object({
  azimuth_deg: z.number(),
  elevation_deg: z.number(),
  confidence: z.number().min(0).max(1),
});
export type Direction = z.infer<typeof DirectionSchema>;

/** Direction over one hop-long segment [start, end) of the recording (segments where the stem is silent are left out). */
export const DirectionSegmentSchema = DirectionSchema.extend({ start: z.number(), end: z.number() });

export const StemDirectionSchema = DirectionSchema.extend({ windows: z.array(DirectionSegmentSchema) });
export type StemDirection = z.infer<typeof StemDirectionSchema>;

export const StemSchema = z.object({
  label: LabelSchema,
  /** File name without extension: `<Label>`, or `<Label>_<n>` (n = 1, 2, …) when a 2026 model finds the label more than once. */
  name: z.string(),
  /** File name relative to the result's `out_dir`. */
  file: z.string(),
  /** Recording-level confidence of this label (the highest window probability that selected it;
   * 1 for a user-chosen label, origin 'user'; the verifier's score is `verifier_confidence`). */
  confidence: z.number().min(0).max(1),
  origin: LabelOriginSchema.optional(),
  /** The verifier's highest probability of this label on its stem (absent: not verified). */
  verifier_confidence: z.number().min(0).max(1).optional(),
  /** null when the input is not 4-channel FOA (no direction can be measured) or the stem is silent. */
  direction: StemDirectionSchema.nullable(),
  /** RMS level of the whole stem in dB re full scale; null for an all-zero stem. */
  rms_db: z.number().nullable(),
});
export type Stem = z.infer<typeof StemSchema>;

export const DetectedLabelSchema = z.object({
  label: LabelSchema,
  /** How many instances (2026 models may find one label twice; always 1 for 2025 models). */
  count: z.number().int().positive(),
  confidence: z.number().min(0).max(1),
  origin: LabelOriginSchema.optional(),
  verifier_confidence: z.number().min(0).max(1).optional(),
});
export type DetectedLabel = z.infer<typeof DetectedLabelSchema>;

export const TimelineEntrySchema = z.object({
  start: z.number().nonnegative(),
  end: z.number().nonnegative(),
  /** One probability per class, in the tagger manifest's label order (`timeline_labels`). For slot
   * taggers (2026) the highest slot probability of each class. */
  probs: z.array(z.number()),
  /** The labels this window's decision rule selected (slot order; duplicates possible in 2026). */
  labels: z.array(LabelSchema),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

export const ModelUseSchema = z.object({
  id: z.string(),
  name: z.string(),
  provider: z.string(),
  /** Why the preferred provider was not used (null when it was). */
  fallback_reason: z.string().nullable(),
  session_create_s: z.number().nonnegative(),
});
export const ModelsUsedSchema = z.object({
  /** The tagger resolved for the run (not run when the labels were the user's: see `labels[].origin`). */
  tagger: ModelUseSchema,
  separator: ModelUseSchema.nullable(),
  /** The stem verifier (absent or null: stems were not verified). */
  verifier: ModelUseSchema.nullable().optional(),
  threads: z.number().int().positive(),
});

/** What stem verification did to a recording (issue #13): per label, how many windows dropped or relabelled it. */
export const VerificationReportSchema = z.object({
  mode: SeparationModeSchema,
  /** Labels the verifier did not confirm, with the number of windows where their stem was dropped. */
  dropped: z.array(z.object({ label: LabelSchema, windows: z.number().int().positive() })),
  relabelled: z.array(z.object({ from: LabelSchema, to: LabelSchema, windows: z.number().int().positive() })),
  /** Model calls over the recording. */
  separator_runs: z.number().int().nonnegative(),
  verifier_runs: z.number().int().nonnegative(),
  /** Most separation passes any window needed (bounded by the verifier's max_passes). */
  max_passes: z.number().int().nonnegative(),
});
export type VerificationReport = z.infer<typeof VerificationReportSchema>;

export const TimingsSchema = z.object({
  total_s: z.number().nonnegative(),
  tag_s: z.number().nonnegative(),
  separate_s: z.number().nonnegative(),
  direction_s: z.number().nonnegative(),
  /** Stem verification (the verifier's runs; absent: none). */
  verify_s: z.number().nonnegative().optional(),
  /** Everything else: decoding, resampling, windowing, overlap-add, writing. */
  other_s: z.number().nonnegative(),
  /** total_s / recording duration (< 1 is faster than real time). */
  rtf: z.number().nonnegative(),
});

export const RecordingSchema = z.object({
  path: z.string(),
  name: z.string(),
  duration_s: z.number().nonnegative(),
  sample_rate: z.number().int().positive(),
  channels: z.number().int().positive(),
  channel_format: ChannelFormatSchema,
});

export const S5ResultSchema = z.object({
  schema_version: z.literal(1),
  task: z.enum(TASKS),
  recording: RecordingSchema,
  labels: z.array(DetectedLabelSchema),
  /** Model window and hop (50 % overlap) in seconds. */
  window_s: z.number().positive(),
  hop_s: z.number().positive(),
  timeline_labels: z.array(LabelSchema),
  timeline: z.array(TimelineEntrySchema),
  /** Empty for `tag`. */
  stems: z.array(StemSchema),
  /** Folder holding the stems, labels.json and labels.csv; null for `tag`. */
  out_dir: z.string().nullable(),
  output: z.object({ format: StemFormatSchema, sample_rate: z.number().int().positive() }).nullable(),
  models: ModelsUsedSchema,
  timings: TimingsSchema,
  /** Stem verification and the separation mode; absent or null when no verifier ran. */
  verification: VerificationReportSchema.nullable().optional(),
  warnings: z.array(z.string()),
});
export type S5Result = z.infer<typeof S5ResultSchema>;
