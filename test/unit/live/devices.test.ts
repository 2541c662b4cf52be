/**
 * Device checks and PortAudio error wording: a device with fewer than 4 input channels, a channel
 * order naming a channel that is not opened, and PortAudio's own failures (rate, channels, busy)
 * each become a specific message. (Real devices here all report 128 channels through ALSA's plug
 * layer, so the channel-count rule is checked on a described device.)
 */
import { describe, expect, it } from 'vitest';
import { checkCapture, deviceError, type PaDevice } from '../../../src/engine/live/portaudio';

const stereo: PaDevice = { id: 3, name: 'USB headset', maxInputChannels: 2, maxOutputChannels: 2, defaultSampleRate: 48000, hostAPIName: 'ALSA' };
const eight: PaDevice = { ...stereo, id: 4, name: 'Array', maxInputChannels: 8 };

describe('capture checks', () => {
  it('refuses a device with fewer than 4 input channels, naming it', () => {
    expect(() => checkCapture(stereo, { channels: 4, channelOrder: [0, 1, 2, 3] })).toThrow("device 3 'USB headset' has 2 input channels; live monitoring needs at least 4");
  });
  it('refuses more channels than the device has and a channel order outside the opened channels', () => {
    expect(() => checkCapture(eight, { channels: 16, channelOrder: [0, 1, 2, 3] })).toThrow('has 8 input channels; 16 were asked for');
    expect(() => checkCapture(eight, { channels: 4, channelOrder: [0, 1, 2, 5] })).toThrow('channel order names channel 6, but only 4 channels are opened');
    expect(() => checkCapture(eight, { channels: 8, channelOrder: [4, 5, 6, 7] })).not.toThrow();
  });
  it('words PortAudio failures by cause', () => {
    const what = { channels: 4, sampleRate: 44100, format: 'float32' };
    expect(deviceError(new Error('Invalid sample rate'), eight, what)).toMatchObject({ code: 'unsupported', message: expect.stringMatching(/does not support 44100 Hz \(its default rate is 48000 Hz\)/) });
    expect(deviceError(new Error('Device unavailable'), eight, what).message).toMatch(/is busy or unavailable/);
    expect(deviceError(new Error('Invalid number of channels'), eight, what).message).toMatch(/cannot open 4 channels/);
  });
});
