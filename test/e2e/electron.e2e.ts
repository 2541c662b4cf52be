/**
 * The real Electron app, driven by Playwright's `_electron` (research/stack.md §5). Runs only when
 * ELECTRON_BIN names an Electron 45 binary (none can be downloaded on our machines, so here it is
 * reported as skipped). On Linux without a display, run under `xvfb-run`.
 * Proves in the real shell what test/unit/security.test.ts proves of the policy: the page sees
 * exactly the contract on `window.s5` and no Node; the engine answers from a utilityProcess; a
 * killed engine is restarted while the window stays usable; navigation and new windows are denied.
 */
import path from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { S5_METHOD_NAMES } from '../../src/shared/api';
import { buildProductionBundles } from '../integration/forge-build';

const root = path.resolve(__dirname, '../..');
const electronBin = process.env.ELECTRON_BIN;

describe.skipIf(!electronBin)('Electron app (ELECTRON_BIN)', () => {
  let app: ElectronApplication;
  let page: Page;

  beforeAll(async () => {
    await buildProductionBundles(root, { renderer: true });
    app = await _electron.launch({ executablePath: electronBin, args: ['.'], cwd: root, timeout: 60_000 });
    page = await app.firstWindow();
    await page.waitForFunction(() => typeof (window as { s5?: unknown }).s5 === 'object');
  });

  afterAll(async () => {
    await app?.close();
  });

  test('window.s5 holds exactly the contract: its methods, on() and pathForFile()', async () => {
    const keys = await page.evaluate(() => Object.keys((window as unknown as { s5: object }).s5).sort());
    expect(keys).toEqual([...S5_METHOD_NAMES, 'on', 'pathForFile'].sort());
  });

  test('no Node in the page', async () => {
    const leaks = await page.evaluate(() => ({
      require: typeof (window as { require?: unknown }).require,
      process: typeof (window as { process?: unknown }).process,
      module: typeof (window as { module?: unknown }).module,
      buffer: typeof (window as { Buffer?: unknown }).Buffer,
    }));
    expect(leaks).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined', buffer: 'undefined' });
  });

  test('the page is served from app:// with the CSP', async () => {
    expect(page.url()).toMatch(/^app:\/\/s5\//);
    const blocked = await page.evaluate(() => {
      try {
        // eslint-disable-next-line no-new-func
        new Function('return 1')();
        return false;
      } catch {
        return true;
      }
    });
    expect(blocked).toBe(true);
  });

  test('getEngineInfo comes from the utilityProcess engine', async () => {
    const info = await page.evaluate(() => (window as unknown as { s5: { getEngineInfo(a: object): Promise<{ shell: string; pid: number }> } }).s5.getEngineInfo({}));
    expect(info.shell).toBe('electron');
    const mainPid = await app.evaluate(() => process.pid);
    expect(info.pid).not.toBe(mainPid);
  });

  test('errors reach the page with their code', async () => {
    const err = await page.evaluate(() =>
      (window as unknown as { s5: { openAudio(a: object): Promise<unknown> } }).s5
        .openAudio({ path: '/no/such/file.wav' })
        .then(() => null, (e: { code?: string; message?: string }) => ({ code: e.code, message: e.message })),
    );
    expect(err?.code).toBe('not_found');
  });

  test('a killed engine is restarted and the window stays usable', async () => {
    type S5 = { s5: { getEngineInfo(a: object): Promise<{ pid: number; starts: number }> } };
    const before = await page.evaluate(() => (window as unknown as S5).s5.getEngineInfo({}));
    process.kill(before.pid, 'SIGKILL');
    await expect
      .poll(() => page.evaluate(() => (window as unknown as S5).s5.getEngineInfo({}).then((i) => i.starts, () => 0)), { timeout: 20_000 })
      .toBe(2);
  });

  test('navigation away and window.open are denied', async () => {
    const url = page.url();
    await page.evaluate(() => {
      window.open('https://example.com/');
      location.href = 'https://example.com/';
    });
    await new Promise((r) => setTimeout(r, 500));
    expect(page.url()).toBe(url);
    expect(app.windows()).toHaveLength(1);
  });
});
