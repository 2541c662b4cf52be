/**
 * Keyboard ownership and cross-view flows, end to end in headless Chromium on the real engine:
 * Scene shortcuts (space, A, S, M, E, arrows, +/−) do nothing while typing in a field or when a
 * focused button takes the key, and act otherwise; Live's Space/R and Scene's keys never both act
 * across a view switch; the export dialog shows the engine's progress (files done of total); a
 * Live recording opens in the Scene view with "Open in Scene".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openByPath, readWavHeader, recordedSeconds, repoRoot, startHarness, type Harness } from './helpers';

const DEMO = path.join(repoRoot, 'resources/demo/soundscape/demo_000000.wav');
let harness: Harness;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-keys-'));
  harness = await startHarness();
}, 120_000);

afterAll(async () => {
  await harness?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const blur = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
const visibleSpan = async (page: Page) => Number(/([\d.]+) s visible/.exec(await page.locator('.source-row .zoom').innerText())?.[1]);
const position = async (page: Page) => Number(await page.getByTestId('transport-time').getAttribute('data-position'));
const soloStates = (page: Page) => page.getByTestId('stem-solo').evaluateAll((els) => els.map((e) => e.getAttribute('aria-pressed')));

describe('keyboard shortcuts and cross-view flows', () => {
  it('keeps Scene keys out of text fields and focused buttons, shows export progress', async () => {
    const { page, problems } = await harness.openPage();
    await openByPath(page, DEMO);
    await page.getByTestId('analyse').click();
    await page.getByTestId('play').waitFor({ timeout: 300_000 });
    await expect.poll(() => page.getByTestId('play').isEnabled(), { timeout: 120_000 }).toBe(true);
    const span0 = await visibleSpan(page);
    const solo0 = await soloStates(page);

    // Typing in the path field: every key goes into the field, no shortcut acts.
    const field = page.getByTestId('open-path');
    await field.fill('');
    await field.focus();
    await page.keyboard.type('asme +-');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    expect(await field.inputValue()).toBe('asme +-');
    expect(await page.getByTestId('export-dialog').count()).toBe(0);
    expect(await page.getByTestId('pause').count()).toBe(0);
    expect(await page.getByTestId('analysis-progress').count()).toBe(0);
    expect(await visibleSpan(page)).toBe(span0);
    expect(await soloStates(page)).toEqual(solo0);
    expect(await position(page)).toBe(0);

    // Space on a focused button is the button's: it toggles that stem's solo, playback stays off.
    await page.getByTestId('stem-solo').first().focus();
    await page.keyboard.press('Space');
    await expect.poll(() => page.getByTestId('stem-solo').first().getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByTestId('pause').count()).toBe(0);
    await page.keyboard.press('Space');
    await expect.poll(() => page.getByTestId('stem-solo').first().getAttribute('aria-pressed')).toBe('false');

    // Outside fields the same keys act: zoom in, seek, play and pause.
    await blur(page);
    await page.keyboard.press('+');
    expect(await visibleSpan(page)).toBeCloseTo(span0 / 2, 1);
    await page.keyboard.press('ArrowRight');
    expect(await position(page)).toBeCloseTo(1, 2);
    await page.keyboard.press('Space');
    await page.getByTestId('pause').waitFor();
    await page.keyboard.press('Space');
    await page.getByTestId('play').waitFor();

    // E opens the export dialog; its progress shows files done of the engine's total.
    await page.keyboard.press('e');
    await page.getByTestId('export-dialog').waitFor();
    const stems = await page.getByTestId('stem-strip').count();
    await page.getByTestId('export-dir').fill(path.join(tmp, 'export'));
    await page.evaluate(() => {
      const seen: number[] = [];
      (window as unknown as { __totals: number[] }).__totals = seen;
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid="export-progress"]');
        if (el) seen.push(Number(el.getAttribute('data-total')));
      }).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-total', 'data-done'] });
    });
    await page.getByTestId('export-confirm').click();
    const done = page.getByTestId('export-done');
    await done.waitFor({ timeout: 60_000 });
    const totals = await page.evaluate(() => (window as unknown as { __totals: number[] }).__totals);
    // stems + labels.json + labels.csv, as the engine counted them.
    expect(Math.max(...totals)).toBe(stems + 2);
    expect(Number(await done.getAttribute('data-count'))).toBe(stems + 2);
    expect(problems).toEqual([]);
  });

  it('Live Space/R and Scene keys never both act across view switches; a recording opens in Scene', async () => {
    const { page, problems } = await harness.openPage();
    await openByPath(page, DEMO);
    await page.getByTestId('analyse').click();
    await expect.poll(() => page.getByTestId('play').isEnabled(), { timeout: 300_000 }).toBe(true);

    await page.keyboard.press('Control+2');
    await page.getByTestId('view-live').waitFor();
    await page.getByTestId('live-source').selectOption('replay');
    await page.getByTestId('live-replay-path').fill(DEMO);
    await page.locator('details summary', { hasText: 'Recording folder' }).click();
    await page.getByTestId('live-record-dir').fill(tmp);
    // Space while the path field has focus is a character, not Start.
    await page.getByTestId('live-replay-path').focus();
    await page.keyboard.press('End');
    await page.keyboard.press('Space');
    expect(await page.getByTestId('live-stop').count()).toBe(0);
    await page.keyboard.press('Backspace');
    await blur(page);
    await page.keyboard.press('Space');
    await page.getByTestId('live-stop').waitFor({ timeout: 30_000 });

    // Back in Scene: Live's Space did not start playback; Scene's Space plays, and does not stop Live.
    await page.keyboard.press('Control+1');
    await page.getByTestId('view-scene').waitFor();
    expect(await page.getByTestId('pause').count()).toBe(0);
    await page.keyboard.press('Space');
    await page.getByTestId('pause').waitFor();
    await page.keyboard.press('Space');
    await page.getByTestId('play').waitFor();
    await page.keyboard.press('Control+2');
    await page.getByTestId('live-stop').waitFor();

    // R records, R again stops it, Space stops the session; then open the recording in Scene.
    await page.keyboard.press('r');
    await expect.poll(async () => recordedSeconds(await page.getByTestId('live-record').innerText())).toBeGreaterThanOrEqual(2);
    await page.keyboard.press('Shift+R');
    await expect.poll(() => page.getByTestId('live-record').getAttribute('aria-pressed')).toBe('false');
    await page.keyboard.press('Space');
    await page.getByTestId('live-start').waitFor();
    const recorded = await page.getByTestId('live-last-recording').innerText();
    const file = /Recorded to (\S+\.wav)/.exec(recorded)?.[1] as string;
    expect(path.dirname(file)).toBe(tmp);
    const h = readWavHeader(file);

    await page.getByTestId('live-open-in-scene').click();
    await page.getByTestId('view-scene').waitFor();
    await page.locator('[data-testid="file-info"] h2', { hasText: path.basename(file) }).waitFor({ timeout: 30_000 });
    await page.getByTestId('busy').waitFor({ state: 'detached', timeout: 30_000 });
    expect(await page.getByTestId('open-path').inputValue()).toBe(file);
    // The demo is ACN/SN3D, so the recording is opened declared as such; its facts are the file's.
    expect(await page.getByTestId('info-channel-format').innerText()).toContain('declared');
    expect(await page.getByTestId('info-channels').innerText()).toContain(String(h.channels));
    expect(await page.getByTestId('info-rate').innerText()).toContain(String(h.sampleRate));
    // The previous analysis belonged to another file: it is gone, and this one can be analysed.
    expect(await page.getByTestId('stem-strip').count()).toBe(0);
    expect(await page.getByTestId('analyse').isEnabled()).toBe(true);
    expect(problems).toEqual([]);
  });
});
