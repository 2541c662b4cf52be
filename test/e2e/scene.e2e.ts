/**
 * Scene view end to end: the built renderer in headless Chromium, through the real web bridge, on
 * the real engine, with real FOA recordings from ../shared/realdata. Expected facts come from the
 * files' own headers (read independently in helpers.ts), not from the app.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  laneInk,
  mssmmm,
  openByPath,
  readOggVorbisHeader,
  readWavHeader,
  realdata,
  repoRoot,
  startHarness,
  waitForOpen,
  type Harness,
} from './helpers';

const BAMBOO_48K = realdata('audiofactory_bamboo_amb_foa_acn_sn3d_48k.wav');
const ROOM_44K = realdata('jsambisonics_room_1_bf_wxyz_44k.wav');
const SOUNDSCAPE_OGG = realdata('jsambisonics_BF_rec1_soundscape_wxyz_44k.ogg');

let harness: Harness;
let tmp: string;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 's5-e2e-scene-'));
  mkdirSync(path.join(repoRoot, 'test-results'), { recursive: true });
  harness = await startHarness();
});

afterAll(async () => {
  await harness?.close();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe('Scene view', () => {
  it('opens a 48 kHz FOA WAV by path and shows its format, duration and a 4-lane overview', async () => {
    const { page, problems } = await harness.openPage();
    const expected = readWavHeader(BAMBOO_48K);
    expect(expected).toMatchObject({ channels: 4, sampleRate: 48000, bitsPerSample: 16 });

    await openByPath(page, BAMBOO_48K);

    await expect.poll(() => page.getByTestId('info-duration').innerText()).toContain(mssmmm(expected.durationSec));
    expect(await page.getByTestId('info-duration').innerText()).toContain(`${expected.durationSec.toFixed(3)} s`);
    expect(await page.getByTestId('info-format').innerText()).toMatch(/WAV.*16-bit PCM/);
    expect(await page.getByTestId('info-channels').innerText()).toBe(String(expected.channels));
    expect(await page.getByTestId('info-rate').innerText()).toBe(`${expected.sampleRate} Hz`);
    expect(await page.getByTestId('info-channel-format').innerText()).toContain('ACN/SN3D');
    await expect.poll(() => page.getByTestId('info-format-hint').innerText()).toMatch(/Ratio\s+\d+\.\d\d/);
    // The ambience's Z (channel 3) is quiet: the ACN order is measured, consistent with the assumption.
    expect(await page.getByTestId('info-format-hint').getAttribute('data-order')).toBe('acn');

    expect(await page.getByTestId('waveform-lane-label').allInnerTexts()).toEqual(['W', 'Y', 'Z', 'X']);
    const ink = await laneInk(page, 4);
    expect(ink).toHaveLength(4);
    for (const lane of ink) expect(lane).toBeGreaterThan(200);

    // The file went into the recent list.
    expect(await page.getByTestId('recent-file').first().getAttribute('title')).toBe(BAMBOO_48K);

    await page.screenshot({ path: path.join(repoRoot, 'test-results/scene.png') });
    expect(problems).toEqual([]);
  });

  it('opens a 4-channel Ogg Vorbis recording', async () => {
    const { page, problems } = await harness.openPage();
    const expected = readOggVorbisHeader(SOUNDSCAPE_OGG);

    await openByPath(page, SOUNDSCAPE_OGG);

    await expect.poll(() => page.getByTestId('info-duration').innerText()).toContain(mssmmm(expected.durationSec));
    expect(await page.getByTestId('info-format').innerText()).toMatch(/Ogg.*Vorbis/);
    expect(await page.getByTestId('info-channels').innerText()).toBe('4');
    expect(await page.getByTestId('info-rate').innerText()).toBe(`${expected.sampleRate} Hz`);
    expect(await page.getByTestId('waveform-lane-label').allInnerTexts()).toEqual(['W', 'Y', 'Z', 'X']);
    const ink = await laneInk(page, 4);
    expect(ink.reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(problems).toEqual([]);
  });

  it('offers a measured channel order, never a reorder from the ratio alone, and re-opens with a declared format', async () => {
    const { page, problems } = await harness.openPage();
    // This room response is traditional B-format (W X Y Z, W at -3 dB; see its .txt). Its ratio
    // reads FuMa's ≈2 but no dipole channel is quiet, so the order cannot be measured: a note,
    // and no one-click reorder.
    await openByPath(page, ROOM_44K);
    expect(await page.getByTestId('info-channel-format').innerText()).toContain('assumed');
    const hint = page.getByTestId('info-format-hint');
    expect(await hint.getAttribute('data-level')).toBe('note');
    expect(await hint.getAttribute('data-suggested')).toBe('');
    expect(await page.getByTestId('apply-format-hint').count()).toBe(0);

    // The soundscape's Z channel (channel 4) is empty: FuMa order measured, offered in one click.
    await openByPath(page, SOUNDSCAPE_OGG);
    await expect.poll(() => hint.getAttribute('data-level'), { timeout: 120_000 }).toBe('warning');
    expect(await hint.getAttribute('data-order')).toBe('fuma');
    expect(await page.getByTestId('apply-format-hint').innerText()).toContain('FuMa');
    await page.screenshot({ path: path.join(repoRoot, 'test-results/scene-format.png') });
    await page.getByTestId('apply-format-hint').click();
    await expect.poll(() => page.getByTestId('info-channel-format').innerText(), { timeout: 120_000 }).toContain('declared');
    await page.getByTestId('busy').waitFor({ state: 'detached', timeout: 120_000 });
    expect(await page.getByTestId('info-channel-format').innerText()).toContain('FuMa');
    expect(await page.getByTestId('channel-format-select').inputValue()).toBe('foa-fuma');
    expect(await hint.getAttribute('data-level')).toBe('ok');
    expect(await page.getByTestId('format-hint-declared').innerText()).toContain('FuMa');
    expect(await page.getByTestId('apply-format-hint').count()).toBe(0);

    // Declaring on the room response is remembered: reopening it from Recent reads it as FuMa.
    await openByPath(page, ROOM_44K);
    await page.getByTestId('channel-format-select').selectOption('foa-fuma');
    await expect.poll(() => page.getByTestId('info-channel-format').innerText(), { timeout: 120_000 }).toContain('declared');
    await page.getByTestId('busy').waitFor({ state: 'detached', timeout: 120_000 });
    await openByPath(page, BAMBOO_48K);
    await page.locator(`[data-testid="recent-file"][title="${ROOM_44K}"]`).click();
    await waitForOpen(page, path.basename(ROOM_44K));
    expect(await page.getByTestId('channel-format-select').inputValue()).toBe('foa-fuma');
    expect(await page.getByTestId('info-channel-format').innerText()).toContain('declared');
    await page.getByTestId('busy').waitFor({ state: 'detached', timeout: 120_000 });
    expect(await page.getByTestId('waveform-lane-label').allInnerTexts()).toEqual(['W', 'Y', 'Z', 'X']);
    expect(problems).toEqual([]);
  });

  it('shows a clear error for a corrupt file, and still opens a good file afterwards', async () => {
    const { page, problems } = await harness.openPage();
    const corrupt = path.join(tmp, 'corrupt.wav');
    writeFileSync(corrupt, randomBytes(64 * 1024));

    await page.getByTestId('open-path').fill(corrupt);
    await page.getByTestId('open-button').click();
    const error = page.getByTestId('error-message');
    await error.waitFor({ timeout: 120_000 });
    expect(await error.getAttribute('role')).toBe('alert');
    expect(await error.innerText()).toContain('corrupt.wav');
    expect(await page.getByTestId('file-info').count()).toBe(0);
    await page.screenshot({ path: path.join(repoRoot, 'test-results/scene-error.png') });

    // Dismissable, and the UI stays usable.
    await page.getByTestId('error-dismiss').click();
    expect(await error.count()).toBe(0);

    await page.getByTestId('open-path').fill(corrupt);
    await page.getByTestId('open-button').click();
    await error.waitFor();
    const expected = readWavHeader(ROOM_44K);
    await openByPath(page, ROOM_44K);
    expect(await error.count()).toBe(0); // a successful open clears the old error
    expect(await page.getByTestId('info-duration').innerText()).toContain(mssmmm(expected.durationSec));
    expect(await page.getByTestId('info-rate').innerText()).toBe('44100 Hz');
    expect(problems).toEqual([]);
  });

  it('opens a dropped file in web mode (uploaded to the engine), and one from the file chooser', async () => {
    const { page, problems } = await harness.openPage();
    await expect.poll(() => page.getByTestId('choose-file-button').isVisible()).toBe(true);
    expect(await page.getByTestId('browse-button').count()).toBe(0); // no native dialog in a browser

    // A real drop: a DataTransfer built in the page around the file's bytes.
    const bytes = readFileSync(ROOM_44K).toString('base64');
    const dataTransfer = await page.evaluateHandle(
      ({ b64, name }) => {
        const raw = atob(b64);
        const data = new Uint8Array(raw.length);
        for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
        const dt = new DataTransfer();
        dt.items.add(new File([data], name, { type: 'audio/wav' }));
        return dt;
      },
      { b64: bytes, name: path.basename(ROOM_44K) },
    );
    const zone = page.getByTestId('drop-zone');
    await zone.dispatchEvent('dragenter', { dataTransfer });
    await zone.dispatchEvent('dragover', { dataTransfer });
    await zone.dispatchEvent('drop', { dataTransfer });
    await waitForOpen(page, path.basename(ROOM_44K));
    const room = readWavHeader(ROOM_44K);
    expect(await page.getByTestId('info-duration').innerText()).toContain(mssmmm(room.durationSec));
    expect(await page.getByTestId('info-channels').innerText()).toBe('4');

    // The "Choose file…" fallback uploads the same way.
    await page.getByTestId('file-input').setInputFiles(BAMBOO_48K);
    await waitForOpen(page, path.basename(BAMBOO_48K));
    expect(await page.getByTestId('info-rate').innerText()).toBe('48000 Hz');
    expect(problems).toEqual([]);
  });

  it('switches views with the rail and Ctrl+1..4, keeping the open file and the recent list', async () => {
    const { page, problems } = await harness.openPage();
    await openByPath(page, ROOM_44K);

    await page.keyboard.press('Control+2');
    await page.getByTestId('view-live').waitFor();
    await page.keyboard.press('Control+3');
    await page.getByTestId('view-train').waitFor();
    await page.getByTestId('nav-models').click();
    await page.getByTestId('view-models').waitFor();
    expect(await page.getByTestId('nav-models').getAttribute('aria-current')).toBe('page');
    await page.keyboard.press('Control+1');
    await page.getByTestId('file-info').waitFor();
    expect(await page.locator('[data-testid="file-info"] h2').innerText()).toBe(path.basename(ROOM_44K));

    // Recent files survive a reload and open on click.
    await page.reload();
    await page.locator('[data-testid="engine-status"][data-state="ready"]').waitFor();
    const recent = page.getByTestId('recent-file');
    expect(await recent.first().getAttribute('title')).toBe(ROOM_44K);
    await recent.first().click();
    await waitForOpen(page, path.basename(ROOM_44K));
    expect(problems).toEqual([]);
  });

  it('shows an engine crash and restart in the status bar, and keeps working', async () => {
    const { page, problems } = await harness.openPage();
    const status = page.getByTestId('engine-status');
    const pid = Number(/pid (\d+)/.exec((await status.getAttribute('title')) ?? '')?.[1]);
    expect(pid).toBeGreaterThan(0);

    process.kill(pid, 'SIGKILL');
    await page.locator('[data-testid="engine-status"][data-state="ready"]', { hasText: 'restarted' }).waitFor({ timeout: 120_000 });
    // The status bar's details refresh from getEngineInfo once the new engine is up.
    const shownPid = async () => Number(/pid (\d+)/.exec((await status.getAttribute('title')) ?? '')?.[1]);
    await expect.poll(shownPid).not.toBe(pid);
    expect(await shownPid()).toBeGreaterThan(0);

    await openByPath(page, ROOM_44K);
    expect(await page.getByTestId('info-channels').innerText()).toBe('4');
    expect(problems).toEqual([]);
  });
});
