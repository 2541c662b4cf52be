/**
 * "Separate another class…" and stem removal (issue #13) end to end in headless Chromium through
 * the web bridge, on the real engine and the shipped models: analyse a demo scene, add a class the
 * tagger did not report → its strip appears marked "user", with the direction the engine measures
 * for that class when asked directly (the CLI's `--labels` path, computed here in-process), its dot
 * on the direction map, and its file in the export, sample for sample the in-process stem; remove
 * it (after the confirmation) → gone from strips, map and export.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S5_LABELS, type S5Label } from '../../src/shared/labels';
import type { S5Result } from '../../src/shared/result';
import { readAudio } from '../../src/engine/audio';
import { InferenceHost } from '../../src/engine/inference/ort-client';
import { ModelRegistry } from '../../src/engine/models/registry';
import { Pipeline } from '../../src/engine/pipeline/pipeline';
import { SettingsStore } from '../../src/engine/settings/settings';
import { openByPath, repoRoot, startHarness, type Harness } from './helpers';

const DEMO = path.join(repoRoot, 'resources/demo/soundscape/demo_000000.wav');

let harness: Harness;
let tmp: string;
let tagged: S5Result;
let added: S5Result;
let extra: S5Label;
const previous = process.env.S5_DATA_DIR;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-add-stem-'));
  process.env.S5_DATA_DIR = path.join(tmp, 'data'); // default models, no saved choices
  const registry = new ModelRegistry({ roots: [{ dir: path.join(repoRoot, 'models'), source: 'shipped' }], settings: new SettingsStore(path.join(tmp, 'settings.json')) });
  const inference = new InferenceHost({ threads: 1 });
  try {
    const pipeline = new Pipeline(registry, inference);
    tagged = await pipeline.separate({ path: DEMO, outDir: path.join(tmp, 'tagged'), format: 'f32' });
    // A class the tagger did not report, separated alone over the same samples (`--labels`).
    extra = S5_LABELS.find((l) => !tagged.labels.some((x) => x.label === l) && l !== 'AlarmClock') as S5Label;
    added = await pipeline.separate({ path: DEMO, outDir: path.join(tmp, 'added'), format: 'f32', labels: [extra], verifier: null });
  } finally {
    await inference.dispose();
  }
  harness = await startHarness();
}, 300_000);

afterAll(async () => {
  await harness?.close();
  if (previous === undefined) delete process.env.S5_DATA_DIR;
  else process.env.S5_DATA_DIR = previous;
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

async function exportAll(page: import('playwright-core').Page, out: string): Promise<void> {
  await page.getByTestId('export').click();
  await page.getByTestId('export-dir').fill(out);
  await page.getByTestId('export-format').selectOption('f32');
  await page.getByTestId('export-confirm').click();
  await page.getByTestId('export-done').waitFor({ timeout: 120_000 });
  await page.getByTestId('export-close').click();
}

describe('Scene: separate another class, remove a stem', () => {
  it('adds a user-chosen stem with its file and direction like the others; removal takes it out of view and export', async () => {
    const { page, problems } = await harness.openPage();
    await openByPath(page, DEMO);
    await page.getByTestId('analyse').click();
    await expect.poll(() => page.getByTestId('play').isEnabled(), { timeout: 300_000 }).toBe(true);
    const strips = page.getByTestId('stem-strip');
    expect(await strips.count()).toBe(tagged.stems.length);

    // The picker lists exactly the classes without a stem.
    await page.getByTestId('add-stem').click();
    const offered = await page.getByTestId('add-stem-class').locator('option:not([disabled])').evaluateAll((els) => els.map((e) => (e as HTMLOptionElement).value));
    expect(offered).toEqual(S5_LABELS.filter((l) => !tagged.stems.some((s) => s.label === l)));
    await page.getByTestId('add-stem-class').selectOption(extra);
    await page.getByTestId('add-stem-go').click();

    const strip = page.locator(`[data-testid="stem-strip"][data-name="${extra}"]`);
    await strip.waitFor({ timeout: 300_000 });
    await expect.poll(() => page.getByTestId('stem-tools-busy').count()).toBe(0);
    expect(await strip.getAttribute('data-origin')).toBe('user');
    expect(await strip.getByTestId('stem-user').count()).toBe(1);
    expect(await strips.count()).toBe(tagged.stems.length + 1);
    const want = added.stems[0].direction;
    expect(want).not.toBeNull();
    expect(Number(await strip.getAttribute('data-azimuth'))).toBeCloseTo(want!.azimuth_deg, 1);
    expect(Number(await strip.getAttribute('data-elevation'))).toBeCloseTo(want!.elevation_deg, 1);
    expect(await page.locator(`[data-testid="direction-dot"][data-name="${extra}"]`).count()).toBe(1);
    await page.screenshot({ path: path.join(repoRoot, 'test-results/scene-add-stem.png'), fullPage: true });
    // The canvas can show it like any stem.
    expect(await page.getByTestId('canvas-source').locator(`option[value="${extra}"]`).count()).toBe(1);

    // Export: its file beside the others, equal to the stem the engine makes for that class alone.
    const out1 = path.join(tmp, 'export-1');
    await exportAll(page, out1);
    for (const s of tagged.stems) expect(existsSync(path.join(out1, `${s.name}.wav`))).toBe(true);
    const got = (await readAudio(path.join(out1, `${extra}.wav`))).data[0];
    const ref = (await readAudio(path.join(added.out_dir!, added.stems[0].file))).data[0];
    expect(got.length).toBe(ref.length);
    let worst = 0;
    for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]));
    expect(worst).toBeLessThan(1e-5);
    const labels1 = JSON.parse(readFileSync(path.join(out1, 'labels.json'), 'utf8')) as S5Result;
    expect(labels1.stems.find((s) => s.label === extra)?.origin).toBe('user');
    expect(labels1.labels.map((l) => l.label).sort()).toEqual([...tagged.labels.map((l) => l.label), extra].sort());

    // Remove it: asked first ("Keep" keeps it), then gone from strips, map, picker and export.
    await strip.getByTestId('stem-remove').click();
    await page.getByTestId('stem-remove-no').click();
    expect(await strip.count()).toBe(1);
    await strip.getByTestId('stem-remove').click();
    await page.getByTestId('stem-remove-yes').click();
    await expect.poll(() => strip.count()).toBe(0);
    expect(await strips.count()).toBe(tagged.stems.length);
    expect(await page.locator(`[data-testid="direction-dot"][data-name="${extra}"]`).count()).toBe(0);
    const out2 = path.join(tmp, 'export-2');
    await exportAll(page, out2);
    expect(existsSync(path.join(out2, `${extra}.wav`))).toBe(false);
    const labels2 = JSON.parse(readFileSync(path.join(out2, 'labels.json'), 'utf8')) as S5Result;
    expect(labels2.labels.map((l) => l.label)).toEqual(tagged.labels.map((l) => l.label));
    // …and it can be separated again.
    await page.getByTestId('add-stem').click();
    expect(await page.getByTestId('add-stem-class').locator(`option[value="${extra}"]`).count()).toBe(1);

    expect(problems).toEqual([]);
  });
});
