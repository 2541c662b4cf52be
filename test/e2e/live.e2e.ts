/**
 * Live view end to end: the built renderer in headless Chromium, through the real web bridge, on
 * the real engine with the shipped models. A demo scene is replayed as live: the labels the
 * offline `tag` finds (computed here through the same bridge, independently of the Live view)
 * appear as chips with data-label, listening to them yields a measured latency in ms, recording
 * produces a readable WAV whose length matches the recorded seconds, and Stop ends the session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWavHeader, recordedSeconds, repoRoot, startHarness, type Harness } from './helpers';
import { Engine } from '../../src/engine/engine';
import { clearOfflineLabels } from '../tools/live-audio-env';

const SCENE = path.join(repoRoot, 'resources/demo/soundscape/demo_000000.wav');
let harness: Harness;
let tmp: string;
let offline: string[];

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-live-'));
  const engine = new Engine({ shell: 'inprocess', inference: { threads: 1 } });
  const r = await engine.dispatch('tag', { path: SCENE });
  await engine.dispose();
  if (!r.ok) throw new Error(r.error.message);
  // Labels found clearly offline (see clearOfflineLabels: near-threshold ones may differ live; v2
  // on this scene finds HairDryer at 0.16 against its 0.08 threshold).
  offline = await clearOfflineLabels(r.value as Parameters<typeof clearOfflineLabels>[0]);
  if (offline.length === 0) throw new Error(`the offline tagger finds no clear label in ${SCENE}`);
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Live view', () => {
  it('replays a demo scene as live: labels, latency, recording, stop', async () => {
    const { page, problems } = await harness.openPage();
    await page.getByTestId('nav-live').click();
    await page.getByTestId('live-source').selectOption('replay');
    await page.getByTestId('live-replay-path').fill(SCENE);
    await page.locator('details summary', { hasText: 'Recording folder' }).click();
    await page.getByTestId('live-record-dir').fill(tmp);
    for (const l of offline) await page.locator(`[data-testid="live-listen"][data-label="${l}"]`).click();
    await page.getByTestId('live-start').click();

    for (const l of offline) await page.locator(`[data-testid="live-label"][data-label="${l}"]`).waitFor({ timeout: 120_000 });
    // Latency is measured on the listen output. A machine too busy to separate in real time makes
    // the engine skip separation and say so (live-overloaded, with the count) instead: both are the
    // app's correct state, and the test waits for one of them.
    const latencyOrOverload = async () => /p50 \d+ ms/.test(await page.getByTestId('live-latency').innerText()) || (await page.getByTestId('live-overloaded').count()) > 0;
    await expect.poll(latencyOrOverload, { timeout: 120_000 }).toBe(true);
    if (await page.getByTestId('live-overloaded').count()) expect(await page.getByTestId('live-overloaded').innerText()).toMatch(/separation skipped \([1-9]\d*\)/);

    const t0 = Date.now();
    await page.getByTestId('live-record').click();
    // The counter shows the recorded length; wait until it reaches 2 s (a busy machine may show a
    // later second first: compare numbers, not a pattern of early seconds).
    const shown = async () => recordedSeconds(await page.getByTestId('live-record').innerText());
    await expect.poll(shown).toBeGreaterThanOrEqual(2);
    const atStop = await shown();
    await page.getByTestId('live-stop').click();
    await page.getByTestId('live-start').waitFor();
    const t1 = Date.now();
    const recorded = await page.getByTestId('live-last-recording').innerText();
    const file = /Recorded to (\S+\.wav)/.exec(recorded)?.[1];
    expect(file && path.dirname(file)).toBe(tmp);
    const h = readWavHeader(file as string);
    expect(h).toMatchObject({ channels: 4, sampleRate: 32000, bitsPerSample: 16 });
    // Replay runs at real time: the file holds at least what the counter showed before Stop, and
    // no more than the real time between the Record click and the session's end.
    expect(h.durationSec).toBeGreaterThanOrEqual(atStop);
    expect(h.durationSec).toBeLessThanOrEqual((t1 - t0) / 1000 + 0.5);
    expect(h.frames).toBe(Math.round(h.durationSec * 32000));
    expect(problems).toEqual([]);
  });
});
