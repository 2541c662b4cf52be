/** Display formatting for the Scene view. Pure functions: no DOM, no state. */
import type { AudioInfo, ChannelFormat } from '../../shared/audio';

/** `m:ss.mmm` (minutes unbounded), e.g. 1.0912 s → "0:01.091", 3725.5 s → "62:05.500". */
export function formatDuration(seconds: number): string {
  const totalMs = Math.max(0, Math.round(seconds * 1000));
  const minutes = Math.floor(totalMs / 60_000);
  const secs = Math.floor((totalMs % 60_000) / 1000);
  const ms = totalMs % 1000;
  return `${minutes}:${String(secs).padStart(2, '0')}.${String(ms).padStart(3, '0')}`;
}

/** Wall time as `m:ss` (or `h:mm:ss` from an hour on), for elapsed times and ETAs. */
export function formatClock(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** A short wait or elapsed time: "12 s" (with `decimals`) under a minute, else `formatClock`. */
export function formatWait(seconds: number, decimals = 0): string {
  return seconds < 60 ? `${Math.max(0, seconds).toFixed(decimals)} s` : formatClock(seconds);
}

/** Seconds with three decimals, e.g. "1.091 s". */
export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(3)} s`;
}

/** 44100 → "44.1 kHz", 48000 → "48 kHz", 22050 → "22.05 kHz". */
export function formatRate(hz: number): string {
  if (hz < 1000) return `${hz} Hz`;
  return `${Number((hz / 1000).toFixed(3))} kHz`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

export function formatFrames(frames: number): string {
  return frames.toLocaleString('en-US');
}

const CONTAINER_NAMES: Record<AudioInfo['container'], string> = {
  wav: 'WAV',
  rf64: 'RF64',
  flac: 'FLAC',
  ogg: 'Ogg',
  mp3: 'MP3',
};

const ENCODING_NAMES: Record<AudioInfo['encoding'], string> = {
  pcm_u8: '8-bit PCM (unsigned)',
  pcm_s16: '16-bit PCM',
  pcm_s24: '24-bit PCM',
  pcm_s32: '32-bit PCM',
  float32: '32-bit float',
  float64: '64-bit float',
  flac: 'FLAC',
  vorbis: 'Vorbis',
  mp3: 'MPEG Layer III',
};

/** e.g. "WAV · 16-bit PCM", "Ogg · Vorbis". */
export function formatContainer(info: Pick<AudioInfo, 'container' | 'encoding'>): string {
  return `${CONTAINER_NAMES[info.container]} · ${ENCODING_NAMES[info.encoding]}`;
}

const FOA_FORMATS: readonly ChannelFormat[] = ['foa-acn-sn3d', 'foa-acn-n3d', 'foa-fuma', 'a-format-tetra'];

/** Compact names for buttons and badges. */
export const CHANNEL_FORMAT_SHORT: Record<ChannelFormat, string> = {
  'foa-acn-sn3d': 'ACN/SN3D',
  'foa-acn-n3d': 'ACN/N3D',
  'foa-fuma': 'FuMa',
  'a-format-tetra': 'A-format',
  mono: 'mono',
  other: 'other',
};

/** Labels in the channel-format picker: short enough for the side panel, still unambiguous. */
export const CHANNEL_FORMAT_OPTION: Record<ChannelFormat, string> = {
  'foa-acn-sn3d': 'FOA ACN/SN3D (AmbiX)',
  'foa-acn-n3d': 'FOA ACN/N3D',
  'foa-fuma': 'FOA FuMa (W X Y Z)',
  'a-format-tetra': 'Tetrahedral A-format',
  mono: 'Mono',
  other: 'Other',
};

/** The formats a 4-channel file may be declared as (the channel-format picker). */
export const DECLARABLE_FORMATS = FOA_FORMATS;

/**
 * Lane labels for the waveform. The overview is delivered after conversion to the internal
 * format, so any 4-channel spatial format shows as ACN W, Y, Z, X.
 */
export function channelLabels(channels: number, format: ChannelFormat): string[] {
  if (channels === 4 && FOA_FORMATS.includes(format)) return ['W', 'Y', 'Z', 'X'];
  if (channels === 1) return ['Mono'];
  return Array.from({ length: channels }, (_, i) => `Ch ${i + 1}`);
}

/** The last path segment, for either separator. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/** The folder part of a path (without the trailing separator); '' when there is none. */
export function dirName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i > 0 ? path.slice(0, i) : '';
}

/** Short descriptions under the lane labels: the pickup pattern of each ACN channel. */
export function channelCaptions(labels: readonly string[]): string[] {
  const captions: Record<string, string> = { W: 'omni', Y: 'left–right', Z: 'up–down', X: 'front–back' };
  return labels.map((l) => captions[l] ?? '');
}
