/**
 * Real PortAudio capture (naudiodon) through the ALSA file plugin: 4-channel capture devices that
 * read known raw files. The engine's capture source must hand back the file's frames exactly
 * (S16 and float, 32 and 48 kHz); device errors (unknown id, bad channel order) are specific (too few channels: test/unit/live/devices.test.ts, since ALSA's plug layer reports 128 channels for every device here) and
 * the engine keeps serving. HOME points at a temporary folder with its own .asoundrc, set before
 * PortAudio is first loaded in this process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeAlsaFileConfig, type FileDevice } from '../tools/live-audio-env';

const home = mkdtempSync(path.join(os.tmpdir(), 's5-live-alsa-'));
const FRAMES = 24000;

/** Deterministic, distinct content per channel: an LCG, scaled to full 16-bit range. */
function content(frames: number, channels: number): Int16Array {
  const out = new Int16Array(frames * channels);
  let s = 12345;
  for (let i = 0; i < out.length; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out[i] = ((s >>> 8) & 0xffff) - 32768;
  }
  return out;
}

const pcm = content(FRAMES, 4);
const devices: FileDevice[] = [];
for (const rate of [32000, 48000]) {
  const s16 = path.join(home, `in_${rate}_s16.raw`);
  writeFileSync(s16, Buffer.from(pcm.buffer));
  devices.push({ name: `cap${rate}s16`, raw: s16, format: 'S16_LE', rate, channels: 4 });
  const f32 = path.join(home, `in_${rate}_f32.raw`);
  writeFileSync(f32, Buffer.from(Float32Array.from(pcm, (v) => v / 32768 + 1e-7 * Math.sign(v)).buffer));
  devices.push({ name: `cap${rate}f32`, raw: f32, format: 'FLOAT_LE', rate, channels: 4 });
}
process.env.HOME = writeAlsaFileConfig(home, devices);

const { listDevices, listDevicesQuietly, PortAudioSource } = await import('../../src/engine/live/portaudio');
const { Engine } = await import('../../src/engine/engine');

afterAll(() => rmSync(home, { recursive: true, force: true }));

async function capture(deviceId: number, sampleRate: number, sampleFormat: 's16' | 'f32', frames: number): Promise<Float32Array[]> {
  const src = new PortAudioSource({ deviceId, sampleRate, sampleFormat, channels: 4, channelOrder: [0, 1, 2, 3], framesPerBuffer: 1024 });
  const got = Array.from({ length: 4 }, () => new Float32Array(frames));
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    void src.start(
      (block, k) => {
        const take = Math.min(k, frames - n);
        for (let c = 0; c < 4; c++) got[c].set(block[c].subarray(0, take), n);
        n += take;
        if (n >= frames) resolve();
      },
      (err) => (err ? reject(err) : resolve()),
    ).catch(reject);
  });
  await src.stop();
  return got;
}

function idOf(name: string): number {
  const d = listDevices().inputs.find((x) => x.name === name);
  if (!d) throw new Error(`ALSA device ${name} not listed: ${listDevices().inputs.map((x) => x.name).join(', ')}`);
  return d.id;
}

describe('PortAudio capture through the ALSA file plugin', () => {
  it('lists the configured devices with their host API and channel counts', () => {
    const list = listDevices();
    expect(list.error).toBeNull();
    const d = list.inputs.find((x) => x.name === 'cap48000s16');
    expect(d).toMatchObject({ hostApi: 'ALSA' });
    expect(d?.maxInputChannels).toBeGreaterThanOrEqual(4);
    expect(d?.defaultSampleRate).toBe(48000);
  });

  it('the quiet listing (a child process, ALSA lines dropped) finds the same devices', async () => {
    expect(await listDevicesQuietly()).toEqual(listDevices());
  });

  for (const dev of devices) {
    const fmt = dev.format === 'S16_LE' ? 's16' : 'f32';
    it(`captures ${dev.name} (${fmt}, ${dev.rate} Hz) bit-exactly, channel by channel`, async () => {
      const got = await capture(idOf(dev.name), dev.rate, fmt, FRAMES);
      for (let c = 0; c < 4; c++) {
        const want = Float32Array.from({ length: FRAMES }, (_, i) => {
          const v = pcm[i * 4 + c];
          return fmt === 's16' ? v / 32768 : Math.fround(v / 32768 + 1e-7 * Math.sign(v));
        });
        expect(got[c]).toEqual(want);
      }
    });
  }

  it('gives specific errors for an unknown device and a bad channel order, and the engine keeps serving', async () => {
    const engine = new Engine({ shell: 'inprocess', inference: { threads: 1 } });
    try {
      const start = (deviceId: number) => engine.dispatch('liveStart', { source: { kind: 'device', deviceId, sampleRate: 48000 }, output: { kind: 'none' } });
      const unknown = await start(9999);
      expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(JSON.stringify(unknown)).toMatch(/no audio device with id 9999; input devices are: .*cap48000s16/);
      const order = await engine.dispatch('liveStart', {
        source: { kind: 'device', deviceId: idOf('cap48000s16'), sampleRate: 48000, channelOrder: [0, 1, 2, 7] }, output: { kind: 'none' },
      });
      expect(order).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(JSON.stringify(order)).toMatch(/channel order names channel 8, but only 4 channels are opened/);
      const devicesReply = await engine.dispatch('liveDevices', {});
      expect(devicesReply.ok).toBe(true);
    } finally {
      await engine.dispose();
    }
  });
});
