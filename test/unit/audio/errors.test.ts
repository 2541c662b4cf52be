/**
 * Bad input: each case gives a specific S5Error (code, file, what is wrong) or an explicit warning,
 * and never crashes. WAV files are built byte by byte here, so the expected samples are known
 * integers independent of any reader.
 */
import { mkdirSync, readFileSync, writeFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openAudio, openAudioStream, probeAudio, readAudio } from '../../../src/engine/audio';
import { fsError } from '../../../src/engine/audio/stream';
import { S5Error } from '../../../src/shared/errors';
import { fmtChunk, int16Data, makeTmp, python, riff } from './helpers';

const tmp = makeTmp('errors');
afterAll(() => tmp.cleanup());
const at = (name: string) => path.join(tmp.dir, name);

function put(name: string, bytes: Buffer | string): string {
  writeFileSync(at(name), bytes);
  return at(name);
}

async function failure(p: Promise<unknown>): Promise<S5Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(S5Error);
    return e as S5Error;
  }
  throw new Error('expected a failure');
}

const codes = [[0, 1000, -32768, 32767, 5], [7, -7, 100, -100, 0]];
const good = riff([['fmt ', fmtChunk(2, 16000, 16)], ['data', int16Data(codes)]]);

describe('bad input: specific errors', () => {
  it('a missing path is not_found; a folder and a non-regular path are bad_input', async () => {
    const e1 = await failure(readAudio(at('nope.wav')));
    expect(e1).toMatchObject({ code: 'not_found', file: at('nope.wav'), message: expect.stringContaining('no such file') });
    mkdirSync(at('folder.wav'));
    const e2 = await failure(openAudio({ path: at('folder.wav') }));
    expect(e2).toMatchObject({ code: 'bad_input', message: expect.stringContaining('is a folder') });
    const e3 = await failure(probeAudio('/dev/null'));
    expect(e3).toMatchObject({ code: 'bad_input', message: expect.stringContaining('not a regular file') });
  });

  it('permission errors map to bad_input naming the file (checked on the mapping: root reads anything)', () => {
    const err = Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
    expect(fsError(err, '/x/y.wav').toData()).toEqual({ code: 'bad_input', message: 'cannot be read (permission denied)', file: '/x/y.wav' });
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable file is bad_input (permission denied)', async () => {
    const f = put('locked.wav', good);
    chmodSync(f, 0o000);
    const e = await failure(readAudio(f));
    expect(e).toMatchObject({ code: 'bad_input', message: expect.stringContaining('permission denied') });
  });

  it('non-audio files renamed .wav say what they are and what is accepted', async () => {
    const cases: [string, Buffer | string, string][] = [
      ['notes.wav', 'These are my notes, not audio.\n', 'looks like text'],
      ['doc.wav', Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(100)]), 'PDF document'],
      ['pic.wav', Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(100)]), 'PNG image'],
      ['zeros.wav', Buffer.alloc(300), 'match no audio format'],
      ['empty.wav', Buffer.alloc(0), 'file is empty'],
    ];
    for (const [name, bytes, what] of cases) {
      const e = await failure(openAudio({ path: put(name, bytes) }));
      expect(e.code, name).toBe('bad_input');
      expect(e.file).toBe(at(name));
      expect(e.message, name).toContain(what);
      expect(e.message, name).toContain('accepted: WAV/RF64');
    }
  });

  it('known audio formats we do not read are unsupported, naming the codec', async () => {
    const { dir } = tmp;
    python(String.raw`
import sys, numpy as np, soundfile as sf
d = sys.argv[1]; x = np.zeros((800, 2))
sf.write(d + '/adpcm.wav', x, 8000, subtype='IMA_ADPCM')
sf.write(d + '/mulaw.wav', x, 8000, subtype='ULAW')
sf.write(d + '/song.aiff', x, 8000, subtype='PCM_16')
sf.write(d + '/voice.ogg', x, 48000, subtype='OPUS')
sf.write(d + '/w64.wav', x, 8000, format='W64', subtype='PCM_16')
`, dir);
    const expectations: [string, string, string][] = [
      ['adpcm.wav', 'unsupported', 'IMA ADPCM'],
      ['mulaw.wav', 'unsupported', 'µ-law'],
      ['song.aiff', 'unsupported', 'AIFF'],
      ['voice.ogg', 'unsupported', 'Opus'],
      ['w64.wav', 'bad_input', 'match no audio format'],
    ];
    for (const [name, code, what] of expectations) {
      const e = await failure(readAudio(at(name)));
      expect(e.code, name).toBe(code);
      expect(e.message, name).toContain(what);
    }
  });

  it('zero channels, zero rate, missing chunks and empty data are bad_input', async () => {
    const zeroCh = fmtChunk(2, 16000, 16);
    zeroCh.writeUInt16LE(0, 2);
    const zeroRate = fmtChunk(2, 16000, 16);
    zeroRate.writeUInt32LE(0, 4);
    const cases: [string, Buffer, string][] = [
      ['zero_channels.wav', riff([['fmt ', zeroCh], ['data', int16Data(codes)]]), 'declares 0 channels'],
      ['zero_rate.wav', riff([['fmt ', zeroRate], ['data', int16Data(codes)]]), 'sample rate of 0 Hz'],
      ['no_fmt.wav', riff([['data', int16Data(codes)]]), "no 'fmt ' chunk"],
      ['no_data.wav', riff([['fmt ', fmtChunk(2, 16000, 16)]]), "no 'data' chunk"],
      ['header_only.wav', good.subarray(0, 30), "'fmt ' chunk is cut off by the end of the file"],
      ['tiny.wav', good.subarray(0, 10), 'truncated'],
      ['zero_frames.wav', riff([['fmt ', fmtChunk(2, 16000, 16)], ['data', Buffer.alloc(0)]]), 'no audio frames'],
      ['short_fmt.wav', riff([['fmt ', fmtChunk(2, 16000, 16).subarray(0, 12)], ['data', int16Data(codes)]]), 'at least 16'],
    ];
    for (const [name, bytes, what] of cases) {
      const e = await failure(readAudio(put(name, bytes)));
      expect(e.code, name).toBe('bad_input');
      expect(e.file, name).toBe(at(name));
      expect(e.message, name).toContain(what);
    }
  });

  it('NaN / Inf samples are refused with the first bad frame and channel', async () => {
    const data = Buffer.alloc(4 * 3 * 100);
    for (let i = 0; i < 300; i++) data.writeFloatLE(0.1, i * 4);
    data.writeFloatLE(Number.POSITIVE_INFINITY, (57 * 3 + 2) * 4); // frame 57, channel 3
    data.writeFloatLE(Number.NaN, (80 * 3 + 0) * 4);
    const f = put('inf.wav', riff([['fmt ', fmtChunk(3, 8000, 32, 3)], ['data', data]]));
    const e = await failure(readAudio(f));
    expect(e).toMatchObject({ code: 'bad_input', file: f });
    expect(e.message).toContain('+Inf at frame 57');
    expect(e.message).toContain('channel 3');
    // with a block boundary in between, the position is still absolute
    const s = await openAudioStream(f, { blockFrames: 50 });
    const e2 = await failure((async () => { for await (const _ of s) { /* drain */ } })());
    expect(e2.message).toContain('frame 57');
  });

  it('impossible target rates are refused before decoding', async () => {
    const f = put('rate.wav', good); // 16 kHz
    await expect(readAudio(f, { targetRate: 16000 * 300 })).rejects.toMatchObject({ code: 'unsupported', message: expect.stringContaining('ratio beyond 1:256') });
    await expect(readAudio(f, { targetRate: 44100.5 })).rejects.toMatchObject({ code: 'invalid_request' });
  });

  it('a declared FOA format on a file without 4 channels is bad_input', async () => {
    const e = await failure(readAudio(put('stereo.wav', good), { channelFormat: 'foa-fuma' }));
    expect(e).toMatchObject({ code: 'bad_input', message: expect.stringContaining('needs 4 channels, the file has 2') });
  });
});

