/**
 * Audio format vocabulary shared by engine, CLI and UI. Internal audio is planar float32
 * [channels][samples]; FOA is ACN order (W, Y, Z, X) with SN3D normalisation (DESIGN.md §6).
 */
import { z } from './zod';

export const CHANNEL_FORMATS = [
  'foa-acn-sn3d', 'foa-acn-n3d', 'foa-fuma', 'a-format-tetra', 'mono', 'other',
] as const;
export const ChannelFormatSchema = z.enum(CHANNEL_FORMATS);
export type ChannelFormat = z.infer<typeof ChannelFormatSchema>;

/** Human names for pickers and messages. */
export const CHANNEL_FORMAT_NAMES: Record<ChannelFormat, string> = {
  'foa-acn-sn3d': 'FOA ACN/SN3D (AmbiX)',
  'foa-acn-n3d': 'FOA ACN/N3D',
  'foa-fuma': 'FOA FuMa (traditional B-format, W X Y Z)',
  'a-format-tetra': 'Tetrahedral A-format (FLU, FRD, BLD, BRU)',
  mono: 'Mono',
  other: 'Other (not spatial)',
};

export const CONTAINERS = ['wav', 'rf64', 'flac', 'ogg', 'mp3'] as const;
export const ContainerSchema = z.enum(CONTAINERS);
export type Container = z.infer<typeof ContainerSchema>;

/** Sample encoding as found in the file. */
export const SampleEncodingSchema = z.enum([
  'pcm_u8', 'pcm_s16', 'pcm_s24', 'pcm_s32', 'float32', 'float64', 'flac', 'vorbis', 'mp3',
]);
export type SampleEncoding = z.infer<typeof SampleEncodingSchema>;

/** Encodings the writers produce. */
export const WRITE_ENCODINGS = ['pcm16', 'pcm24', 'float32', 'flac16', 'flac24'] as const;
export const WriteEncodingSchema = z.enum(WRITE_ENCODINGS);
export type WriteEncoding = z.infer<typeof WriteEncodingSchema>;

/**
 * The channel-format check of a 4-channel B-format file (docs/audio.md "Channel-format hint").
 * Normalisation: the diffuse-energy ratio (Y²+Z²+X²)/W² in 300–3000 Hz, ≈1 SN3D, ≈2 FuMa, ≈3 N3D
 * (spec-2026 §2.1) — reported only, since real arrays range from 1 to 4.4. Channel order (ACN
 * W Y Z X vs FuMa W X Y Z): measured only when one candidate height channel is far below the
 * other dipoles. `suggested` is set only when that measured order contradicts an assumed format;
 * a declared format is never questioned.
 */
export const FormatHintSchema = z.object({
  ratio: z.number(),
  /** Band energy of file channels 2, 3 and 4 in dB of their total (≥ −120). */
  dipoleDb: z.array(z.number()).length(3),
  /** The channel order a quiet height channel points to; null when it cannot be told. */
  order: z.enum(['acn', 'fuma']).nullable(),
  confidence: z.enum(['high', 'moderate']).nullable(),
  /** A format to offer in one click; null unless a measured order contradicts an assumed format. */
  suggested: ChannelFormatSchema.nullable(),
  /** false when the measured order contradicts the format in use. */
  agrees: z.boolean(),
  /** The ratio lies in the band of the format in use's normalisation. */
  ratioFits: z.boolean(),
  /** 'warning': measured contradiction; 'note': assumed, order unknown, ratio unusual; else 'ok'. */
  level: z.enum(['ok', 'note', 'warning']),
  message: z.string(),
});
export type FormatHint = z.infer<typeof FormatHintSchema>;

export const AudioInfoSchema = z.object({
  path: z.string(),
  container: ContainerSchema,
  encoding: SampleEncodingSchema,
  sampleRate: z.number().int().positive(),
  channels: z.number().int().positive(),
  frames: z.number().int().nonnegative(),
  durationSec: z.number().nonnegative(),
  bytes: z.number().int().nonnegative(),
  /** The format the engine will treat the file as (declared by the user, or assumed). */
  channelFormat: ChannelFormatSchema,
  /** true when the user declared the format; false when it was assumed. */
  channelFormatDeclared: z.boolean(),
  /** Only for 4-channel files. */
  formatHint: FormatHintSchema.nullable(),
  warnings: z.array(z.string()),
});
export type AudioInfo = z.infer<typeof AudioInfoSchema>;
