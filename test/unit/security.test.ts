/**
 * src/main/security.ts (the Electron shell's own rules) and src/host/security.ts (the rules the shell
 * shares with the web bridge), tested without Electron.
 * Each block proves an item of docs/SECURITY.md.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import {
  contentSecurityPolicy,
  documentSecurityHeaders,
  isAllowedSocketOrigin,
  isLoopbackHost,
  mimeTypeFor,
  resolveStaticPath,
  tokensMatch,
} from '../../src/host/security';
import { APP_ENTRY_URL, isAllowedNavigation, isPermissionAllowed, isTrustedRendererUrl } from '../../src/main/security';

const dev = { devServerUrl: 'http://localhost:5173' };

/** "a b; c d" → Map(a → [b], c → [d]) */
function directives(csp: string): Map<string, string[]> {
  return new Map(csp.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...sources]) => [name, sources]));
}

describe('IPC sender / navigation: only our renderer', () => {
  test.each([
    [APP_ENTRY_URL, true],
    ['app://s5/assets/index-abc.js', true],
    ['app://s5/index.html?x=1#y', true],
    ['app://evil/index.html', false],
    ['app://s5.evil/index.html', false],
    ['app://user:pw@s5/index.html', false],
    ['file:///work/main/.vite/renderer/main_window/index.html', false],
    ['http://localhost:5173/', false], // dev server not trusted in a packaged app
    ['https://example.com/', false],
    ['about:blank', false],
    ['data:text/html,<script>1</script>', false],
    ['javascript:alert(1)', false],
    ['not a url', false],
    ['', false],
  ])('packaged: %s → %s', (url, ok) => {
    expect(isTrustedRendererUrl(url)).toBe(ok);
    expect(isAllowedNavigation(url)).toBe(ok);
  });

  test.each([
    ['http://localhost:5173/', true],
    ['http://localhost:5173/src/main.ts', true],
    ['http://localhost:5174/', false],
    ['http://127.0.0.1:5173/', false],
    ['ws://localhost:5173/', false],
    ['https://localhost:5173/', false],
    [APP_ENTRY_URL, true],
  ])('dev: %s → %s', (url, ok) => {
    expect(isTrustedRendererUrl(url, dev)).toBe(ok);
  });
});

