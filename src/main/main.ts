/**
 * Electron main process — deliberately thin: one window, lifecycle, security wiring, IPC routing.
 * - The renderer is sandboxed and context-isolated, with no Node; its only door is `window.s5`
 *   (src/preload/preload.ts).
 * - The packaged renderer loads from the privileged `app://s5/` scheme (not file://), served from
 *   `.vite/renderer/main_window` with the CSP and isolation headers of security.ts; in `npm start`
 *   it loads from Forge's Vite dev server, whose responses get the dev CSP.
 * - Navigation away from the renderer, new windows, <webview>s and permission requests are denied.
 * - 's5:call' answers only frames whose URL is our renderer, and only contract method names;
 *   `pickFile` is answered here (native dialog), everything else goes to the engine, which runs in
 *   an Electron utilityProcess behind EngineHost (crash → error reply + restart, window survives).
 * The policy itself lives in security.ts and src/host/security.ts (no electron import) and is
 * unit-tested there.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  protocol,
  session,
  utilityProcess,
  type IpcMainInvokeEvent,
  type UtilityProcess,
} from 'electron';
import { PickFileRequestSchema, S5_METHOD_NAMES, type CallReply, type S5MethodName } from '../shared/api';
import { S5Error } from '../shared/errors';
import { EngineHost, routeCall, type EngineProcess, type ShellHandler } from '../host/engine-host';
import { toEngineArgv, type HostToEngine } from '../shared/engine-protocol';
import { IPC_CALL, IPC_EVENT } from '../shared/ipc-channels';
import { contentSecurityPolicy, documentSecurityHeaders, mimeTypeFor, resolveStaticPath } from '../host/security';
import {
  APP_ENTRY_URL,
  APP_HOST,
  APP_SCHEME,
  AUDIO_FILE_FILTERS,
  isAllowedNavigation,
  isPermissionAllowed,
  isTrustedRendererUrl,
  type RendererOrigins,
} from './security';

// Defined by @electron-forge/plugin-vite; the dev-server URL only while `electron-forge start` runs.
declare const MAIN_WINDOW_VITE_DEV_SERVER_URL: string | undefined;
declare const MAIN_WINDOW_VITE_NAME: string;

const devServerUrl = typeof MAIN_WINDOW_VITE_DEV_SERVER_URL === 'string' ? MAIN_WINDOW_VITE_DEV_SERVER_URL : undefined;
const rendererName = typeof MAIN_WINDOW_VITE_NAME === 'string' ? MAIN_WINDOW_VITE_NAME : 'main_window';
const origins: RendererOrigins = devServerUrl ? { devServerUrl } : {};
const rendererRoot = path.join(__dirname, '..', 'renderer', rendererName);

let mainWindow: BrowserWindow | null = null;
let engine: EngineHost | null = null;

// ---- engine ------------------------------------------------------------------------------------

/** Adapts an Electron UtilityProcess to EngineHost's process interface. */
function adaptUtilityProcess(child: UtilityProcess): EngineProcess {
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code;
  });
  return {
    get pid() {
      return child.pid;
    },
    postMessage: (message: HostToEngine) => child.postMessage(message),
    onMessage: (listener) => void child.on('message', listener),
    onExit: (listener) => {
      if (exited !== null) queueMicrotask(() => listener({ code: exited, signal: null }));
      else child.once('exit', (code) => listener({ code, signal: null }));
    },
    kill: () => void child.kill(),
  };
}

function launchUtilityEngine(starts: number): EngineProcess {
  const child = utilityProcess.fork(path.join(__dirname, 'entry.js'), toEngineArgv({ shell: 'electron', starts }), {
    serviceName: 'S5 Studio engine',
    stdio: 'inherit',
  });
  return adaptUtilityProcess(child);
}

// ---- IPC ---------------------------------------------------------------------------------------

const refuse = (message: string): CallReply => ({ ok: false, error: { code: 'invalid_request', message } });

/** The sender must be our window's top-level frame, showing our renderer (not a subframe, not a page it navigated to). */
function isTrustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (!frame || !mainWindow || mainWindow.isDestroyed() || event.sender !== mainWindow.webContents) return false;
  return frame.parent === null && isTrustedRendererUrl(frame.url, origins);
}

