/**
 * The Electron shell's own security policy, kept free of any `electron` import so every rule is
 * unit-tested under plain Node (test/unit/security.test.ts). docs/SECURITY.md maps each rule to the
 * test that proves it. The rules the shell shares with the web bridge (CSP, headers, static files)
 * are in src/host/security.ts.
 *
 * - Which URLs count as "our renderer" (IPC sender check, navigation policy).
 * - Permission requests, and the open dialog's file filters.
 */

/** The privileged custom scheme the packaged app loads its renderer from (never file://). */
export const APP_SCHEME = 'app';
export const APP_HOST = 's5';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

export interface RendererOrigins {
  /** Forge's Vite dev server (`npm start`), e.g. http://localhost:5173; absent in a packaged app. */
  devServerUrl?: string;
}

/** `URL.origin` is "null" for custom schemes in Node, so compare scheme + host + port ourselves. */
function originOf(raw: string): string | null {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return null;
  }
  if (url.username || url.password) return null;
  return `${url.protocol}//${url.host}`;
}

/** True when `url` is a page of our own renderer: the app:// origin, or the dev server in dev. */
export function isTrustedRendererUrl(url: string, origins: RendererOrigins = {}): boolean {
  const origin = originOf(url);
  if (origin === null) return false;
  if (origin === APP_ORIGIN) return true;
  const dev = origins.devServerUrl ? originOf(origins.devServerUrl) : null;
  return dev !== null && origin === dev && /^https?:$/.test(new URL(url).protocol);
}

/** Navigation policy: the window may only (re)load its own renderer; everything else is denied. */
export function isAllowedNavigation(url: string, origins: RendererOrigins = {}): boolean {
  return isTrustedRendererUrl(url, origins);
}

/** Electron permission requests (camera, geolocation, notifications, …): none is granted. */
export function isPermissionAllowed(_permission: string, _requestingUrl: string): boolean {
  return false;
}

/** File filters for the native open dialog (`pickFile` with purpose 'audio'). */
export const AUDIO_FILE_FILTERS = [
  { name: 'Audio', extensions: ['wav', 'flac', 'ogg', 'mp3'] },
  { name: 'All files', extensions: ['*'] },
];
