/**
 * Scene workflow end to end in headless Chromium through the web bridge, on the real engine and
 * the shipped models: open a demo scene → analyse → label chips equal the labels the CLI's
 * engine finds (computed here in-process, independently of the UI), at least one a true target of
 * the scene's metadata → stems' directions match the result → play through Tone.js and read the
 * output AnalyserNode (signal; solo of a stem; muting it gives silence) → export to a temp folder
 * and compare the WAV files with the engine's cached stems sample for sample.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InferenceHost } from '../../src/engine/inference/ort-client';
import { ModelRegistry } from '../../src/engine/models/registry';
import { Pipeline } from '../../src/engine/pipeline/pipeline';
import { SettingsStore } from '../../src/engine/settings/settings';
import type { S5Result } from '../../src/shared/result';
import { openByPath, readWavHeader, repoRoot, startHarness, type Harness } from './helpers';

const DEMO = path.join(repoRoot, 'resources/demo/soundscape/demo_000000.wav');
const META = JSON.parse(readFileSync(path.join(repoRoot, 'resources/demo/metadata.json'), 'utf8'));

let harness: Harness;
let tmp: string;
let expected: S5Result;

/** 16-bit or float WAV samples of channel 0, read here (not by the app). */
function wavSamples(file: string): Float64Array {
  const b = readFileSync(file);
  let off = 12;
  let bits = 0;
  let fmt = 0;
  let ch = 0;
  while (off + 8 <= b.length) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      fmt = b.readUInt16LE(off + 8);
      ch = b.readUInt16LE(off + 10);
      bits = b.readUInt16LE(off + 22);
      if (fmt === 0xfffe) fmt = b.readUInt16LE(off + 32);
    }
    if (id === 'data') {
      const n = Math.floor(size / (ch * bits / 8));
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const p = off + 8 + i * ch * (bits / 8);
        out[i] = fmt === 3 ? b.readFloatLE(p) : b.readInt16LE(p) / 32768;
      }
      return out;
    }
    off += 8 + size + (size & 1);
  }
  throw new Error(`${file}: no data`);
}

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-scene-analyse-'));
  // The expected labels and stems: the same engine functions the CLI uses, run here in-process.
  const registry = new ModelRegistry({ roots: [{ dir: path.join(repoRoot, 'models'), source: 'shipped' }], settings: new SettingsStore(path.join(tmp, 'settings.json')) });
  const inference = new InferenceHost({ threads: 1 });
  try {
    expected = await new Pipeline(registry, inference).separate({ path: DEMO, outDir: path.join(tmp, 'cli'), format: 'f32' });
  } finally {
    await inference.dispose();
  }
  harness = await startHarness();
}, 300_000);

