/**
 * The Scene view and its export dialog laid out at 1440×900 and 1024×700 (issue #16), through the
 * real web bridge, engine and shipped models: no two visible texts overlap, nothing sticks out
 * sideways of its panel, placeholders and selected options fit (test/e2e/layout-check.ts); a
 * screenshot of each state goes to test-results/layout/ for review. Also what the walkthrough
 * found: the channel-format hint offers no reorder it cannot measure (the FuMa big-band file),
 * the waveform/spectrogram have a time ruler and a frequency axis, the label rows and stem strips
 * share the canvas's time axis through zoom, a short clip's label rows show its stems' activity
 * in 0.25-s cells across the clip (the tagger has one window there),
 * the export dialog offers the recording's own rate with the label files apart from the stems,
 * and a 256-frame file draws as a connected waveform.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudio } from '../../src/engine/audio';
import { openByPath, readOggVorbisHeader, readWavHeader, realdata, repoRoot, startHarness, type Harness } from './helpers';
import { LAYOUT_SIZES, layoutProblems } from './layout-check';

const BIGBAND = realdata('jsambisonics_BF_rec2_bigband_wxyz_44k.ogg');
const SHORT = path.join(repoRoot, 'resources/demo/soundscape/demo_000000.wav');
const SHOTS = path.join(repoRoot, 'test-results/layout');

let harness: Harness;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-layout-scene-'));
  mkdirSync(SHOTS, { recursive: true });
  harness = await startHarness();
}, 120_000);

afterAll(async () => {
  await harness?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Layout check and screenshot at both sizes; the page is left at the first size. */
