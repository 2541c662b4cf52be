/**
 * main.ts and preload.ts against a scripted stand-in for the `electron` module (no Electron binary
 * can be downloaded here; test/e2e/electron.e2e.ts covers the real one when ELECTRON_BIN is set).
 * Proves the wiring around the policy of security.ts: window options, app:// loading, the IPC
 * sender and method checks, routing (pickFile → dialog, the rest → the utilityProcess engine),
 * navigation / window.open / permission denial, and that the preload exposes exactly `window.s5`.
 */
import { EventEmitter } from 'node:events';
import { beforeAll, describe, expect, test, vi } from 'vitest';
import { S5_METHOD_NAMES } from '../../src/shared/api';

type Handler = (...args: unknown[]) => unknown;

/** Everything the code under test hands to Electron, for the tests to inspect and drive. */
const seen = vi.hoisted(() => ({
  ipcHandlers: new Map<string, Handler>(),
  appEvents: new Map<string, Handler>(),
  protocolHandlers: new Map<string, Handler>(),
  windowOptions: [] as Record<string, unknown>[],
  loadedUrls: [] as string[],
  sent: [] as unknown[][],
  permissionRequest: null as Handler | null,
  exposed: new Map<string, unknown>(),
  rendererListeners: new Map<string, Handler>(),
  invoked: [] as unknown[][],
  forks: [] as { path: string; args: string[]; child: EventEmitter }[],
  windows: [] as { webContents: unknown }[],
}));

vi.mock('electron', async () => {
  const { EventEmitter: Emitter } = await import('node:events');

  class FakeUtilityProcess extends Emitter {
    pid = 424242;
    postMessage(message: { type: string; id: number; method: string }) {
      const reply = { ok: true, value: { method: message.method, from: 'engine' } };
      setTimeout(() => this.emit('message', { type: 'reply', id: message.id, reply }), 1);
    }
    kill() {
      setTimeout(() => this.emit('exit', 0), 1);
      return true;
    }
  }

  class BrowserWindow {
    static all: BrowserWindow[] = [];
    webContents = { send: (...a: unknown[]) => seen.sent.push(a), mainFrame: { parent: null } };
    constructor(options: Record<string, unknown>) {
      seen.windowOptions.push(options);
      seen.windows.push(this);
      BrowserWindow.all.push(this);
    }
    static getAllWindows() {
      return BrowserWindow.all;
    }
    loadURL(url: string) {
      seen.loadedUrls.push(url);
      return Promise.resolve();
    }
    once() {}
    on() {}
    isDestroyed() {
      return false;
    }
    isMinimized() {
      return false;
    }
  }

  return {
    app: {
      requestSingleInstanceLock: () => true,
      enableSandbox: () => undefined,
      on: (event: string, h: Handler) => seen.appEvents.set(event, h),
      whenReady: () => Promise.resolve(),
      isReady: () => true,
      quit: () => undefined,
    },
    BrowserWindow,
    dialog: { showOpenDialog: async () => ({ canceled: false, filePaths: ['/music/scene.wav'] }) },
    ipcMain: { handle: (channel: string, h: Handler) => seen.ipcHandlers.set(channel, h) },
    protocol: {
      registerSchemesAsPrivileged: () => undefined,
      handle: (scheme: string, h: Handler) => seen.protocolHandlers.set(scheme, h),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (h: Handler) => (seen.permissionRequest = h),
        setPermissionCheckHandler: () => undefined,
        webRequest: { onHeadersReceived: () => undefined },
      },
    },
    utilityProcess: {
      fork: (path: string, args: string[]) => {
        const child = new FakeUtilityProcess();
        seen.forks.push({ path, args, child });
        setTimeout(() => child.emit('message', { type: 'ready', pid: child.pid }), 1);
        return child;
      },
    },
    // preload side
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => seen.exposed.set(key, api) },
    ipcRenderer: {
      on: (channel: string, h: Handler) => seen.rendererListeners.set(channel, h),
      invoke: async (...args: unknown[]) => {
        seen.invoked.push(args);
        const method = args[1];
        if (method === 'openAudio') return { ok: false, error: { code: 'not_found', message: 'no such file', file: '/x.wav' } };
        return { ok: true, value: { version: '0', shell: 'electron', node: '22', platform: 'linux', pid: 1, starts: 1 } };
      },
    },
    webUtils: { getPathForFile: () => '/dropped/file.wav' },
  };
});

