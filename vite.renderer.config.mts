import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/**
 * index.html carries a strict CSP (`style-src 'self'`). The production bundle satisfies it: Svelte's
 * scoped styles are extracted into a CSS file. The dev server instead injects styles as <style>
 * elements (and hot-swaps them), so only while serving we add 'unsafe-inline' to style-src.
 */
function devStyleCsp(): Plugin {
  return {
    name: 's5-dev-style-csp',
    apply: 'serve',
    transformIndexHtml(html) {
      return html.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
    },
  };
}

// The renderer is a static bundle: loaded from file:// by Electron, or served by the web bridge.
export default defineConfig({
  root: 'src/renderer',
  base: './',
  plugins: [svelte({ compilerOptions: { runes: true } }), devStyleCsp()],
  build: { outDir: '../../.vite/renderer/main_window', emptyOutDir: true },
});
