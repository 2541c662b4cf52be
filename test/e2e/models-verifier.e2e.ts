/**
 * The stem verifier in the Models view (issue #13), end to end through the web bridge: a private
 * data folder holds the test verifier (make_test_models.py, built for the shipped separator's
 * 16 kHz, 10-s windows). The view lists it with the role "verifier", uses it automatically (it fits
 * the active separator), shows its rule (thresholds, pass bound) and input level in Details, and
 * lets the user switch verification off ("none") and on again — checked in the settings file the
 * engine writes. The Scene view then offers accurate mode. Headline metrics name their set.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTestModels, torchReady } from '../fixtures/models/helpers';
import { repoRoot, startHarness, type Harness } from './helpers';

let harness: Harness;
let data: string;
const previous = process.env.S5_DATA_DIR;
const ready = torchReady();

beforeAll(async () => {
  if (!ready) return;
  data = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-verifier-'));
  process.env.S5_DATA_DIR = data;
  makeTestModels({ rate: 16000, windowSeconds: 10, only: ['test-verifier'], dir: path.join(data, 'models') });
  harness = await startHarness();
}, 300_000);

afterAll(async () => {
  await harness?.close();
  if (previous === undefined) delete process.env.S5_DATA_DIR;
  else process.env.S5_DATA_DIR = previous;
  if (data) rmSync(data, { recursive: true, force: true });
});

const settings = () => JSON.parse(readFileSync(path.join(data, 'settings.json'), 'utf8'));

describe.skipIf(!ready)('Models view: the stem verifier', () => {
  it('lists it as a verifier, uses it by default, shows its rule, switches it off and on', async () => {
    const { page, problems } = await harness.openPage();
    await page.getByTestId('nav-models').click();
    const row = page.locator('[data-testid="model-row"][data-model-id="test-verifier"]');
    await row.waitFor();
    expect(await row.getByTestId('model-role').innerText()).toBe('verifier');
    expect(await row.getAttribute('data-active')).toBe('true');
    await expect.poll(() => page.getByTestId('active-verifier').getAttribute('data-id')).toBe('test-verifier');
    // A verifier is not offered as the mixture tagger.
    expect(await page.getByTestId('activate-tagger').locator('option').allInnerTexts()).not.toContain('test-verifier');

    await row.getByTestId('model-details-toggle').click();
    const details = page.locator('[data-testid="model-details"][data-model-id="test-verifier"]');
    const rule = details.getByTestId('model-verification');
    expect(await rule.getAttribute('data-confirm')).toBe('0.5');
    expect(await rule.getAttribute('data-relabel')).toBe('0.9');
    expect(await rule.getAttribute('data-passes')).toBe('2');
    expect(await details.getByTestId('model-input-level').getAttribute('data-dbfs')).toBe('');

    // The separator's headline CA-SDRi says which set it is from.
    const sepManifest = JSON.parse(readFileSync(path.join(repoRoot, 'models/s5-sep-small-16k-v2/manifest.json'), 'utf8'));
    const sepMetric = page.locator('[data-testid="model-row"][data-model-id="s5-sep-small-16k-v2"] [data-testid="model-metric"]').first();
    const key = 'test_ca_sdri' in sepManifest.metrics ? 'test_ca_sdri' : 'ca_sdri';
    expect(await sepMetric.getAttribute('data-key')).toBe(key);
    expect(await sepMetric.getAttribute('data-set')).toBe(key === 'test_ca_sdri' ? 'test preset, full system' : 'validation');

    // Off…
    await page.getByTestId('activate-verifier').selectOption('none');
    await page.getByTestId('activate').click();
    await expect.poll(() => page.getByTestId('active-verifier').getAttribute('data-id')).toBe('');
    expect(settings().active_models.verifier).toBeNull();
    expect(await row.getAttribute('data-active')).toBe('false');
    // …and on again.
    await page.getByTestId('activate-verifier').selectOption('test-verifier');
    await page.getByTestId('activate').click();
    await expect.poll(() => page.getByTestId('active-verifier').getAttribute('data-id')).toBe('test-verifier');
    expect(settings().active_models.verifier).toBe('test-verifier');

    // The Scene view offers accurate mode now that a verifier is active.
    await page.getByTestId('nav-scene').click();
    await page.getByTestId('open-path').fill(path.join(repoRoot, 'resources/demo/soundscape/demo_000000.wav'));
    await page.getByTestId('open-button').click();
    const accurate = page.getByTestId('separation-mode').locator('option[value="accurate"]');
    await expect.poll(() => accurate.isDisabled()).toBe(false);

    expect(problems).toEqual([]);
  });
});
