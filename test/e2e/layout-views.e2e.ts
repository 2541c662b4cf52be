/**
 * Live (running, replay as live), Train (with a run) and Models (a card open) laid out at
 * 1440×900 and 1024×700 (issue #16): no overlapping texts, nothing sticking out sideways, no cut
 * placeholder or option (test/e2e/layout-check.ts); screenshots in test-results/layout/. Also what
 * the walkthrough found there: the chart names the line under the pointer, listen toggles are
 * drawn icons, chart and meters say "Stopped" after Stop, the missing ≥ 4-channel input is said
 * beside the sources, recording into a folder that does not exist creates it; the Train view has
 * a title, a started run comes into view and "Show command" follows the form; the model card is
 * rendered; with no GPU the provider line is plain CPU.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startHarness, type Harness } from './helpers';
import { LAYOUT_SIZES, layoutProblems } from './layout-check';

const CLIP = path.join(repoRoot, 'resources/demo/soundscape/demo_000000.wav');
const SHOTS = path.join(repoRoot, 'test-results/layout');

let harness: Harness;
let tmp: string;
const priorDataDir = process.env.S5_DATA_DIR;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-layout-views-'));
  process.env.S5_DATA_DIR = path.join(tmp, 'data'); // a fresh library and no runs; the forked engine inherits it
  mkdirSync(SHOTS, { recursive: true });
  harness = await startHarness();
}, 120_000);

afterAll(async () => {
  await harness?.close();
  if (priorDataDir === undefined) delete process.env.S5_DATA_DIR;
  else process.env.S5_DATA_DIR = priorDataDir;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function checkLayout(page: Page, name: string): Promise<void> {
  for (const size of [...LAYOUT_SIZES].reverse()) {
    await page.setViewportSize(size);
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    expect(await layoutProblems(page), `${name} at ${size.width}×${size.height}`).toEqual([]);
    await page.screenshot({ path: path.join(SHOTS, `${name}-${size.width}x${size.height}.png`) });
  }
}

describe('Live, Train and Models layout', () => {
  it('Live running: chart identifies lines, icon toggles, layout; recording creates its folder; Stop is shown', async () => {
    const { page, problems } = await harness.openPage();
    await page.setViewportSize(LAYOUT_SIZES[0]);
    await page.getByTestId('nav-live').click();
    await page.getByTestId('live-replay-path').fill(CLIP);
    await page.getByTestId('live-channel-format').selectOption('foa-acn-sn3d');
    // Beside the sources: said plainly when no input has 4 or more channels (as the list shows).
    const arrays = await page.getByTestId('live-source').locator('option').evaluateAll((els) =>
      els.filter((e) => Number(/(\d+) ch,/.exec(e.textContent ?? '')?.[1] ?? 0) >= 4).length);
    expect(await page.getByTestId('live-no-array').count()).toBe(arrays === 0 ? 1 : 0);

    await page.getByTestId('live-start').click();
    await page.getByTestId('live-stop').waitFor({ timeout: 60_000 });
    await expect.poll(() => page.getByTestId('live-rate-readout').innerText(), { timeout: 60_000 }).toMatch(/\/s$/);
    // The listen toggles are drawn (SVG), no emoji glyph in their text.
    const listen = page.getByTestId('live-listen');
    expect(await listen.first().locator('svg').count()).toBe(1);
    expect((await listen.allInnerTexts()).join('')).toBe('');
    // Pointing at the chart names a class line.
    const labels = await page.getByTestId('live-listen').evaluateAll((els) => els.map((e) => e.getAttribute('data-label')));
    const chart = (await page.getByTestId('live-chart').locator('.u-over').boundingBox())!;
    await page.mouse.move(chart.x + chart.width * 0.8, chart.y + chart.height * 0.95);
    await expect.poll(() => page.getByTestId('live-chart-readout').locator('b').count()).toBe(1);
    expect(labels).toContain(await page.getByTestId('live-chart-readout').locator('b').innerText());
    await page.mouse.move(0, 0);
    await checkLayout(page, 'live-running');

    // Record into a folder that does not exist yet: it is created and the file is written there.
    const folder = path.join(tmp, 'new', 'takes');
    await page.locator('summary', { hasText: 'Recording folder' }).click();
    await page.getByTestId('live-record-dir').fill(folder);
    await page.getByTestId('live-record').click();
    await expect.poll(() => page.getByTestId('live-record').getAttribute('aria-pressed'), { timeout: 30_000 }).toBe('true');
    await expect.poll(() => page.getByTestId('live-record').innerText(), { timeout: 30_000 }).toMatch(/Recording 0:0[1-9]/);
    await page.getByTestId('live-record').click();
    await page.getByTestId('live-last-recording').waitFor({ timeout: 30_000 });
    const recorded = await page.getByTestId('live-last-recording').locator('code').innerText();
    expect(path.dirname(recorded)).toBe(folder);
    expect(existsSync(recorded)).toBe(true);
    expect(statSync(recorded).size).toBeGreaterThan(1000);

    // Stop: chart and meters say so.
    await page.getByTestId('live-stop').click();
    await page.getByTestId('live-chart-stopped').waitFor({ timeout: 30_000 });
    await page.getByTestId('live-levels-stopped').waitFor();
    expect(await page.getByTestId('live-levels').getAttribute('data-state')).toBe('stopped');
    await checkLayout(page, 'live-stopped');
    expect(problems).toEqual([]);
  });

  it('Models: a card open, rendered; the provider line', async () => {
    const { page, problems } = await harness.openPage();
    await page.setViewportSize(LAYOUT_SIZES[0]);
    await page.getByTestId('nav-models').click();
    const row = page.locator('[data-testid="model-row"][data-model-id="s5-tag-small-v2"]');
    await row.getByTestId('model-details-toggle').click();
    const card = page.locator('[data-testid="model-details"][data-model-id="s5-tag-small-v2"]').getByTestId('model-card');
    await card.locator('h1').waitFor();
    expect(await card.locator('table').count()).toBeGreaterThan(0);
    await page.getByTestId('doctor').waitFor({ timeout: 120_000 });
    const gpu = await page.getByTestId('doctor').locator('dt', { hasText: /^GPU$/ }).locator('xpath=following-sibling::dd[1]').innerText();
    if (gpu === 'none found' && (await page.getByTestId('doctor-provider').innerText()).includes('no GPU')) {
      // No GPU and CUDA not asked for: CPU is the plain case, not an orange fallback.
      expect(await page.getByTestId('doctor-provider').getAttribute('data-provider')).toBe('cpu');
      expect(await page.getByTestId('doctor-fallback').count()).toBe(0);
    }
    await checkLayout(page, 'models-card');
    expect(problems).toEqual([]);
  });

  it('Train with a run: title, the new run comes into view, Show command follows the form', async () => {
    const { page, problems } = await harness.openPage();
    await page.setViewportSize(LAYOUT_SIZES[1]);
    await page.getByTestId('nav-train').click();
    expect(await page.locator('[data-testid="view-train"] h1').innerText()).toBe('Train');
    await expect.poll(() => page.getByTestId('doctor-device').innerText(), { timeout: 180_000 }).toMatch(/^(CPU · \d+ threads?|CUDA · .+)$/);

    // The torchrun command, once shown, follows the form.
    await page.locator('summary', { hasText: 'Workstation or cluster' }).click();
    await page.getByTestId('train-torchrun').click();
    const command = page.getByTestId('train-command');
    await command.waitFor({ timeout: 60_000 });
    await page.getByTestId('train-steps').fill('4321');
    await expect.poll(() => command.innerText(), { timeout: 60_000 }).toContain('4321');
    await page.getByTestId('train-steps').fill('4');
    await expect.poll(() => command.innerText(), { timeout: 60_000 }).not.toContain('4321');

    // A tiny run on toy scenes: the run panel comes into view once started.
    await page.getByTestId('train-data').selectOption('toy');
    await page.getByTestId('train-target').selectOption('tagger');
    await page.getByTestId('train-size').selectOption('tiny');
    await page.getByTestId('train-base').selectOption('scratch');
    await page.getByTestId('train-device').selectOption('cpu');
    await page.getByTestId('train-start').click();
    const status = page.getByTestId('train-status');
    await status.waitFor({ timeout: 120_000 });
    await expect.poll(async () => {
      const box = await page.getByTestId('train-runs-area').boundingBox();
      return box !== null && box.y >= -1 && box.y < 700 / 2;
    }, { timeout: 10_000 }).toBe(true);
    await checkLayout(page, 'train-run');
    if (/running|preparing|queued/.test(await status.innerText())) {
      await page.getByTestId('train-cancel').click();
      await expect.poll(() => status.innerText(), { timeout: 180_000 }).toMatch(/cancelled|finished|failed/);
    }
    // Tone.js creates a blob: worker the strict CSP blocks (known, as in train.e2e.ts).
    expect(problems.filter((p) => !/worker-src|Creating a worker from 'blob:/.test(p))).toEqual([]);
  });
});
