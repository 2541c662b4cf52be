/**
 * The CI-sized fuzz run (issue #9 item 2): fast-check properties of test/fuzz/ over the WAV parser,
 * the channel-format converter, model manifest validation, the ONNX graph reader and the
 * official-layout name parser — 14,000 cases in all, about 20 s on 2 cores.
 *
 * Longer local campaign: S5_FUZZ_SCALE=20 npx vitest run test/unit/corpus-fuzz.test.ts
 * (20 × the cases; S5_FUZZ_SEED=N replays a reported seed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, it } from 'vitest';
import { fuzzChannelConversion } from '../fuzz/channels.fuzz';
import { fuzzLayoutNames } from '../fuzz/layout.fuzz';
import { fuzzManifestValidation, fuzzOnnxReader } from '../fuzz/manifest.fuzz';
import { fuzzWavParser, fuzzWavRoundTrip } from '../fuzz/wav.fuzz';

const SCALE = Number(process.env.S5_FUZZ_SCALE ?? 1);
const SEED = process.env.S5_FUZZ_SEED === undefined ? undefined : Number(process.env.S5_FUZZ_SEED);
const runs = (n: number) => Math.round(n * SCALE);
const LONG = { timeout: 120_000 * SCALE };

const scratch = mkdtempSync(path.join(os.tmpdir(), 's5-fuzz-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('fuzzing', () => {
  it(`WAV parser: arbitrary and mutated files (${runs(3000)} cases)`, LONG, () => fuzzWavParser(path.join(scratch, 'f.wav'), runs(3000), SEED));
  it(`WAV parser: round trip of independently encoded samples (${runs(1500)} cases)`, LONG, () => fuzzWavRoundTrip(path.join(scratch, 'r.wav'), runs(1500), SEED));
  it(`channel-format converter (${runs(1500)} × 2 cases)`, LONG, () => fuzzChannelConversion(runs(1500), SEED));
  it(`manifest validation (${runs(1500)} cases)`, LONG, () => fuzzManifestValidation(scratch, runs(1500), SEED));
  it(`ONNX graph reader (${runs(2000)} cases)`, LONG, () => fuzzOnnxReader(scratch, runs(2000), SEED));
  it(`official-layout name parser (${runs(1000)} × 3 cases)`, LONG, () => fuzzLayoutNames(runs(1000), SEED));
});