async function checkLayout(page: Page, name: string): Promise<void> {
  for (const size of [...LAYOUT_SIZES].reverse()) {
    await page.setViewportSize(size);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(await layoutProblems(page), `${name} at ${size.width}×${size.height}`).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${size.width}x${size.height}.png`) });
  }
}

/** Left edge and width of an element, CSS px. */
async function xRange(page: Page, selector: string): Promise<{ x: number; w: number }[]> {
  return page.locator(selector).evaluateAll((els) => els.map((e) => {
    const r = e.getBoundingClientRect();
    return { x: r.left, w: r.width };
  }));
}

describe('Scene layout', () => {
  it('the check itself finds an overlap, a sideways overflow and a cut placeholder', async () => {
    const { page } = await harness.openPage();
    await page.setViewportSize(LAYOUT_SIZES[0]);
    await page.evaluate(() => {
      const t = document.createElement('div');
      t.textContent = 'OVERLAPPING TEXT';
      t.style.cssText = 'position:fixed;left:0;top:0;z-index:9';
      const wide = document.createElement('div');
      wide.style.cssText = 'width:4000px;height:10px;flex:none';
      const field = document.createElement('input');
      field.placeholder = 'a placeholder far too long for a field this narrow';
      field.style.width = '60px';
      document.querySelector('[data-testid="open-path"]')?.parentElement?.append(t, wide, field);
    });
    const found = await layoutProblems(page);
    expect(found.some((p) => p.startsWith('overlap:') && p.includes('OVERLAPPING TEXT'))).toBe(true);
    expect(found.some((p) => p.startsWith('overflow:'))).toBe(true);
    expect(found.some((p) => p.startsWith('cut:') && p.includes('far too long'))).toBe(true);
  });

  it('a long FuMa recording: no reorder offered, rulers, lanes on one time axis through zoom; the export dialog fits and offers the native rate', async () => {
    const { page, problems } = await harness.openPage();
    await page.setViewportSize(LAYOUT_SIZES[0]);
    const ogg = readOggVorbisHeader(BIGBAND);
    await openByPath(page, BIGBAND);
    // Ratio 2.94 but no quiet height channel: the order is not measured, so nothing is offered.
    const hint = page.getByTestId('info-format-hint');
    expect(await hint.getAttribute('data-level')).toBe('note');
    expect(await hint.getAttribute('data-order')).toBe('');
    expect(await page.getByTestId('apply-format-hint').count()).toBe(0);
    expect(await page.getByTestId('format-hint-order').innerText()).toContain('cannot be told');
    await checkLayout(page, 'scene-long-open');
    // Declared FuMa: the check steps aside.
    await page.getByTestId('channel-format-select').selectOption('foa-fuma');
    await expect.poll(() => hint.getAttribute('data-level'), { timeout: 60_000 }).toBe('ok');
    await page.getByTestId('busy').waitFor({ state: 'detached', timeout: 60_000 });
    expect(await page.getByTestId('format-hint-declared').innerText()).toContain('FuMa');

    await page.getByTestId('analyse').click();
    await page.getByTestId('play').waitFor({ timeout: 300_000 });
    await expect.poll(() => page.getByTestId('play').isEnabled(), { timeout: 120_000 }).toBe(true);
    await page.locator('[data-testid="stem-strip"] canvas').first().waitFor();

    // Rulers: time ticks from 0 s under the canvas; a frequency axis up to the models' Nyquist.
    const ticks = await page.getByTestId('time-ruler').locator('.tick').allInnerTexts();
    expect(ticks[0]).toBe('0 s');
    expect(ticks.length).toBeGreaterThanOrEqual(3);
    const freq = await page.locator('.freq').allInnerTexts();
    expect(freq[0]).toBe('0');
    expect(freq[freq.length - 1]).toMatch(/^\d+(\.\d+)? kHz$/);

    // The label rows' strips and the stem waveforms span exactly the canvas's plot.
    const aligned = async () => {
      const [canvas] = await xRange(page, '[data-testid="scene-canvas"]');
      const lanes = [...(await xRange(page, '[data-testid="label-row"] .strip')), ...(await xRange(page, '[data-testid="stem-strip"] canvas'))];
      expect(lanes.length).toBeGreaterThan(2);
      for (const l of lanes) {
        expect(Math.abs(l.x - canvas.x)).toBeLessThanOrEqual(1.5);
        expect(Math.abs(l.w - canvas.w)).toBeLessThanOrEqual(2);
      }
    };
    await aligned();
    // Chips, rows (detected ones) and strips in one class order.
    const chips = await page.getByTestId('label-chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    const strips = await page.getByTestId('stem-strip').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    const rows = await page.getByTestId('label-row').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    expect(strips).toEqual(chips);
    expect(rows.slice(0, chips.length)).toEqual(chips);
    await checkLayout(page, 'scene-long');

    // Zoom in twice: the ruler counts in finer steps, the lanes stay on the canvas's axis.
    await page.keyboard.press('+');
    await page.keyboard.press('+');
    await expect.poll(async () => Number((await page.locator('.zoom').innerText()).split(' ')[0])).toBeLessThan(6);
    const zoomed = await page.getByTestId('time-ruler').locator('.tick').allInnerTexts();
    expect(zoomed.join(' ')).not.toEqual(ticks.join(' '));
    await aligned();
    await checkLayout(page, 'scene-long-zoomed');

    // Export dialog: the recording's own rate beside the models'; label files apart from the stems.
    await page.getByTestId('export').click();
    const rates = await page.getByTestId('export-rate').locator('option').evaluateAll((els) =>
      els.map((e) => ({ value: Number((e as HTMLOptionElement).value), note: e.getAttribute('data-note'), text: e.textContent })));
    const native = rates.find((r) => r.value === ogg.sampleRate);
    expect(native?.note).toContain('recording');
    expect(native?.text).toContain('(recording)');
    expect(rates.some((r) => r.note?.includes('model'))).toBe(true);
    const labelsBox = page.locator('fieldset', { hasText: 'Labels' });
    expect(await labelsBox.getByTestId('export-labels-json').count()).toBe(1);
    expect(await labelsBox.getByTestId('export-stem').count()).toBe(0);
    await page.getByTestId('export-naming').selectOption('dcase');
    await checkLayout(page, 'export-dialog');
    await page.getByTestId('export-close').click();
    expect(problems).toEqual([]);
  });

  it('a short clip: label rows in 0.25-s activity cells across the clip; a 256-frame file draws as a connected waveform', async () => {
    const { page, problems } = await harness.openPage();
    await page.setViewportSize(LAYOUT_SIZES[0]);
    const wav = readWavHeader(SHORT);
    expect(wav.durationSec).toBeLessThan(10); // shorter than the tagger's window
    await openByPath(page, SHORT);
    await page.getByTestId('analyse').click();
    await page.getByTestId('play').waitFor({ timeout: 300_000 });
    await expect.poll(() => page.getByTestId('play').isEnabled(), { timeout: 120_000 }).toBe(true);
    const rows = page.getByTestId('label-row');
    expect(await rows.count()).toBeGreaterThan(0);
    // The tagger has one window over the clip; each detected class (it has a stem) is drawn in
    // 0.25-s cells of its activity: ceil(4.5 / 0.25) = 18, full height, tiling the strip.
    const detected = await page.getByTestId('label-chip').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    expect(detected.length).toBeGreaterThan(0);
    const expectedCells = Math.ceil(wav.durationSec / 0.25 - 1e-9);
    const probs: number[][] = [];
    for (const label of detected) {
      const row = page.locator(`[data-testid="label-row"][data-label="${label}"]`);
      expect(await row.getAttribute('data-resolution')).toBe('0.25');
      const cells = await row.evaluate((el) => {
        const strip = el.querySelector('.strip')!.getBoundingClientRect();
        return Array.from(el.querySelectorAll('.cell')).map((c) => {
          const r = c.getBoundingClientRect();
          return { left: (r.left - strip.left) / strip.width, right: (r.right - strip.left) / strip.width, height: r.height / strip.height, prob: Number(c.getAttribute('data-prob')) };
        });
      });
      expect(cells.length).toBe(expectedCells);
      expect(cells[0].left).toBeLessThanOrEqual(0.002);
      expect(cells[cells.length - 1].right).toBeGreaterThan(0.998);
      for (let i = 0; i < cells.length; i++) {
        expect(cells[i].height).toBeGreaterThan(0.99);
        expect(cells[i].right - cells[i].left).toBeCloseTo(0.25 / wav.durationSec, 2);
        if (i > 0) expect(Math.abs(cells[i].left - cells[i - 1].right)).toBeLessThan(0.002);
      }
      probs.push(cells.map((c) => c.prob));
    }
    // The cells follow the stems, not one clip-level value: some row's cells differ.
    expect(probs.some((p) => Math.max(...p) - Math.min(...p) > 0.1)).toBe(true);
    await checkLayout(page, 'scene-short');

    // 256 frames: every column of every lane carries ink and touches the previous column's ink.
    const tiny = path.join(tmp, 'tiny-256.wav');
    await writeAudio(tiny, [0, 1, 2, 3].map((c) => Float32Array.from({ length: 256 }, (_, i) => 0.5 * Math.sin((2 * Math.PI * (2 + c) * i) / 256))), 32000, 'pcm16');
    await openByPath(page, tiny);
    const lanes = await page.getByTestId('waveform').evaluate(async (canvas: HTMLCanvasElement) => {
      const frame = () => new Promise((r) => requestAnimationFrame(r));
      for (let i = 0; i < 120 && (canvas.width === 0 || canvas.height === 0); i++) await frame();
      await frame();
      await frame();
      const ctx = canvas.getContext('2d')!;
      const axis = Math.round(22 * (window.devicePixelRatio || 1));
      const h = canvas.height - axis;
      const { data } = ctx.getImageData(0, 0, canvas.width, h);
      return [0, 1, 2, 3].map((lane) => {
        const top = Math.round((lane * h) / 4) + 2;
        const bottom = Math.round(((lane + 1) * h) / 4) - 2;
        let inked = 0;
        let joined = 0;
        let prev: [number, number] | null = null;
        for (let x = 1; x < canvas.width - 1; x++) {
          let lo = -1;
          let hi = -1;
          for (let y = top; y < bottom; y++) {
            const i = (y * canvas.width + x) * 4;
            if (data[i] + data[i + 1] + data[i + 2] > 240) {
              if (lo < 0) lo = y;
              hi = y;
            }
          }
          if (lo < 0) {
            prev = null;
            continue;
          }
          inked++;
          if (prev && lo <= prev[1] + 1 && hi >= prev[0] - 1) joined++;
          prev = [lo, hi];
        }
        return { inked: inked / (canvas.width - 2), joined: joined / Math.max(1, inked - 1) };
      });
    });
    for (const l of lanes) {
      expect(l.inked).toBeGreaterThan(0.98);
      expect(l.joined).toBeGreaterThan(0.98);
    }
    await checkLayout(page, 'scene-tiny');
    expect(problems).toEqual([]);
  });
});
