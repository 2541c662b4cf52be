/**
 * Encoding round trips: our WAV (16/24-bit PCM, float32) and FLAC (16/24-bit) files read by
 * libsndfile and checked against numpy's own quantisation of the same float data, `flac -t`
 * (stream and MD5 verification) for FLAC; atomic replacement and the clipping policy.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createAudioWriter, readAudio, writeAudio } from '../../../src/engine/audio';
import { buildWavHeader, parseWavHeader } from '../../../src/engine/audio/wav';
import type { WriteEncoding } from '../../../src/shared/audio';
import { f64Bytes, makeTmp, python } from './helpers';

const tmp = makeTmp('write');
afterAll(() => tmp.cleanup());

function testSignal(channels: number, frames: number): Float32Array[] {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1;
  return Array.from({ length: channels }, (_, c) => {
    const x = new Float32Array(frames);
    for (let i = 0; i < frames; i++) x[i] = 0.6 * Math.sin((2 * Math.PI * 300 * (c + 1) * i) / 48000) + 0.3 * rnd();
    x[0] = -1;
    x[1] = 1; // the largest code, not a clip
    x[2] = 1.5; // clipped
    x[3] = -2; // clipped
    return x;
  });
}

/** Python: read each written file with soundfile and compare with numpy's quantisation of the source. */
const CHECK = String.raw`
import json, sys, numpy as np, soundfile as sf
src_path, ch, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
x = np.fromfile(src_path, '<f8').reshape(ch, n).T
out = {}
for spec in sys.argv[4:]:
    f, bits = spec.split(':'); bits = int(bits)
    info = sf.info(f)
    if bits == 32:
        y = sf.read(f, dtype='float32', always_2d=True)[0]
        err = float(np.max(np.abs(y - x.astype(np.float32))))
    else:
        s = 2 ** (bits - 1)
        want = np.clip(np.floor(x * s + 0.5), -s, s - 1).astype(np.int64)
        got = sf.read(f, dtype='int32', always_2d=True)[0].astype(np.int64) >> (32 - bits)
        err = float(np.max(np.abs(got - want)))
    out[f] = dict(err=err, rate=info.samplerate, channels=info.channels, frames=info.frames, subtype=info.subtype, format=info.format)
print(json.dumps(out))
`;

describe('write: WAV and FLAC read back by libsndfile', () => {
  const data = testSignal(4, 10007);
  const cases: [WriteEncoding, number, string, string][] = [
    ['pcm16', 16, 'PCM_16', 'WAVEX'], // 4 channels: WAVE_FORMAT_EXTENSIBLE
    ['pcm24', 24, 'PCM_24', 'WAVEX'],
    ['float32', 32, 'FLOAT', 'WAVEX'],
    ['flac16', 16, 'PCM_16', 'FLAC'],
    ['flac24', 24, 'PCM_24', 'FLAC'],
  ];

  it('every encoding matches numpy quantisation exactly; the clip count is reported', async () => {
    const specs: string[] = [];
    for (const [enc, bits] of cases) {
      const file = path.join(tmp.dir, `out_${enc}.${enc.startsWith('flac') ? 'flac' : 'wav'}`);
      const rep = await writeAudio(file, data, 48000, enc);
      expect(rep.frames).toBe(10007);
      expect(rep.clippedSamples).toBe(enc === 'float32' ? 0 : 8); // x[2], x[3] in 4 channels
      specs.push(`${file}:${bits}`);
    }
    const src = path.join(tmp.dir, 'src.f64');
    writeFileSync(src, f64Bytes(data));
    const res = JSON.parse(python(CHECK, src, '4', '10007', ...specs)) as Record<string, { err: number; rate: number; channels: number; frames: number; subtype: string; format: string }>;
    for (const [enc, , subtype, format] of cases) {
      const r = Object.entries(res).find(([f]) => f.includes(`out_${enc}.`))![1];
      expect(r, enc).toMatchObject({ err: 0, rate: 48000, channels: 4, frames: 10007, subtype, format });
    }
  });

  it('FLAC output passes the reference decoder test (frames, CRCs and the patched MD5)', () => {
    for (const enc of ['flac16', 'flac24']) {
      execFileSync('flac', ['-t', '-s', path.join(tmp.dir, `out_${enc}.flac`)]);
    }
  });

  it('PCM and FLAC round-trip bit-exactly through our own reader and writer', async () => {
    for (const enc of ['pcm16', 'pcm24', 'flac16', 'flac24'] as const) {
      const a = await readAudio(path.join(tmp.dir, `out_${enc}.${enc.startsWith('flac') ? 'flac' : 'wav'}`));
      const again = path.join(tmp.dir, `again_${enc}.bin`);
      const rep = await writeAudio(again, a.data, a.sampleRate, enc);
      expect(rep.clippedSamples).toBe(0);
      const b = await readAudio(again);
      for (let c = 0; c < 4; c++) expect(b.data[c]).toEqual(a.data[c]);
    }
  });
});