const electronShell: ShellHandler = async (method: S5MethodName, arg: unknown): Promise<CallReply> => {
  if (method !== 'pickFile') throw new S5Error('unsupported', `${method} is not a shell method`);
  const parsed = PickFileRequestSchema.safeParse(arg ?? {});
  if (!parsed.success) throw new S5Error('invalid_request', `bad argument for pickFile: ${parsed.error.message}`);
  const folder = parsed.data.purpose === 'folder';
  const options: Electron.OpenDialogOptions = folder
    ? { properties: ['openDirectory'] }
    : { properties: ['openFile'], filters: AUDIO_FILE_FILTERS };
  const result = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
  return { ok: true, value: { path: result.canceled ? null : (result.filePaths[0] ?? null) } };
};

function registerIpc(host: EngineHost): void {
  ipcMain.handle(IPC_CALL, async (event, method: unknown, arg: unknown): Promise<CallReply> => {
    if (!isTrustedSender(event)) return refuse('call refused: the sender is not the S5 Studio window');
    if (typeof method !== 'string' || !S5_METHOD_NAMES.includes(method as S5MethodName)) {
      return refuse(`unknown method: ${String(method).slice(0, 64)}`);
    }
    return routeCall(host, electronShell, method, arg);
  });
  host.subscribe((name, payload) => {
    if (mainWindow && !mainWindow.isDestroyed()) mainWindow.webContents.send(IPC_EVENT, name, payload);
  });
}

// ---- renderer loading and web-contents policy -----------------------------------------------

/** Serves the built renderer on app://s5/ with the same headers the web bridge sends. */
function registerAppProtocol(): void {
  const headers = documentSecurityHeaders(contentSecurityPolicy());
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const file = url.host === APP_HOST ? resolveStaticPath(rendererRoot, url.pathname) : null;
    if (!file) return new Response('not found', { status: 404, headers });
    try {
      const body = await readFile(file);
      return new Response(body, { status: 200, headers: { ...headers, 'Content-Type': mimeTypeFor(file) } });
    } catch {
      return new Response('not found', { status: 404, headers });
    }
  });
}

/** Dev server responses get the dev CSP (inline <style> for Vite's CSS injection, HMR socket). */
function applyDevCsp(): void {
  if (!devServerUrl) return;
  const dev = new URL(devServerUrl);
  const csp = contentSecurityPolicy({ dev: true, connect: [`ws://${dev.host}`] });
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    if (!isTrustedRendererUrl(details.url, origins)) return callback({});
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [csp] } });
  });
}

function lockDownSessions(): void {
  session.defaultSession.setPermissionRequestHandler((_wc, permission, callback, details) =>
    callback(isPermissionAllowed(permission, details.requestingUrl)));
  session.defaultSession.setPermissionCheckHandler((_wc, permission, requestingOrigin) =>
    isPermissionAllowed(permission, requestingOrigin));
  app.on('web-contents-created', (_event, contents) => {
    contents.on('will-navigate', (e, url) => {
      if (!isAllowedNavigation(url, origins)) e.preventDefault();
    });
    contents.on('will-redirect', (e, url) => {
      if (!isAllowedNavigation(url, origins)) e.preventDefault();
    });
    contents.on('will-attach-webview', (e) => e.preventDefault());
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1400,
    height: 900,
    show: false,
    title: 'S5 Studio',
    backgroundColor: '#111318',
    webPreferences: {
      preload: path.join(__dirname, 'preload.js'),
      sandbox: true,
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  win.on('closed', () => {
    if (mainWindow === win) mainWindow = null;
  });
  void win.loadURL(devServerUrl ?? APP_ENTRY_URL);
  return win;
}

// ---- lifecycle ---------------------------------------------------------------------------------

function main(): void {
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return;
  }
  app.enableSandbox();
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true, stream: true } },
  ]);
  app.on('second-instance', () => {
    if (!mainWindow) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
  app.on('activate', () => {
    if (app.isReady() && BrowserWindow.getAllWindows().length === 0) mainWindow = createWindow();
  });
  app.on('will-quit', () => {
    void engine?.dispose();
  });
  void app.whenReady().then(onReady);
}

function onReady(): void {
  lockDownSessions();
  registerAppProtocol();
  applyDevCsp();
  engine = new EngineHost({ launch: launchUtilityEngine });
  registerIpc(engine);
  void engine.start().catch(() => undefined); // failures surface as engineStatus events and error replies
  mainWindow = createWindow();
}

main();
