/**
 * Models view end to end: a private data folder (S5_DATA_DIR) with two user models beside the
 * shipped ones — a valid copy of the shipped tagger under a new id, and a broken one whose
 * manifest hash does not match its ONNX file. The view lists all of them with their facts read
 * from the manifests here, refuses the broken one with its error, activates a pair (checked in the
 * settings file the engine writes), removes a user model, and shows the doctor report.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, startHarness, type Harness } from './helpers';

const CARD_WITH_MARKUP = '# user copy\n\n<img id="injected" src="x"> <b id="injected-b">bold?</b>\n';
let harness: Harness;
let data: string;
const previous = process.env.S5_DATA_DIR;
const SHIPPED_TAGGER = path.join(repoRoot, 'models/s5-tag-small-v2');

function userModel(id: string, mutate: (m: Record<string, unknown>) => void): void {
  const dir = path.join(data, 'models', id);
  mkdirSync(dir, { recursive: true });
  copyFileSync(path.join(SHIPPED_TAGGER, 'model.onnx'), path.join(dir, 'model.onnx'));
  const manifest = JSON.parse(readFileSync(path.join(SHIPPED_TAGGER, 'manifest.json'), 'utf8'));
  manifest.id = id;
  manifest.name = `user copy ${id}`;
  mutate(manifest);
  writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(manifest, null, 1));
}

beforeAll(async () => {
  data = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-models-'));
  process.env.S5_DATA_DIR = data;
  userModel('user-tag-copy', () => undefined);
  // A model card is untrusted text: markup in it must show as text, never become elements.
  writeFileSync(path.join(data, 'models', 'user-tag-copy', 'MODEL_CARD.md'), CARD_WITH_MARKUP);
  userModel('broken-tagger', (m) => (m.sha256 = '0'.repeat(64)));
  harness = await startHarness();
}, 120_000);

afterAll(async () => {
  await harness?.close();
  if (previous === undefined) delete process.env.S5_DATA_DIR;
  else process.env.S5_DATA_DIR = previous;
  rmSync(data, { recursive: true, force: true });
});

describe('Models view', () => {
  it('lists, refuses the broken model with its error, activates a pair, removes a user model, shows the doctor', async () => {
    const { page, problems } = await harness.openPage();
    await page.getByRole('button', { name: /Models/ }).first().click();
    await page.getByTestId('models-list').waitFor();
    const rows = page.getByTestId('model-row');
    await rows.first().waitFor();

    const ids = await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-model-id')));
    const expectedIds = [...readdirSync(path.join(repoRoot, 'models')).filter((d) => !d.includes('.')), 'user-tag-copy', 'broken-tagger'];
    expect(ids.sort()).toEqual(expectedIds.sort());

    // Facts shown equal the manifest's.
    const manifest = JSON.parse(readFileSync(path.join(SHIPPED_TAGGER, 'manifest.json'), 'utf8'));
    const shippedRow = page.locator('[data-testid="model-row"][data-model-id="s5-tag-small-v2"]');
    const text = await shippedRow.innerText();
    expect(text).toContain(manifest.kind);
    expect(text).toContain(manifest.task);
    expect(text).toContain(`${manifest.sample_rate / 1000} kHz`);
    expect(await shippedRow.getAttribute('data-valid')).toBe('true');

    // The broken model is refused, with the hash problem named.
    const broken = page.locator('[data-testid="model-row"][data-model-id="broken-tagger"]');
    expect(await broken.getAttribute('data-valid')).toBe('false');
    const actual = createHash('sha256').update(readFileSync(path.join(SHIPPED_TAGGER, 'model.onnx'))).digest('hex');
    const errors = await broken.getByTestId('model-errors').innerText();
    expect(errors).toMatch(/sha256/i);
    expect(errors).toContain(actual.slice(0, 12));
    // …and is not offered for activation.
    const offered = await page.getByTestId('activate-tagger').locator('option').allInnerTexts();
    expect(offered).toContain('user-tag-copy');
    expect(offered).not.toContain('broken-tagger');

    // Activate the user copy with the shipped separator.
    await page.getByTestId('activate-tagger').selectOption('user-tag-copy');
    await page.getByTestId('activate-separator').selectOption('s5-sep-small-16k-v2');
    await page.getByTestId('activate').click();
    await expect.poll(() => page.locator('[data-testid="model-row"][data-model-id="user-tag-copy"]').getAttribute('data-active')).toBe('true');
    expect(await page.locator('[data-testid="model-row"][data-model-id="s5-tag-small-v2"]').getAttribute('data-active')).toBe('false');
    const settings = JSON.parse(readFileSync(path.join(data, 'settings.json'), 'utf8'));
    expect(settings.active_models).toEqual({ tagger: 'user-tag-copy', separator: 's5-sep-small-16k-v2' });

    // Remove the broken user model: it asks first; Keep keeps it, Remove removes it.
    await broken.getByTestId('model-remove').click();
    await broken.getByTestId('model-remove-cancel').click();
    expect(readdirSync(path.join(data, 'models'))).toContain('broken-tagger');
    await broken.getByTestId('model-remove').click();
    await broken.getByTestId('model-remove-confirm').click();
    await expect.poll(() => page.locator('[data-testid="model-row"][data-model-id="broken-tagger"]').count()).toBe(0);
    expect(readdirSync(path.join(data, 'models'))).not.toContain('broken-tagger');

    // Importing a folder that is not a model gives a specific error.
    await page.getByTestId('import-path').fill(path.join(data, 'nope'));
    await page.getByTestId('import-model').click();
    await page.getByTestId('error').waitFor();
    expect(await page.getByTestId('error').innerText()).toContain('nope');

    // Doctor report: provider and threads.
    await page.getByTestId('doctor').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId('doctor-provider').innerText()).toMatch(/CPU|CUDA/);
    expect(Number(await page.getByTestId('doctor-threads').innerText())).toBeGreaterThan(0);
    await page.screenshot({ path: path.join(repoRoot, 'test-results/models.png'), fullPage: true });
    expect(problems.filter((p) => !/Failed to load resource/.test(p))).toEqual([]);
  });

  it('shows each model\'s metrics, decision rule with per-class thresholds, and model card rendered from its Markdown (never its HTML)', async () => {
    const { page, problems } = await harness.openPage();
    await page.getByTestId('nav-models').click();
    const row = page.locator('[data-testid="model-row"][data-model-id="s5-tag-small-v2"]');
    await row.waitFor();
    const manifest = JSON.parse(readFileSync(path.join(SHIPPED_TAGGER, 'manifest.json'), 'utf8'));
    const sepManifest = JSON.parse(readFileSync(path.join(repoRoot, 'models/s5-sep-small-16k-v2/manifest.json'), 'utf8'));

    // Headline metrics in the rows: label accuracy (tagger), CA-SDRi (separator), ONNX parity.
    const metrics = await row.getByTestId('model-metrics').innerText();
    // The full-system test figures are the headline when the manifest has them (#13), else validation's.
    expect(metrics).toContain(`${(manifest.metrics.test_label_accuracy ?? manifest.metrics.label_accuracy).toFixed(1)} %`);
    expect(metrics).toMatch(/ONNX parity/);
    const sepRow = page.locator('[data-testid="model-row"][data-model-id="s5-sep-small-16k-v2"]');
    expect(await sepRow.getByTestId('model-metrics').innerText()).toContain(`${(sepManifest.metrics.test_ca_sdri ?? sepManifest.metrics.ca_sdri).toFixed(2)} dB`);

    // Details: every metric, the decision rule and each per-class threshold, the card verbatim.
    await row.getByTestId('model-details-toggle').click();
    const details = page.locator('[data-testid="model-details"][data-model-id="s5-tag-small-v2"]');
    await details.waitFor();
    expect(Number(await details.getByTestId('model-decision').getAttribute('data-threshold'))).toBe(manifest.decision.threshold);
    const shown = await details.getByTestId('model-class-threshold').evaluateAll((els) =>
      Object.fromEntries(els.map((e) => [e.getAttribute('data-label'), Number(e.getAttribute('data-threshold'))])));
    expect(shown).toEqual(manifest.decision.thresholds ?? {});
    // The card's Markdown is rendered: its title as a heading, its tables as tables, no syntax left.
    const card = readFileSync(path.join(SHIPPED_TAGGER, 'MODEL_CARD.md'), 'utf8');
    const shownCard = details.getByTestId('model-card');
    expect(await shownCard.locator('h1').innerText()).toBe(/^# (.+)$/m.exec(card)![1]);
    expect(await shownCard.locator('table').count()).toBe((card.match(/^\|---/gm) ?? []).length);
    expect(await shownCard.locator('code', { hasText: manifest.id }).count()).toBeGreaterThan(0);
    expect(await shownCard.innerText()).not.toMatch(/\*\*|\|---|`/);

    // The user model's card with HTML in it: the HTML stays text, no element made from it.
    const user = page.locator('[data-testid="model-row"][data-model-id="user-tag-copy"]');
    await user.getByTestId('model-details-toggle').click();
    const userCard = page.locator('[data-testid="model-details"][data-model-id="user-tag-copy"]').getByTestId('model-card');
    expect(await userCard.locator('h1').innerText()).toBe('user copy');
    expect(await userCard.innerText()).toContain('<img id="injected" src="x"> <b id="injected-b">bold?</b>');
    expect(await page.locator('#injected, #injected-b').count()).toBe(0);
    await page.screenshot({ path: path.join(repoRoot, 'test-results/models-details.png'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