describe('write: atomic replacement', () => {
  it('an aborted or failed write leaves the existing file untouched and no temporary file', async () => {
    const file = path.join(tmp.dir, 'keep.wav');
    writeFileSync(file, 'previous content');
    const w = await createAudioWriter(file, 2, 32000, 'pcm24');
    await w.write([new Float32Array(100), new Float32Array(100)]);
    await w.abort();
    expect(readFileSync(file, 'utf8')).toBe('previous content');

    const nan = new Float32Array(50);
    nan[17] = Number.NaN;
    await expect(writeAudio(file, [nan], 32000, 'float32')).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringContaining('frame 17') });
    expect(readFileSync(file, 'utf8')).toBe('previous content');
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.part'))).toEqual([]);

    await writeAudio(file, [new Float32Array([0.5, -0.5])], 32000, 'pcm16');
    const back = await readAudio(file);
    expect(Array.from(back.data[0])).toEqual([0.5, -0.5]);
  });

  it('a missing destination folder is a specific error', async () => {
    await expect(writeAudio(path.join(tmp.dir, 'no/such/dir/x.wav'), [new Float32Array(4)], 8000, 'pcm16'))
      .rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('folder does not exist') });
  });

  it('the temporary name is in the destination folder and hidden until renamed', async () => {
    const file = path.join(tmp.dir, 'visible.flac');
    const w = await createAudioWriter(file, 1, 16000, 'flac16');
    await w.write([new Float32Array(1000).fill(0.25)]);
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(tmp.dir).some((f) => f.startsWith('.visible.flac.') && f.endsWith('.part'))).toBe(true);
    await w.close();
    expect(existsSync(file)).toBe(true);
    expect(readdirSync(tmp.dir).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('mono/stereo 16-bit files get the plain PCM header, others WAVE_FORMAT_EXTENSIBLE', async () => {
    const specs = [];
    for (const [name, ch, enc] of [['m16', 1, 'pcm16'], ['s16', 2, 'pcm16'], ['s24', 2, 'pcm24'], ['mf', 1, 'float32']] as const) {
      const file = path.join(tmp.dir, `${name}.wav`);
      await writeAudio(file, Array.from({ length: ch }, () => new Float32Array([0.25, -0.5, 0.125])), 22050, enc);
      specs.push(file);
    }
    const fmts = JSON.parse(python('import sys, json, soundfile as sf; print(json.dumps([sf.info(f).format for f in sys.argv[1:]]))', ...specs));
    expect(fmts).toEqual(['WAV', 'WAV', 'WAVEX', 'WAVEX']);
    const back = await readAudio(specs[0]);
    expect(Array.from(back.data[0])).toEqual([0.25, -0.5, 0.125]);
  });

  it('float WAV is WAVE_FORMAT_EXTENSIBLE with the float GUID and a fact chunk, and SoX reads it without a warning', async () => {
    for (const ch of [1, 4]) {
      const file = path.join(tmp.dir, `float_${ch}.wav`);
      const x = Array.from({ length: ch }, (_, c) => new Float32Array(4000).map((_, i) => 0.5 * Math.sin((i * (c + 1)) / 20)));
      await writeAudio(file, x, 16000, 'float32');
      const b = readFileSync(file);
      // Walk the chunks independently of our reader.
      const chunks = new Map<string, number>();
      for (let off = 12; off + 8 <= b.length; off += 8 + b.readUInt32LE(off + 4) + (b.readUInt32LE(off + 4) & 1)) {
        chunks.set(b.toString('latin1', off, off + 4), off);
        if (b.toString('latin1', off, off + 4) === 'data') break;
      }
      const fmt = chunks.get('fmt ')!;
      expect(b.readUInt16LE(fmt + 8)).toBe(0xfffe); // WAVE_FORMAT_EXTENSIBLE
      expect(b.readUInt16LE(fmt + 24)).toBe(22); // cbSize
      expect(b.readUInt16LE(fmt + 32)).toBe(3); // sub-format GUID: IEEE float
      expect(b.readUInt32LE(chunks.get('fact')! + 8)).toBe(4000);
      // `sox --i` and `sox FILE -n stat` print no warning ("missing extended part of fmt chunk").
      const info = execFileSync('sox', ['--i', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(info).toMatch(new RegExp(`Channels\\s+: ${ch}`));
      const stat = execFileSync('sh', ['-c', `sox "${file}" -n stat 2>&1`], { encoding: 'utf8' });
      expect(stat).not.toMatch(/WARN|FAIL/);
      expect(Number(/RMS\s+amplitude:\s+([\d.]+)/.exec(stat)![1])).toBeCloseTo(0.3536, 2);
      const infoErr = execFileSync('sh', ['-c', `sox --i "${file}" 2>&1 >/dev/null`], { encoding: 'utf8' });
      expect(infoErr).toBe('');
    }
  });

  it('a header for more than 4 GiB of samples becomes RF64 (ds64) and parses back', async () => {
    const frames = 2 ** 28; // 4 ch × 4 bytes × 2^28 = 4 GiB
    const file = path.join(tmp.dir, 'big_header.wav');
    const header = buildWavHeader('float32', 4, 48000, frames);
    writeFileSync(file, Buffer.concat([header, Buffer.alloc(16 * 10)]));
    expect(header.toString('latin1', 0, 4)).toBe('RF64');
    const fh = await open(file, 'r');
    try {
      const layout = await parseWavHeader(fh, header.length + 160, file);
      expect(layout.container).toBe('rf64');
      expect(layout.frames).toBe(10); // clamped to what is present, with a warning
      expect(layout.warnings.join(' ')).toContain(`declares ${frames * 16} bytes`);
    } finally {
      await fh.close();
    }
  });
});
