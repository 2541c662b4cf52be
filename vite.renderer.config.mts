import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The renderer is a static bundle: loaded from file:// by Electron, or served by the web bridge.
export default defineConfig({
  root: 'src/renderer',
  base: './',
  plugins: [svelte()],
  build: { outDir: '../../.vite/renderer/main_window', emptyOutDir: true },
});