describe('bad input: explicit handling with warnings', () => {
  it('a WAV cut inside its data is read up to the last whole frame, with a warning', async () => {
    const f = put('cut.wav', good.subarray(0, good.length - 3)); // 5 frames of 4 bytes, 3 bytes short
    const r = await readAudio(f);
    expect(r.data[0].length).toBe(4);
    expect(Array.from(r.data[0])).toEqual(codes[0].slice(0, 4).map((v) => v / 32768));
    expect(r.info.warnings.join('\n')).toMatch(/data chunk declares 20 bytes but only 17 remain.*4 complete frames/);
  });

  it('a wrong RIFF size is a warning; a 0xFFFFFFFF data size reads to the end', async () => {
    const f = put('riffsize.wav', riff([['fmt ', fmtChunk(2, 16000, 16)], ['data', int16Data(codes)]], { riffSize: 999999 }));
    const r = await readAudio(f);
    expect(Array.from(r.data[1])).toEqual(codes[1].map((v) => v / 32768));
    expect(r.info.warnings.join('\n')).toContain('RIFF size field says 1000007 bytes');
    const streaming = Buffer.from(good);
    streaming.writeUInt32LE(0xffffffff, streaming.indexOf('data') + 4);
    const r2 = await readAudio(put('ffff.wav', streaming));
    expect(r2.data[0].length).toBe(5);
    expect(r2.info.warnings.join('\n')).toContain('placeholder 0xFFFFFFFF');
  });

  it('chunks in any order, odd-sized chunks padded, data size not a frame multiple', async () => {
    const odd = Buffer.from('odd!x'); // 5 bytes → 1 pad byte
    const data = Buffer.concat([int16Data(codes), Buffer.from([1, 2])]); // 2 stray bytes
    const f = put('order.wav', riff([['LIST', odd], ['data', data], ['cue ', Buffer.alloc(3)], ['fmt ', fmtChunk(2, 16000, 16)]]));
    const r = await readAudio(f);
    expect(r.info.frames).toBe(5);
    expect(Array.from(r.data[0])).toEqual(codes[0].map((v) => v / 32768));
    expect(r.info.warnings.join('\n')).toContain('not a multiple of the 4-byte frame');
  });

  it('a one-sample file is read (1 frame) and openAudio warns that it is very short', async () => {
    const f = put('one.wav', riff([['fmt ', fmtChunk(4, 48000, 16)], ['data', int16Data([[16384], [0], [0], [-16384]])]]));
    const r = await readAudio(f);
    expect(r.data.map((c) => Array.from(c))).toEqual([[0.5], [0], [0], [-0.5]]);
    const o = await openAudio({ path: f, overviewBuckets: 16 });
    expect(o.info.frames).toBe(1);
    expect(o.info.warnings.join('\n')).toContain('very short: 1 frame');
    expect(o.overview.max[0].every((v) => v === 0.5)).toBe(true);
    // resampling a single frame still yields one frame
    const rs = await readAudio(f, { targetRate: 32000 });
    expect(rs.data[0].length).toBe(1);
  });

  it('a 3-channel file is accepted with the spatial-models warning', async () => {
    const f = put('three.wav', riff([['fmt ', fmtChunk(3, 16000, 16)], ['data', int16Data([[1, 2], [3, 4], [5, 6]])]]));
    const o = await openAudio({ path: f });
    expect(o.info.channels).toBe(3);
    expect(o.info.channelFormat).toBe('other');
    expect(o.info.formatHint).toBeNull();
    expect(o.info.warnings).toContain('3 channels: spatial models expect 4 (FOA); direction and spatial separation are unavailable');
    expect(o.overview.min.length).toBe(3);
  });

  it('a truncated FLAC decodes what is there and says the file ended early', async () => {
    python(String.raw`
import sys, numpy as np, soundfile as sf
t = np.arange(48000) / 48000
sf.write(sys.argv[1], 0.5 * np.sin(2 * np.pi * 440 * t), 48000, subtype='PCM_16')
`, at('whole.flac'));
    const bytes = readFileSync(at('whole.flac'));
    const f = put('cut.flac', bytes.subarray(0, Math.floor(bytes.length / 2)));
    const r = await readAudio(f);
    expect(r.data[0].length).toBeGreaterThan(10000);
    expect(r.data[0].length).toBeLessThan(48000);
    expect(r.info.frames).toBe(r.data[0].length);
    expect(r.info.warnings.join('\n')).toContain('the file ended after');
  });

  it('an ID3 tag followed by garbage is not mistaken for MP3', async () => {
    const id3 = Buffer.from([0x49, 0x44, 0x33, 3, 0, 0, 0, 0, 0, 10, ...Buffer.alloc(10)]);
    const f = put('fake.mp3', Buffer.concat([id3, Buffer.from('just some text after the tag, no frames here at all')]));
    const e = await failure(readAudio(f));
    expect(e.code).toBe('bad_input');
  });
});
