/**
 * A real FOA recording analysed end to end in headless Chromium (web bridge, real engine, shipped
 * models): JSAmbisonics' "soundscape" B-format Ogg Vorbis, which its notes (realdata/*.txt) call
 * traditional W X Y Z with W at −3 dB — FuMa. The test declares FuMa with the override, analyses
 * to completion and checks the result against numbers computed here: every stem as long as the
 * recording at the model rate (length from the Ogg header, rate from the shipped manifests), a
 * direction on every stem shown in the UI equal to the exported labels.json, the recording read
 * as FuMa, a timeline covering the recording, and no console, page or CSP problems.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openByPath, readOggVorbisHeader, readWavHeader, realdata, repoRoot, startHarness, type Harness } from './helpers';

const SOUNDSCAPE = realdata('jsambisonics_BF_rec1_soundscape_wxyz_44k.ogg');
const NOTES = readFileSync(realdata('jsambisonics_BF_rec1_soundscape_wxyz_44k.txt'), 'utf8');
const MODEL_RATE = JSON.parse(readFileSync(path.join(repoRoot, 'models/s5-sep-small-16k-v2/manifest.json'), 'utf8')).sample_rate as number;

let harness: Harness;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-realdata-'));
  harness = await startHarness();
}, 120_000);

afterAll(async () => {
  await harness?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Scene: a real FuMa recording', () => {
  it('analyses with the FuMa override; stems, directions and timeline are consistent with the file', async () => {
    // The notes say traditional B-format (W X Y Z, W × 1/√2): FuMa at first order.
    expect(NOTES).toMatch(/traditional B-format W, X, Y, Z with W scaled by 1\/sqrt\(2\)/);
    const ogg = readOggVorbisHeader(SOUNDSCAPE);
    expect(ogg.channels).toBe(4);
    const expectedFrames = Math.round((ogg.frames * MODEL_RATE) / ogg.sampleRate);

    const { page, problems } = await harness.openPage();
    await openByPath(page, SOUNDSCAPE);
    await page.getByTestId('channel-format-select').selectOption('foa-fuma');
    await expect.poll(() => page.getByTestId('info-channel-format').innerText(), { timeout: 120_000 }).toContain('declared');
    await page.getByTestId('busy').waitFor({ state: 'detached', timeout: 120_000 });

    await page.getByTestId('analyse').click();
    await page.getByTestId('analysis-progress').waitFor();
    await page.getByTestId('play').waitFor({ timeout: 300_000 });
    await expect.poll(() => page.getByTestId('play').isEnabled(), { timeout: 120_000 }).toBe(true);

    // Export everything as float WAV at the model rate to read the stems back here.
    const out = path.join(tmp, 'export');
    await page.getByTestId('export').click();
    await page.getByTestId('export-dir').fill(out);
    await page.getByTestId('export-format').selectOption('f32');
    await page.getByTestId('export-rate').selectOption(String(MODEL_RATE));
    await page.getByTestId('export-confirm').click();
    await page.getByTestId('export-done').waitFor({ timeout: 120_000 });
    const result = JSON.parse(readFileSync(path.join(out, 'labels.json'), 'utf8'));

    expect(result.recording.channel_format).toBe('foa-fuma');
    expect(result.recording.sample_rate).toBe(ogg.sampleRate);
    expect(result.recording.duration_s).toBeCloseTo(ogg.durationSec, 2);
    expect(result.output.sample_rate).toBe(MODEL_RATE);

    // Every stem: as long as the recording at the model rate (± 1 frame of resampler rounding).
    expect(result.stems.length).toBeGreaterThan(0);
    for (const stem of result.stems) {
      const h = readWavHeader(path.join(out, stem.file));
      expect(h.channels).toBe(1);
      expect(h.sampleRate).toBe(MODEL_RATE);
      expect(Math.abs(h.frames - expectedFrames)).toBeLessThanOrEqual(1);
    }

    // Directions: every stem strip shows finite numbers in range, equal to the result's.
    const strips = await page.getByTestId('stem-strip').evaluateAll((els) =>
      els.map((e) => ({ name: e.getAttribute('data-name'), az: Number(e.getAttribute('data-azimuth')), el: Number(e.getAttribute('data-elevation')) })));
    expect(strips.map((s) => s.name).sort()).toEqual(result.stems.map((s: { name: string }) => s.name).sort());
    for (const s of strips) {
      const stem = result.stems.find((x: { name: string }) => x.name === s.name);
      expect(Number.isFinite(s.az) && s.az >= -180 && s.az <= 180).toBe(true);
      expect(Number.isFinite(s.el) && s.el >= -90 && s.el <= 90).toBe(true);
      expect(s.az).toBeCloseTo(stem.direction.azimuth_deg, 1);
      expect(s.el).toBeCloseTo(stem.direction.elevation_deg, 1);
    }

    // The timeline covers the whole recording, window after window.
    const tl = result.timeline as { start: number; end: number; probs: number[] }[];
    expect(tl.length).toBeGreaterThan(1);
    expect(tl[0].start).toBe(0);
    for (let i = 1; i < tl.length; i++) expect(tl[i].start).toBeGreaterThan(tl[i - 1].start);
    expect(tl[tl.length - 1].end).toBeGreaterThanOrEqual(ogg.durationSec - 1e-3);
    for (const e of tl) expect(e.probs.every((p) => p >= 0 && p <= 1)).toBe(true);
    // Chips = the result's labels.
    const chips = await page.getByTestId('label-chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    expect(chips.sort()).toEqual(result.labels.map((l: { label: string }) => l.label).sort());

    // Each label row carries its class's own decision threshold from the tagger's manifest.
    const tagger = JSON.parse(readFileSync(path.join(repoRoot, 'models', result.models.tagger.id, 'manifest.json'), 'utf8'));
    await page.getByTestId('export-close').click();
    await page.getByTestId('labels-show-all').check();
    const rows = await page.getByTestId('label-row').evaluateAll((els) => els.map((e) => [e.getAttribute('data-label'), Number(e.getAttribute('data-threshold'))] as const));
    expect(rows.length).toBe(tagger.labels.length);
    for (const [label, thr] of rows) expect(thr).toBe(tagger.decision.thresholds?.[label as string] ?? tagger.decision.threshold);

    await page.screenshot({ path: path.join(repoRoot, 'test-results/scene-realdata-fuma.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
