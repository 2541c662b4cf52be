/**
 * Container detection from the first bytes of a file (magic numbers), never from the extension.
 * Known audio containers we do not read are 'unsupported'; anything else is 'bad_input' with a
 * description of what the bytes look like, so "report.pdf renamed to .wav" says so.
 */
import type { Container } from '../../shared/audio';
import { S5Error } from '../../shared/errors';

export const ACCEPTED_FORMATS = 'WAV/RF64 (PCM 8–32-bit, float 32/64), FLAC, Ogg Vorbis, MP3';

/**
 * Sample rates a recording may have. Below 1 kHz or above 768 kHz a header is corrupt rather than
 * unusual (telephone audio is 8 kHz, DXD 352.8 kHz, the fastest converters 768 kHz), and such
 * rates break the band-limited analyses (the format hint's 300–3000 Hz band, resampling ratios).
 */
export const SAMPLE_RATE_RANGE = [1000, 768_000] as const;

/** What the header checks say is accepted. */
export const ACCEPTED_RATES = `accepted: ${SAMPLE_RATE_RANGE[0]}–${SAMPLE_RATE_RANGE[1]} Hz`;
export const ACCEPTED_CHANNELS = 'accepted: 1–256 channels';

/** Bytes `sniffContainer` wants to see (it copes with fewer). */
export const SNIFF_BYTES = 64;

function ascii(b: Uint8Array, off: number, len: number): string {
  return Buffer.from(b.subarray(off, off + len)).toString('latin1');
}

/** Length of an ID3v2 tag at the start, or 0. */
export function id3v2Length(b: Uint8Array): number {
  if (b.length < 10 || ascii(b, 0, 3) !== 'ID3') return 0;
  const size = ((b[6] & 0x7f) << 21) | ((b[7] & 0x7f) << 14) | ((b[8] & 0x7f) << 7) | (b[9] & 0x7f);
  const footer = (b[5] & 0x10) !== 0 ? 10 : 0;
  return 10 + size + footer;
}

/** True when the 4 bytes at `off` are a plausible MPEG-1/2/2.5 audio frame header. */
export function isMpegFrameHeader(b: Uint8Array, off: number): boolean {
  if (off + 4 > b.length) return false;
  if (b[off] !== 0xff || (b[off + 1] & 0xe0) !== 0xe0) return false;
  const version = (b[off + 1] >> 3) & 3; // 1 reserved
  const layer = (b[off + 1] >> 1) & 3; // 0 reserved
  const bitrate = (b[off + 2] >> 4) & 15; // 15 bad
  const rate = (b[off + 2] >> 2) & 3; // 3 reserved
  return version !== 1 && layer !== 0 && bitrate !== 15 && rate !== 3;
}

/**
 * True when every byte is printable ASCII, tab/CR/LF, or part of a well-formed UTF-8 sequence (a
 * sequence cut by the end of the window counts: the window is a prefix of the file).
 */
export function looksLikeText(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; ) {
    const c = b[i];
    if (c === 9 || c === 10 || c === 13 || (c >= 32 && c < 127)) {
      i++;
      continue;
    }
    const follow = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (follow < 0) return false;
    for (let k = 1; k <= follow; k++) {
      if (i + k >= b.length) return true;
      if ((b[i + k] & 0xc0) !== 0x80) return false;
    }
    i += follow + 1;
  }
  return b.length > 0;
}

