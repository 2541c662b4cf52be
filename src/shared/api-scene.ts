/**
 * Scene workflow (issue #6): analysis for the UI, stem and mixture PCM, spectrograms, export — the
 * part of the one contract (api.ts) this workflow adds. api.ts spreads these tables into
 * S5_METHODS / S5_EVENTS, so names carry the `scene` prefix.
 *
 * An analysis (`sceneAnalyse`) separates a recording into a per-session cache folder in the
 * engine (float32 stems at the model rate, plus the FOA mixture converted to ACN/SN3D at the same
 * rate), so the UI can fetch PCM for playback (`sceneAudio`) and spectrogram magnitudes
 * (`sceneSpectrogram`) without decoding anything itself, and export any subset later
 * (`sceneExport`). While it runs, `sceneWindow` events carry each window's tagger probabilities.
 */
import { z } from './zod';
import { ChannelFormatSchema } from './audio';
import { S5_LABELS } from './labels';
import { S5ResultSchema, SeparationModeSchema, StemFormatSchema, TimelineEntrySchema } from './result';

const PathSchema = z.string().min(1).max(4096);
const JobIdSchema = z.string().min(1).max(128);
const AnalysisIdSchema = z.string().regex(/^[a-f0-9]{12}$/, 'an analysis id from sceneAnalyse');
/** A stem's `name` in the result (`<Label>` or `<Label>_<n>`). */
const StemNameSchema = z.string().regex(/^[A-Za-z]+(_\d+)?$/).max(64);

/** Most frames one `sceneAudio` call returns (about 4.4 min at 16 kHz); longer files come in pieces. */
export const SCENE_AUDIO_MAX_FRAMES = 1 << 22;

export const SceneAnalyseRequestSchema = z.object({
  path: PathSchema,
  channelFormat: ChannelFormatSchema.optional(),
  /** Model ids to use instead of the active ones (a tagger, a separator and/or a verifier). */
  models: z.array(z.string().min(1).max(64)).max(3).optional(),
  /** 'fast' (default): the tagger's classes; 'accurate': also the classes the tagger missed that the
   * verifier confirms (needs a verifier; several separator passes per window). */
  mode: SeparationModeSchema.optional(),
  /** Client-chosen id: `cancel({jobId})` stops the analysis; progress and `sceneWindow` events carry it. */
  jobId: JobIdSchema.optional(),
});
export type SceneAnalyseRequest = z.input<typeof SceneAnalyseRequestSchema>;

export const SceneAnalysisSchema = z.object({
  analysisId: AnalysisIdSchema,
  /** Rate of the cached stems and mixture (the models' rate). */
  rate: z.number().int().positive(),
  /** Length of every cached stem and of the cached mixture, in frames at `rate`. */
  frames: z.number().int().nonnegative(),
  /** Channels of the cached mixture (4 for FOA input, else the file's channels, at most 4). */
  mixtureChannels: z.number().int().positive(),
  /** The separation result; `out_dir` is the engine's cache folder, stems are float32 WAV there. */
  result: S5ResultSchema,
});
export type SceneAnalysis = z.infer<typeof SceneAnalysisSchema>;

export const SceneWindowEventSchema = z.object({
  job: z.string().optional(),
  index: z.number().int().nonnegative(),
  /** Expected window count (exact for WAV/FLAC). */
  total: z.number().int().positive(),
  timeline_labels: z.array(z.enum(S5_LABELS)),
  entry: TimelineEntrySchema,
});
export type SceneWindowEvent = z.infer<typeof SceneWindowEventSchema>;

/** What to read: the mixture (all its channels, ACN/SN3D) or one stem by its name. */
export const SceneSourceSchema = z.union([
  z.object({ kind: z.literal('mixture') }),
  z.object({ kind: z.literal('stem'), name: StemNameSchema }),
]);
export type SceneSource = z.infer<typeof SceneSourceSchema>;

export const SceneAudioRequestSchema = z.object({
  analysisId: AnalysisIdSchema,
  source: SceneSourceSchema,
  start: z.number().int().nonnegative().default(0),
  /** Omitted: to the end (at most SCENE_AUDIO_MAX_FRAMES). */
  frames: z.number().int().positive().max(SCENE_AUDIO_MAX_FRAMES).optional(),
});
export type SceneAudioRequest = z.input<typeof SceneAudioRequestSchema>;

export const SceneAudioSchema = z.object({
  rate: z.number().int().positive(),
  start: z.number().int().nonnegative(),
  /** Frames in this reply (`data[c].length`). */
  frames: z.number().int().nonnegative(),
  /** Frames in the whole source. */
  totalFrames: z.number().int().nonnegative(),
  /** Planar float32 samples. */
  data: z.array(z.instanceof(Float32Array)),
});
export type SceneAudio = z.infer<typeof SceneAudioSchema>;