describe('main process', () => {
  let call: Handler;
  let mainWebContents: unknown;
  const trustedEvent = (url = 'app://s5/index.html', parent: unknown = null) => ({
    sender: mainWebContents,
    senderFrame: { url, parent },
  });

  beforeAll(async () => {
    await import('../../src/main/main');
    await new Promise((r) => setTimeout(r, 20)); // whenReady → onReady → engine ready
    call = seen.ipcHandlers.get('s5:call')!;
    mainWebContents = seen.windows[0].webContents;
  });

  test('one window: sandboxed, isolated, no Node, preload from the build folder', () => {
    expect(seen.windowOptions).toHaveLength(1);
    const prefs = seen.windowOptions[0].webPreferences as Record<string, unknown>;
    expect(prefs).toMatchObject({ sandbox: true, contextIsolation: true, nodeIntegration: false, webSecurity: true, webviewTag: false });
    expect(String(prefs.preload)).toMatch(/preload\.js$/);
  });

  test('loads the renderer from app://, not file://', () => {
    expect(seen.loadedUrls).toEqual(['app://s5/index.html']);
  });

  test('the engine runs in a utilityProcess from entry.js with shell=electron', () => {
    expect(seen.forks).toHaveLength(1);
    expect(seen.forks[0].path).toMatch(/entry\.js$/);
    expect(seen.forks[0].args).toEqual(['--shell=electron', '--starts=1']);
  });

  test('IPC from our top-level frame is routed to the engine', async () => {
    expect(await call(trustedEvent(), 'getEngineInfo', {})).toEqual({ ok: true, value: { method: 'getEngineInfo', from: 'engine' } });
  });

  test('pickFile is answered by the native dialog, with its argument validated', async () => {
    expect(await call(trustedEvent(), 'pickFile', { purpose: 'audio' })).toEqual({ ok: true, value: { path: '/music/scene.wav' } });
    expect(await call(trustedEvent(), 'pickFile', { purpose: 'evil' })).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  test.each([
    ['another page', trustedEvent('https://evil.example/')],
    ['a file:// page', trustedEvent('file:///tmp/x.html')],
    ['a subframe', trustedEvent('app://s5/index.html', { url: 'app://s5/index.html' })],
    ['another webContents', { sender: {}, senderFrame: { url: 'app://s5/index.html', parent: null } }],
    ['no frame', { sender: null, senderFrame: null }],
  ])('IPC from %s is refused', async (_name, event) => {
    expect(await call(event, 'getEngineInfo', {})).toMatchObject({ ok: false, error: { code: 'invalid_request', message: expect.stringContaining('refused') } });
  });

  test.each([['constructor'], ['__proto__'], ['noSuchMethod'], [42]])('method %s is refused', async (method) => {
    expect(await call(trustedEvent(), method, {})).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
  });

  test('navigation away, window.open and <webview> are denied for every web contents', () => {
    const contents = Object.assign(new EventEmitter(), { openHandler: null as Handler | null });
    (contents as unknown as { setWindowOpenHandler(h: Handler): void }).setWindowOpenHandler = (h) => (contents.openHandler = h);
    seen.appEvents.get('web-contents-created')!({}, contents);
    const attempt = (event: string, url?: string) => {
      const e = { prevented: false, preventDefault() { this.prevented = true; } };
      contents.emit(event, e, url);
      return e.prevented;
    };
    expect(attempt('will-navigate', 'https://evil.example/')).toBe(true);
    expect(attempt('will-navigate', 'app://s5/index.html')).toBe(false);
    expect(attempt('will-redirect', 'https://evil.example/')).toBe(true);
    expect(attempt('will-attach-webview')).toBe(true);
    expect(contents.openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });
  });

  test('permission requests are denied', () => {
    const answer = vi.fn();
    seen.permissionRequest!({}, 'media', answer, { requestingUrl: 'app://s5/index.html' });
    expect(answer).toHaveBeenCalledWith(false);
  });

  test('app:// refuses traversal and other hosts, with the security headers', async () => {
    const handle = seen.protocolHandlers.get('app')!;
    for (const url of ['app://s5/../../../etc/passwd', 'app://s5/%2e%2e/%2e%2e/package.json', 'app://other/index.html']) {
      const res = (await handle({ url })) as Response;
      expect(res.status, url).toBe(404);
      expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  test('engine events are forwarded to the window on s5:event', () => {
    seen.sent.length = 0;
    const progress = { task: 'evaluate', stage: 'score', done: 1, total: 3 };
    seen.forks[0].child.emit('message', { type: 'event', event: 'progress', payload: progress });
    seen.forks[0].child.emit('message', { type: 'event', event: 'progress', payload: { task: 1 } }); // breaks the contract
    expect(seen.sent).toEqual([['s5:event', 'progress', progress]]);
  });
});

describe('preload', () => {
  type Api = Record<string, (...a: unknown[]) => Promise<unknown>> & { pathForFile(f: unknown): string | null };
  let api: Api;

  beforeAll(async () => {
    await import('../../src/preload/preload');
    api = seen.exposed.get('s5') as Api;
  });

  test('exposes exactly one global, s5, with the contract methods, on() and pathForFile()', () => {
    expect([...seen.exposed.keys()]).toEqual(['s5']);
    expect(Object.keys(api).sort()).toEqual([...S5_METHOD_NAMES, 'on', 'pathForFile'].sort());
    for (const key of Object.keys(api)) expect(typeof api[key]).toBe('function');
  });

  test('calls go through ipcRenderer.invoke("s5:call") and come back validated', async () => {
    const info = await api.getEngineInfo({});
    expect(info).toMatchObject({ shell: 'electron' });
    expect(seen.invoked.at(-1)).toEqual(['s5:call', 'getEngineInfo', {}]);
  });

  test('errors reject as plain objects that keep code and file across the context bridge', async () => {
    const err = await api.openAudio({ path: '/x.wav' }).catch((e: unknown) => e);
    expect(err).toEqual({ name: 'S5Error', code: 'not_found', message: 'no such file', file: '/x.wav' });
    expect(Object.getPrototypeOf(err)).toBe(Object.prototype);
  });

  test('events from one s5:event listener reach subscribers of that event only', () => {
    const on = api.on as unknown as (e: string, l: (p: unknown) => void) => () => void;
    const got: unknown[] = [];
    const off = on('engineStatus', (p) => got.push(p));
    const deliver = seen.rendererListeners.get('s5:event')!;
    deliver({}, 'engineStatus', { state: 'ready', message: 'ok' });
    deliver({}, 'progress', { task: 't', stage: 's', done: 1, total: 2 });
    deliver({}, 'engineStatus', { state: 'nonsense' }); // breaks the contract: dropped
    off();
    deliver({}, 'engineStatus', { state: 'ready', message: 'after off' });
    expect(got).toEqual([{ state: 'ready', message: 'ok', failedMethods: [] }]);
  });

  test('pathForFile uses webUtils', () => {
    expect(api.pathForFile({})).toBe('/dropped/file.wav');
  });
});
