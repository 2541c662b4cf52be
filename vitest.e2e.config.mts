import { defineConfig } from 'vitest/config';

// End-to-end: real engine + web bridge + the built renderer in headless Debian Chromium.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    fileParallelism: false,
  },
});