afterAll(async () => {
  await harness?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Scene analysis, audition and export', () => {
  it('analyses a demo scene, shows its labels and stems, plays them and exports them', async () => {
    const { page, problems } = await harness.openPage();
    await openByPath(page, DEMO);

    await page.getByTestId('analyse').click();
    // Results as they come: the progress element shows, then chips appear.
    const chips = page.getByTestId('label-chip');
    await chips.first().waitFor({ timeout: 300_000 });
    await page.getByTestId('play').waitFor({ timeout: 300_000 });
    await expect.poll(() => page.getByTestId('play').isEnabled(), { timeout: 120_000 }).toBe(true);

    // Chips = the engine's labels computed independently, and each is a true target of the scene.
    const truth = META.mixtures.find((m: { name: string }) => m.name === 'demo_000000').events
      .filter((e: { role: string }) => e.role === 'target').map((e: { label: string }) => e.label);
    const shown = await chips.evaluateAll((els) => els.map((e) => ({ label: e.getAttribute('data-label'), confidence: Number(e.getAttribute('data-confidence')) })));
    expect(shown.map((c) => c.label).sort()).toEqual(expected.labels.map((l) => l.label).sort());
    // The shipped tagger's calibrated per-class thresholds (e.g. Blender 0.1) may add a class that is
    // not in the scene; at least one chip is a true target.
    expect(shown.some((c) => truth.includes(c.label))).toBe(true);
    for (const c of shown) {
      expect(c.confidence).toBeCloseTo(expected.labels.find((l) => l.label === c.label)!.confidence, 3);
    }
    // Timeline rows include every detected label.
    const rows = await page.getByTestId('label-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    for (const l of expected.labels) expect(rows).toContain(l.label);

    // Stems with their directions, as the engine measured them.
    const strips = page.getByTestId('stem-strip');
    expect(await strips.count()).toBe(expected.stems.length);
    for (const stem of expected.stems) {
      const strip = page.locator(`[data-testid="stem-strip"][data-name="${stem.name}"]`);
      expect(await strip.getAttribute('data-label')).toBe(stem.label);
      expect(Number(await strip.getAttribute('data-azimuth'))).toBeCloseTo(stem.direction!.azimuth_deg, 1);
      expect(Number(await strip.getAttribute('data-elevation'))).toBeCloseTo(stem.direction!.elevation_deg, 1);
    }

    // Listen to the sum of the stems, solo the first stem, loop the whole scene (shift-drag over
    // the waveform) so playback runs until paused however slowly a busy machine serves the checks
    // below (the clip is 10 s; the soloed stem may sound in only part of it), play: the output
    // carries signal and the transport advances.
    await page.getByTestId('listen-stems').check({ force: true });
    await strips.first().getByTestId('stem-solo').click();
    const canvas = await page.getByTestId('scene-canvas').first().boundingBox();
    if (!canvas) throw new Error('no scene canvas');
    await page.keyboard.down('Shift');
    await page.mouse.move(canvas.x + 1, canvas.y + canvas.height / 2);
    await page.mouse.down();
    await page.mouse.move(canvas.x + canvas.width - 1, canvas.y + canvas.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.keyboard.up('Shift');
    await page.getByTestId('loop-region').waitFor();
    await page.getByTestId('play').click();
    await page.getByTestId('pause').waitFor();
    const level = page.getByTestId('output-level');
    const rms = async () => Number(await level.getAttribute('data-rms'));
    await expect.poll(rms).toBeGreaterThan(1e-3);
    await expect.poll(async () => Number(await page.getByTestId('transport-time').getAttribute('data-position'))).toBeGreaterThan(0.2);
    // Muting the soloed stem silences the output.
    await strips.first().getByTestId('stem-mute').click();
    await expect.poll(rms).toBeLessThan(1e-5);
    await strips.first().getByTestId('stem-mute').click();
    await expect.poll(rms).toBeGreaterThan(1e-3);
    // The binaural FOA rendering (Omnitone) carries signal too.
    await page.getByTestId('listen-binaural').check({ force: true });
    await expect.poll(rms).toBeGreaterThan(1e-3);
    // Still playing (the loop held); the focused radio owns Space, so pause with the button.
    await page.getByTestId('pause').click();
    await page.getByTestId('play').waitFor();

    await page.screenshot({ path: path.join(repoRoot, 'test-results/scene-analysed.png'), fullPage: true });

    // Export every stem + labels as 16-bit WAV to a temp folder.
    const out = path.join(tmp, 'export');
    await page.getByTestId('export').click();
    await page.getByTestId('export-dir').fill(out);
    await page.getByTestId('export-format').selectOption('wav16');
    await page.getByTestId('export-confirm').click();
    await page.getByTestId('export-done').waitFor({ timeout: 120_000 });
    for (const stem of expected.stems) {
      const file = path.join(out, `${stem.name}.wav`);
      expect(existsSync(file)).toBe(true);
      const h = readWavHeader(file);
      const ref = wavSamples(path.join(expected.out_dir!, stem.file));
      expect(h).toMatchObject({ channels: 1, sampleRate: expected.output!.sample_rate, frames: ref.length, bitsPerSample: 16 });
      // 16-bit quantisation of the engine's float stem, sample for sample.
      const got = wavSamples(file);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - Math.max(-1, Math.min(32767 / 32768, ref[i]))));
      expect(worst).toBeLessThanOrEqual(1 / 32768 + 1e-9);
    }
    const labels = JSON.parse(readFileSync(path.join(out, 'labels.json'), 'utf8'));
    expect(labels.labels.map((l: { label: string }) => l.label)).toEqual(expected.labels.map((l) => l.label));
    expect(existsSync(path.join(out, 'labels.csv'))).toBe(true);

    // Exporting again asks before replacing.
    await page.getByTestId('export-confirm').click();
    await page.getByTestId('export-conflicts').waitFor({ timeout: 60_000 });
    await page.getByTestId('export-overwrite').click();
    await page.getByTestId('export-done').waitFor({ timeout: 120_000 });

    expect(problems).toEqual([]);
  });

  it('shows a specific error for a corrupt file and stays usable', async () => {
    const { page } = await harness.openPage();
    const bad = path.join(tmp, 'corrupt.wav');
    require('node:fs').writeFileSync(bad, Buffer.from('RIFF\x10\x00\x00\x00WAVEjunkjunkjunk', 'latin1'));
    await page.getByTestId('open-path').fill(bad);
    await page.getByTestId('open-button').click();
    const err = page.getByTestId('error');
    await err.waitFor({ timeout: 60_000 });
    expect(await err.innerText()).toMatch(/corrupt\.wav|fmt|data/i);
    await openByPath(page, DEMO);
    expect(await page.getByTestId('analyse').isEnabled()).toBe(true);
  });
});
