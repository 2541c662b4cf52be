/**
 * The engine's audio I/O (pure Node, no electron): decode WAV/RF64/FLAC/Ogg Vorbis/MP3 (whole or
 * streamed in blocks), write WAV/FLAC via a temporary name + rename, resample with libsamplerate,
 * convert FuMa/N3D/A-format to the internal ACN/SN3D, and measure the channel-format hint.
 * See docs/audio.md for formats, matrices, and the error list.
 */
export {
  readAudio,
  openAudioStream,
  probeAudio,
  DEFAULT_BLOCK_FRAMES,
  type DecodedAudio,
  type AudioStream,
  type ReadOptions,
  type StreamOptions,
} from './stream';
export { writeAudio, createAudioWriter, type AudioWriter, type WriteReport } from './write';
export { createResampler, resample, outputLength, DEFAULT_QUALITY, type Resampler, type ResampleQuality } from './resample';
export {
  toAcnSn3d,
  convertFoaInto,
  formatHint,
  hintFromMeasurement,
  measurementOf,
  measureOrder,
  ratioFits,
  isFoaFormat,
  FormatHintMeter,
  FOA_FORMATS,
  HINT_BAND_HZ,
  HINT_MAX_SECONDS,
} from './channels';
export { openAudio, OverviewBuilder } from './open';
export { ACCEPTED_FORMATS } from './sniff';