function describe(b: Uint8Array): string {
  if (b.length === 0) return 'the file is empty';
  const a4 = ascii(b, 0, 4);
  if (a4 === '%PDF') return 'it is a PDF document';
  if (a4 === 'PK\x03\x04') return 'it is a ZIP archive (or a document stored as one)';
  if (a4 === '\x89PNG') return 'it is a PNG image';
  if (b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'it is a JPEG image';
  if (a4 === 'GIF8') return 'it is a GIF image';
  if (a4 === '\x7fELF') return 'it is an executable (ELF)';
  if (b[0] === 0x1f && b[1] === 0x8b) return 'it is gzip-compressed data';
  if (a4 === '\x89HDF') return 'it is an HDF5 file (SOFA impulse responses are HDF5: load them as impulse responses, not audio)';
  const n = Math.min(b.length, SNIFF_BYTES);
  if (looksLikeText(b.subarray(0, n))) {
    const head = Buffer.from(b.subarray(0, Math.min(n, 24))).toString('utf8').replace(/\s+/g, ' ');
    return `it looks like text (starts with ${JSON.stringify(head)})`;
  }
  const hex = Buffer.from(b.subarray(0, Math.min(b.length, 8))).toString('hex').replace(/(..)/g, '$1 ').trim();
  return `its first bytes are ${hex}, which match no audio format`;
}

/**
 * Identifies the container from the file's first bytes (`SNIFF_BYTES` of them, or fewer for a
 * short file). Throws a specific S5Error for anything we cannot read.
 */
export function sniffContainer(b: Uint8Array, file: string): Container {
  const a4 = ascii(b, 0, 4);
  if ((a4 === 'RIFF' || a4 === 'RIFX' || a4 === 'RF64' || a4 === 'BW64') && b.length >= 12) {
    const form = ascii(b, 8, 4);
    if (form === 'WAVE') return a4 === 'RF64' || a4 === 'BW64' ? 'rf64' : 'wav';
    throw new S5Error('unsupported', `RIFF container of type ${JSON.stringify(form)} is not audio we read; accepted: ${ACCEPTED_FORMATS}`, file);
  }
  if (a4 === 'RIFF' || a4 === 'RF64') {
    throw new S5Error('bad_input', `WAV file is truncated (${b.length} bytes, no complete header)`, file);
  }
  if (a4 === 'fLaC') return 'flac';
  if (a4 === 'OggS') {
    // The first page's first packet starts after the 27-byte page header and its segment table.
    const bodyAt = 27 + (b.length > 26 ? b[26] : 1);
    if (b.length < SNIFF_BYTES && b.length < bodyAt + 8) {
      throw new S5Error('bad_input', `Ogg file is truncated (${b.length} bytes, its first page is incomplete); accepted: ${ACCEPTED_FORMATS}`, file);
    }
    const body = ascii(b, bodyAt, 8);
    if (body.startsWith('\x01vorbis') || body.startsWith('\x7fFLAC')) return 'ogg';
    const codec = body.startsWith('OpusHead') ? 'Opus' : body.startsWith('Speex') ? 'Speex' : body.startsWith('\x80theora') ? 'Theora video' : 'an unknown codec';
    throw new S5Error('unsupported', `Ogg file containing ${codec} is not supported (Ogg is read with Vorbis or FLAC inside); accepted: ${ACCEPTED_FORMATS}`, file);
  }
  const id3 = id3v2Length(b);
  if (id3 > 0) {
    // The codec after an ID3 tag is checked by the caller once it has read past the tag.
    return 'mp3';
  }
  if (isMpegFrameHeader(b, 0)) return 'mp3';
  if (a4 === 'FORM' && b.length >= 12 && ascii(b, 8, 3) === 'AIF') {
    throw new S5Error('unsupported', `AIFF is not supported; accepted: ${ACCEPTED_FORMATS} (convert with e.g. \`sox in.aiff out.wav\`)`, file);
  }
  if (a4 === 'caff') throw new S5Error('unsupported', `Core Audio Format (CAF) is not supported; accepted: ${ACCEPTED_FORMATS}`, file);
  if (b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) {
    throw new S5Error('unsupported', `Matroska/WebM is not supported; accepted: ${ACCEPTED_FORMATS}`, file);
  }
  if (ascii(b, 4, 4) === 'ftyp') throw new S5Error('unsupported', `MP4/M4A (AAC/ALAC) is not supported; accepted: ${ACCEPTED_FORMATS}`, file);
  if (ascii(b, 0, 4) === '.snd') throw new S5Error('unsupported', `Sun/NeXT .au is not supported; accepted: ${ACCEPTED_FORMATS}`, file);
  if (ascii(b, 0, 4) === 'wvpk') throw new S5Error('unsupported', `WavPack is not supported; accepted: ${ACCEPTED_FORMATS}`, file);
  throw new S5Error('bad_input', `not an audio file: ${describe(b)}; accepted: ${ACCEPTED_FORMATS}`, file);
}