describe('Content-Security-Policy', () => {
  const csp = directives(contentSecurityPolicy({ connect: ['ws://127.0.0.1:4000'] }));

  test('scripts only from our origin: no inline, no eval, no wasm eval', () => {
    expect(csp.get('script-src')).toEqual(["'self'"]);
    expect(csp.get('default-src')).toEqual(["'self'"]);
  });

  test('no plugins, no <base>, no framing, no form posts', () => {
    expect(csp.get('object-src')).toEqual(["'none'"]);
    expect(csp.get('base-uri')).toEqual(["'none'"]);
    expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
    expect(csp.get('frame-src')).toEqual(["'none'"]);
    expect(csp.get('form-action')).toEqual(["'none'"]);
  });

  test('network only to self and the given socket', () => {
    expect(csp.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:4000']);
    expect(csp.get('img-src')).toEqual(["'self'", 'data:', 'blob:']);
  });

  test('built bundles: no inline <style>; style attributes allowed (Svelte templates)', () => {
    expect(csp.get('style-src')).toEqual(["'self'"]);
    expect(csp.get('style-src-elem')).toEqual(["'self'"]);
    expect(csp.get('style-src-attr')).toEqual(["'unsafe-inline'"]);
  });

  test("dev server: inline <style> (Vite's CSS injection), still no inline script", () => {
    const devCsp = directives(contentSecurityPolicy({ dev: true, connect: ['ws://localhost:5173'] }));
    expect(devCsp.get('style-src-elem')).toContain("'unsafe-inline'");
    expect(devCsp.get('script-src')).toEqual(["'self'"]);
  });

  test('nothing anywhere allows unsafe-eval or a wildcard', () => {
    const text = contentSecurityPolicy({ dev: true });
    expect(text).not.toContain('unsafe-eval');
    expect(text).not.toMatch(/\s\*(\s|;|$)/);
  });

  test('document headers: CSP, nosniff, cross-origin isolation, no framing', () => {
    const h = documentSecurityHeaders('x');
    expect(h['Content-Security-Policy']).toBe('x');
    expect(h['X-Content-Type-Options']).toBe('nosniff');
    expect(h['Cross-Origin-Opener-Policy']).toBe('same-origin');
    expect(h['Cross-Origin-Embedder-Policy']).toBe('require-corp');
    expect(h['X-Frame-Options']).toBe('DENY');
  });
});

describe('static files: no path traversal', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 's5-static-'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html>');

  test.each([
    ['/', 'index.html'],
    ['/index.html', 'index.html'],
    ['/assets/index-abc.js?v=1', 'assets/index-abc.js'],
    ['/assets/a%20b.css', 'assets/a b.css'],
  ])('%s → %s', (url, rel) => {
    expect(resolveStaticPath(root, url)).toBe(path.join(root, rel));
  });

  test.each([
    '/../package.json',
    '/..%2fpackage.json',
    '/%2e%2e/package.json',
    '/%2e%2e%2fpackage.json',
    '/assets/../../etc/passwd',
    '/..\\package.json',
    '/%5c..%5cpackage.json',
    '/index.html%00.js',
    '/%E0%A4%A',
    '/.env',
    '/assets/.git/config',
    'index.html',
    '//etc/passwd/..',
  ])('%s → refused', (url) => {
    expect(resolveStaticPath(root, url)).toBeNull();
  });

  test('MIME types, including wasm', () => {
    expect(mimeTypeFor('a.wasm')).toBe('application/wasm');
    expect(mimeTypeFor('a.JS')).toMatch(/^text\/javascript/);
    expect(mimeTypeFor('a.css')).toMatch(/^text\/css/);
    expect(mimeTypeFor('a.svg')).toBe('image/svg+xml');
    expect(mimeTypeFor('a.html')).toMatch(/^text\/html/);
    expect(mimeTypeFor('a.unknown')).toBe('application/octet-stream');
  });
});

describe('web bridge: loopback host, origin, token', () => {
  test('Host header must name the bridge on loopback (DNS rebinding)', () => {
    expect(isLoopbackHost('127.0.0.1:4000', 4000)).toBe(true);
    expect(isLoopbackHost('localhost:4000', 4000)).toBe(true);
    expect(isLoopbackHost('evil.example:4000', 4000)).toBe(false);
    expect(isLoopbackHost('127.0.0.1:4001', 4000)).toBe(false);
    expect(isLoopbackHost(undefined, 4000)).toBe(false);
  });

  test('Origin: absent (non-browser) or our own page only', () => {
    expect(isAllowedSocketOrigin(undefined, 4000)).toBe(true);
    expect(isAllowedSocketOrigin('http://127.0.0.1:4000', 4000)).toBe(true);
    expect(isAllowedSocketOrigin('http://evil.example', 4000)).toBe(false);
    expect(isAllowedSocketOrigin('http://127.0.0.1:4001', 4000)).toBe(false);
    expect(isAllowedSocketOrigin('null', 4000)).toBe(false);
  });

  test('token comparison', () => {
    expect(tokensMatch('abc', 'abc')).toBe(true);
    expect(tokensMatch('abd', 'abc')).toBe(false);
    expect(tokensMatch('ab', 'abc')).toBe(false);
    expect(tokensMatch('', 'abc')).toBe(false);
    expect(tokensMatch(null, 'abc')).toBe(false);
    expect(tokensMatch(undefined, 'abc')).toBe(false);
    expect(tokensMatch('', '')).toBe(false);
  });

  test('no permission is ever granted to web content', () => {
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) {
      expect(isPermissionAllowed(p, APP_ENTRY_URL)).toBe(false);
    }
  });
});