export const SceneSpectrogramRequestSchema = z.object({
  analysisId: AnalysisIdSchema,
  source: SceneSourceSchema,
  /** FFT size (Hann window). */
  fftSize: z.union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048)]).default(512),
  /** Most columns wanted; the hop is chosen so the whole source fits (never below fftSize / 4). */
  maxColumns: z.number().int().min(16).max(8192).default(2048),
});
export type SceneSpectrogramRequest = z.input<typeof SceneSpectrogramRequestSchema>;

export const SceneSpectrogramSchema = z.object({
  rate: z.number().int().positive(),
  fftSize: z.number().int().positive(),
  /** Frames between column starts; column i covers [i·hop, i·hop + fftSize). */
  hop: z.number().int().positive(),
  columns: z.number().int().nonnegative(),
  /** fftSize / 2 + 1. */
  bins: z.number().int().positive(),
  /** Column-major magnitudes in dB re full-scale sine (a 0 dBFS sine peaks at 0 dB): `db[col * bins + bin]`.
   * Channel 0 (W) for the mixture. Floored at -120 dB. */
  db: z.instanceof(Float32Array),
});
export type SceneSpectrogram = z.infer<typeof SceneSpectrogramSchema>;

export const EXPORT_NAMINGS = ['label', 'dcase'] as const;

export const SceneExportRequestSchema = z.object({
  analysisId: AnalysisIdSchema,
  /** Folder the files go into (created when missing). */
  dir: PathSchema,
  format: StemFormatSchema.default('wav16'),
  /** Output rate in Hz (default: the analysis rate). */
  rate: z.number().int().min(8000).max(384000).optional(),
  /** Stem names to export (default all). */
  stems: z.array(StemNameSchema).max(64).optional(),
  labelsJson: z.boolean().default(true),
  labelsCsv: z.boolean().default(true),
  /** 'label': `<Label>.wav`; 'dcase': `<soundscape>_<Label>.wav` (the official estimate naming). */
  naming: z.enum(EXPORT_NAMINGS).default('label'),
  /** false: when any target file exists nothing is written and `conflicts` lists them. */
  overwrite: z.boolean().default(false),
  jobId: JobIdSchema.optional(),
});
export type SceneExportRequest = z.input<typeof SceneExportRequestSchema>;

export const SceneExportResultSchema = z.object({
  /** Absolute paths written (empty when refused for conflicts). */
  written: z.array(z.string()),
  /** Existing files that would be replaced (only when `overwrite` was false). */
  conflicts: z.array(z.string()),
  dir: z.string(),
});
export type SceneExportResult = z.infer<typeof SceneExportResultSchema>;

/** "Separate another class…": one more stem, for a class the analysis has no stem of. */
export const SceneAddStemRequestSchema = z.object({
  analysisId: AnalysisIdSchema,
  label: z.enum(S5_LABELS),
  /** Client-chosen id: `cancel({jobId})` stops it; progress events carry it. */
  jobId: JobIdSchema.optional(),
});
export type SceneAddStemRequest = z.input<typeof SceneAddStemRequestSchema>;

export const SceneRemoveStemRequestSchema = z.object({ analysisId: AnalysisIdSchema, name: StemNameSchema });

/** Batch queue: the audio files a path stands for (a file: itself; a folder: its audio files, sorted, not recursive). */
export const SceneListAudioRequestSchema = z.object({ path: PathSchema });
export const SceneListAudioResultSchema = z.object({ files: z.array(z.string()) });

export const SCENE_METHODS = {
  /** Tags and separates a recording into the engine's cache; cancellable with `cancel({jobId})`. */
  sceneAnalyse: { input: SceneAnalyseRequestSchema, output: SceneAnalysisSchema },
  /** PCM of the cached mixture or of one stem. */
  sceneAudio: { input: SceneAudioRequestSchema, output: SceneAudioSchema },
  /** Magnitude spectrogram (dB) of the cached mixture (W) or of one stem, computed in the engine. */
  sceneSpectrogram: { input: SceneSpectrogramRequestSchema, output: SceneSpectrogramSchema },
  /** Writes chosen stems (format, rate, naming) and label files to a folder, atomically. */
  sceneExport: { input: SceneExportRequestSchema, output: SceneExportResultSchema },
  /** Separates one more class over the cached mixture (the analysis's separator, that class alone):
   * the new stem (origin 'user', file, level, direction) joins the result, which is returned. */
  sceneAddStem: { input: SceneAddStemRequestSchema, output: SceneAnalysisSchema },
  /** Removes a stem from the analysis (and so from export); its class can be separated again with sceneAddStem. */
  sceneRemoveStem: { input: SceneRemoveStemRequestSchema, output: SceneAnalysisSchema },
  /** Forgets an analysis and deletes its cache folder. */
  sceneRelease: { input: z.object({ analysisId: AnalysisIdSchema }), output: z.object({ released: z.boolean() }) },
  /** Expands a file or folder path into absolute audio file paths (the CLI's input rules). */
  sceneListAudio: { input: SceneListAudioRequestSchema, output: SceneListAudioResultSchema },
} as const;

export const SCENE_EVENTS = {
  /** One window's tagger probabilities during `sceneAnalyse`. */
  sceneWindow: SceneWindowEventSchema,
} as const;
