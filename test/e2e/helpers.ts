/**
 * End-to-end harness: the real web bridge (which forks the real engine) serving the built
 * renderer, driven in headless Debian Chromium through playwright-core. Also a few independent
 * readers of audio headers, so tests compare the UI against numbers the app did not compute.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startWebBridge, type WebBridge } from '../../src/web/server';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const realdata = (name: string) => path.resolve(repoRoot, '../shared/realdata', name);
/** The built renderer; `S5_RENDERER_DIR` points elsewhere (parallel builds of work in progress). */
export const RENDERER_DIR = process.env.S5_RENDERER_DIR ? path.resolve(process.env.S5_RENDERER_DIR) : path.join(repoRoot, '.vite/renderer/main_window');

/** The flags research/stack.md §4 found to work for Debian's Chromium in a container. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--autoplay-policy=no-user-gesture-required',
];

export interface Harness {
  bridge: WebBridge;
  browser: Browser;
  /** A fresh context and page at the app's URL, with problems collected. */
  openPage(): Promise<AppPage>;
  close(): Promise<void>;
}

export interface AppPage {
  context: BrowserContext;
  page: Page;
  /** Console errors, page errors, CSP violations and failed requests seen so far. */
  problems: string[];
}

export async function startHarness(): Promise<Harness> {
  if (!existsSync(path.join(RENDERER_DIR, 'index.html'))) {
    throw new Error(`no built renderer in ${RENDERER_DIR}: run \`npx vite build --config vite.renderer.config.mts\` first`);
  }
  const bridge = await startWebBridge({ port: 0, staticDir: RENDERER_DIR });
  let browser: Browser;
  try {
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
  } catch (err) {
    await bridge.close();
    throw err;
  }
  const contexts: BrowserContext[] = [];

  async function openPage(): Promise<AppPage> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, deviceScaleFactor: 1 });
    contexts.push(context);
    const page = await context.newPage();
    // Waits on the app's state without their own limit get a minute: the engine shares a busy
    // 2-core machine (playwright's default, 30 s, assumes a quiet one).
    page.setDefaultTimeout(60_000);
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || /Content.Security.Policy/i.test(msg.text())) problems.push(`console.${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText ?? '?'})`));
    await page.exposeFunction('__s5ReportCsp', (text: string) => problems.push(`CSP violation: ${text}`));
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        const report = (window as unknown as { __s5ReportCsp: (t: string) => void }).__s5ReportCsp;
        report(`${e.effectiveDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    await page.goto(bridge.url);
    await page.locator('[data-testid="engine-status"][data-state="ready"]').waitFor({ timeout: 180_000 });
    return { context, page, problems };
  }

  return {
    bridge,
    browser,
    openPage,
    async close() {
      for (const c of contexts) await c.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await bridge.close();
    },
  };
}

/** Opens `file` by typing its path, waits until the info panel shows it. */
export async function openByPath(page: Page, file: string): Promise<void> {
  await page.getByTestId('open-path').fill(file);
  await page.getByTestId('open-button').click();
  await waitForOpen(page, path.basename(file));
}

/** Waits for the busy state to end with `name` in the info panel. */
export async function waitForOpen(page: Page, name: string): Promise<void> {
  await page.locator('[data-testid="file-info"] h2', { hasText: name }).waitFor({ timeout: 120_000 });
  await page.getByTestId('busy').waitFor({ state: 'detached', timeout: 120_000 });
}

/** `m:ss.mmm`, written independently of the app's formatter. */
export function mssmmm(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const m = Math.floor(ms / 60000);
  const s = ((ms % 60000) / 1000).toFixed(3).padStart(6, '0');
  return `${m}:${s}`;
}

export interface HeaderFacts {
  channels: number;
  sampleRate: number;
  frames: number;
  durationSec: number;
  bitsPerSample?: number;
}

/** RIFF/WAVE: walks the chunks for `fmt ` and `data`; frames = data bytes / block align. */
export function readWavHeader(file: string): HeaderFacts {
  const b = readFileSync(file);
  if (b.toString('latin1', 0, 4) !== 'RIFF' || b.toString('latin1', 8, 12) !== 'WAVE') throw new Error(`${file}: not RIFF/WAVE`);
  let channels = 0;
  let sampleRate = 0;
  let blockAlign = 0;
  let bitsPerSample = 0;
  let dataBytes = -1;
  for (let off = 12; off + 8 <= b.length; ) {
    const id = b.toString('latin1', off, off + 4);
    const size = b.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = b.readUInt16LE(off + 10);
      sampleRate = b.readUInt32LE(off + 12);
      blockAlign = b.readUInt16LE(off + 20);
      bitsPerSample = b.readUInt16LE(off + 22);
    } else if (id === 'data') {
      dataBytes = Math.min(size, b.length - off - 8);
      break;
    }
    off += 8 + size + (size & 1);
  }
  if (!blockAlign || dataBytes < 0) throw new Error(`${file}: no fmt/data chunk`);
  const frames = Math.floor(dataBytes / blockAlign);
  return { channels, sampleRate, frames, durationSec: frames / sampleRate, bitsPerSample };
}

/**
 * Ogg Vorbis: channels and rate from the identification header on the first page; length from
 * the granule position (= PCM frames) of the last page.
 */
export function readOggVorbisHeader(file: string): HeaderFacts {
  const b = readFileSync(file);
  const ident = b.indexOf(Buffer.from('\x01vorbis', 'latin1'));
  if (b.toString('latin1', 0, 4) !== 'OggS' || ident < 0) throw new Error(`${file}: not Ogg Vorbis`);
  const channels = b.readUInt8(ident + 11);
  const sampleRate = b.readUInt32LE(ident + 12);
  const last = b.lastIndexOf(Buffer.from('OggS', 'latin1'));
  const frames = Number(b.readBigInt64LE(last + 6));
  return { channels, sampleRate, frames, durationSec: frames / sampleRate };
}

/**
 * Reads the waveform canvas back and counts, per lane, the pixels bright enough to be signal
 * (the background, grid and centre lines are all dark). The axis strip at the bottom is skipped.
 */
export async function laneInk(page: Page, lanes: number): Promise<number[]> {
  return page.getByTestId('waveform').evaluate(async (canvas: HTMLCanvasElement, n: number) => {
    // The canvas is sized and drawn after its ResizeObserver fires: wait for two frames with a size.
    const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
    for (let i = 0; i < 120 && (canvas.width === 0 || canvas.height === 0); i++) await frame();
    await frame();
    await frame();
    const ctx = canvas.getContext('2d');
    if (!ctx || canvas.width === 0 || canvas.height === 0) return [];
    const axis = Math.round(22 * (window.devicePixelRatio || 1));
    const h = canvas.height - axis;
    const { data } = ctx.getImageData(0, 0, canvas.width, h);
    const counts = new Array<number>(n).fill(0);
    for (let y = 0; y < h; y++) {
      const lane = Math.min(n - 1, Math.floor((y * n) / h));
      for (let x = 0; x < canvas.width; x++) {
        const i = (y * canvas.width + x) * 4;
        if (data[i] + data[i + 1] + data[i + 2] > 240) counts[lane] += 1;
      }
    }
    return counts;
  }, lanes);
}

/** Seconds shown by Live's Record button ("● Recording 1:05", "● Recording 1:02:03"); −1 when not recording. */
export function recordedSeconds(text: string): number {
  const m = /Recording\s+(?:(\d+):)?(\d+):(\d\d)/.exec(text);
  return m ? Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]) : -1;
}
