/**
 * Decoding round trips: files written by libsndfile / sox / the reference `flac` encoder, in every
 * supported container and sample format, read by our decoders and compared sample by sample with
 * what soundfile (libsndfile → numpy float64) reads from the same file.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAudioStream, probeAudio, readAudio } from '../../../src/engine/audio';
import { generateFixtures, makeTmp, maxAbsDiff, readF64, type FixtureEntry } from './helpers';

const tmp = makeTmp('decode');
let manifest: FixtureEntry[] = [];
beforeAll(() => {
  manifest = generateFixtures(tmp.dir, 'all');
});
afterAll(() => tmp.cleanup());

/** Allowed |ours − numpy| per fixture: exact where float32 holds the value exactly. */
function tolerance(e: FixtureEntry): number {
  if (e.kind === 'ogg' || e.kind === 'mp3') return 1e-5; // same libvorbis / libmpg123 underneath, float paths differ
  if (e.subtype === 'PCM_32' || e.subtype === 'DOUBLE') return 2 ** -24; // float32 rounding of a wider value
  return 0;
}

const EXPECTED_ENCODING: Record<string, string> = {
  PCM_U8: 'pcm_u8', PCM_16: 'pcm_s16', PCM_24: 'pcm_s24', PCM_32: 'pcm_s32', FLOAT: 'float32', DOUBLE: 'float64',
};

describe('decode: every container and sample format against libsndfile', () => {
  it('generated the fixture set', () => {
    expect(manifest.length).toBeGreaterThanOrEqual(20);
  });

  it('reads each fixture sample-exactly (lossless) or within 1e-5 of libsndfile (lossy)', async () => {
    for (const e of manifest) {
      const file = path.join(tmp.dir, e.file);
      const ref = readF64(path.join(tmp.dir, (e.same_as ?? e.file) + '.f64'), e.channels, e.frames);
      const got = await readAudio(file);
      expect(got.sampleRate, e.file).toBe(e.rate);
      expect(got.data.length, e.file).toBe(e.channels);
      expect(got.data[0].length, e.file).toBe(e.frames);
      expect(got.info.frames, e.file).toBe(e.frames);
      for (let c = 0; c < e.channels; c++) {
        expect(maxAbsDiff(got.data[c], ref[c]), `${e.file} channel ${c}`).toBeLessThanOrEqual(tolerance(e));
      }
      const container = { wav: 'wav', wavex: 'wav', rifx: 'wav', rf64: 'rf64', flac: 'flac', ogg: 'ogg', mp3: 'mp3' }[e.kind];
      expect(got.info.container, e.file).toBe(container);
      if (e.kind === 'wav' || e.kind === 'wavex' || e.kind === 'rf64') expect(got.info.encoding, e.file).toBe(EXPECTED_ENCODING[e.subtype!]);
    }
  });

  it('streams in blocks of at most blockFrames that concatenate to the whole file', async () => {
    for (const name of ['wav_pcm_24.wav', 'rf64_float.wav', 'flac_pcm_24.flac', 'ogg_vorbis.ogg', 'mp3_stereo.mp3']) {
      const file = path.join(tmp.dir, name);
      const whole = await readAudio(file);
      const stream = await openAudioStream(file, { blockFrames: 1000 });
      let off = 0;
      for await (const block of stream) {
        expect(block[0].length).toBeLessThanOrEqual(1000);
        for (let c = 0; c < block.length; c++) {
          expect(maxAbsDiff(block[c], whole.data[c].subarray(off, off + block[c].length)), name).toBe(0);
        }
        off += block[0].length;
      }
      expect(off, name).toBe(whole.data[0].length);
      expect(stream.framesIn).toBe(off);
    }
  });

  it('probes headers without decoding: rate, channels, frames, encoding', async () => {
    const info = await probeAudio(path.join(tmp.dir, 'wavex_pcm_24.wav'));
    expect(info).toMatchObject({
      container: 'wav', encoding: 'pcm_s24', sampleRate: 48000, channels: 4, frames: 12000,
      channelFormat: 'foa-acn-sn3d', channelFormatDeclared: false, formatHint: null,
    });
    expect(info.durationSec).toBeCloseTo(0.25, 12);
    const flac = await probeAudio(path.join(tmp.dir, 'flac_ref.flac'));
    expect(flac).toMatchObject({ container: 'flac', sampleRate: 44100, channels: 2, frames: 30000, channelFormat: 'other' });
    const ogg = await probeAudio(path.join(tmp.dir, 'ogg_vorbis.ogg'));
    expect(ogg).toMatchObject({ container: 'ogg', encoding: 'vorbis', sampleRate: 48000, channels: 4, frames: 12000 });
    const mp3 = await probeAudio(path.join(tmp.dir, 'mp3_mono.mp3'));
    expect(mp3).toMatchObject({ container: 'mp3', encoding: 'mp3', sampleRate: 32000, channels: 1, channelFormat: 'mono' });
    // MP3 length comes from the Xing/LAME header: an estimate, close to the decoded count
    expect(Math.abs(mp3.frames - 44100)).toBeLessThan(1200);
  });

  it('detects the container by its bytes, not its extension', async () => {
    const { copyFileSync } = await import('node:fs');
    const disguised = path.join(tmp.dir, 'really_flac.wav');
    copyFileSync(path.join(tmp.dir, 'flac_pcm_16.flac'), disguised);
    const a = await readAudio(disguised);
    const b = await readAudio(path.join(tmp.dir, 'flac_pcm_16.flac'));
    expect(a.info.container).toBe('flac');
    expect(maxAbsDiff(a.data[2], b.data[2])).toBe(0);
  });
});
