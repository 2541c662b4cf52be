/**
 * Security rules shared by the Electron shell (src/main/main.ts) and the web bridge
 * (src/web/server.ts), kept free of any `electron` import so every rule is unit-tested under plain
 * Node (test/unit/security.test.ts). docs/SECURITY.md maps each rule to the test that proves it.
 * The shell's own rules (app:// scheme, trusted renderer URLs, navigation, permissions) are in
 * src/main/security.ts.
 *
 * - The Content-Security-Policy strings and the other response headers.
 * - Static-file resolution without path traversal, and MIME types.
 * - Loopback Host / Origin checks and constant-time token comparison for the web bridge.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import path from 'node:path';

export interface CspOptions {
  /** Extra connect-src sources, e.g. the web bridge's `ws://127.0.0.1:PORT`. */
  connect?: string[];
  /**
   * Vite's dev server injects component CSS as <style> elements and opens an HMR WebSocket, so
   * dev mode allows inline <style> elements. Built bundles load CSS from files and need neither.
   */
  dev?: boolean;
}

/**
 * The renderer's Content-Security-Policy. Scripts only from our own origin (no inline, no eval).
 * Styles: files from our origin; `style-src-attr 'unsafe-inline'` because Svelte writes static
 * `style="…"` attributes through its HTML templates (blocked otherwise), while <style> elements
 * stay forbidden outside dev. Media and images may come from blob:/data: (the player and
 * waveform canvases); no plugins, no <base>, no framing.
 */
export function contentSecurityPolicy(options: CspOptions = {}): string {
  const connect = ["'self'", ...(options.connect ?? [])];
  const styleElem = options.dev ? ["'self'", "'unsafe-inline'"] : ["'self'"];
  const directives: [string, string[]][] = [
    ['default-src', ["'self'"]],
    ['script-src', ["'self'"]],
    ['style-src', ["'self'"]],
    ['style-src-elem', styleElem],
    ['style-src-attr', ["'unsafe-inline'"]],
    ['img-src', ["'self'", 'data:', 'blob:']],
    ['media-src', ["'self'", 'blob:']],
    ['font-src', ["'self'"]],
    ['connect-src', connect],
    ['worker-src', ["'self'"]],
    ['object-src', ["'none'"]],
    ['base-uri', ["'none'"]],
    ['form-action', ["'none'"]],
    ['frame-src', ["'none'"]],
    ['frame-ancestors', ["'none'"]],
  ];
  return directives.map(([name, sources]) => `${name} ${sources.join(' ')}`).join('; ');
}

/** Headers sent with every renderer file (web bridge and the app:// protocol). */
export function documentSecurityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'Cache-Control': 'no-store',
  };
}

const MIME_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wav': 'audio/wav',
  '.flac': 'audio/flac',
  '.ogg': 'audio/ogg',
  '.mp3': 'audio/mpeg',
};

/** MIME type for a served file; unknown extensions are served as opaque bytes. */
export function mimeTypeFor(filePath: string): string {
  return MIME_TYPES[path.extname(filePath).toLowerCase()] ?? 'application/octet-stream';
}

/**
 * Maps a request path (`/assets/x.js`, possibly percent-encoded, with or without a query) to a
 * file under `root`, or null when it would leave `root`, is malformed, or names a dotfile.
 * "/" maps to index.html. The caller still has to check that the file exists and is a file.
 */
export function resolveStaticPath(root: string, requestPath: string): string | null {
  const pathname = requestPath.split(/[?#]/, 1)[0] ?? '';
  if (!pathname.startsWith('/')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s.startsWith('.'))) return null;
  const relative = segments.length === 0 ? 'index.html' : segments.join('/');
  const base = path.resolve(root);
  const full = path.resolve(base, relative);
  return full.startsWith(base + path.sep) ? full : null;
}

/** The web bridge answers only requests addressed to its own loopback name (DNS-rebinding guard). */
export function isLoopbackHost(hostHeader: string | undefined, port: number): boolean {
  return hostHeader === `127.0.0.1:${port}` || hostHeader === `localhost:${port}`;
}

/**
 * WebSocket Origin policy: browsers always send Origin, so a present Origin must be the bridge's
 * own page origin; an absent Origin is a non-browser client (CLI, tests), which still needs the
 * token.
 */
export function isAllowedSocketOrigin(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return origin === `http://127.0.0.1:${port}` || origin === `http://localhost:${port}`;
}

/** Constant-time comparison of a presented token with the expected one (any lengths). */
export function tokensMatch(presented: string | null | undefined, expected: string): boolean {
  if (typeof presented !== 'string' || expected.length === 0) return false;
  const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(expected));
}
