/** Fixtures shared by the engine-host and web-bridge tests. */
import { writeFileSync } from 'node:fs';

/**
 * Writes a 16-bit PCM WAV of `seconds` of a repeated ramp. Cheap to write (one period filled
 * repeatedly); a few hundred seconds take the engine far longer to read than a test's kill delay.
 */
export function writeRampWav(file: string, seconds: number, rate = 32_000, channels = 4): void {
  const frames = seconds * rate;
  const period = Buffer.alloc(8000 * channels * 2);
  for (let i = 0; i < period.length / 2; i += 1) period.writeInt16LE(((i * 7) % 20_000) - 10_000, i * 2);
  const data = Buffer.alloc(frames * channels * 2, period);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + data.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(rate, 24);
  h.writeUInt32LE(rate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36);
  h.writeUInt32LE(data.length, 40);
  writeFileSync(file, Buffer.concat([h, data]));
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
