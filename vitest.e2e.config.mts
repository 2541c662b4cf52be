import { defineConfig } from 'vitest/config';

// End-to-end: real engine + web bridge + the built renderer in headless Debian Chromium.
// Tests wait on the app's state (data-* attributes, elements), never on time; the limits below
// only end a wait that can no longer succeed, and are sized for a busy shared 2-core machine
// (training runs and other test runs beside this one), not for a quiet one.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    // expect.poll waits on a state change; vitest's default (1 s) assumes an idle machine.
    expect: { poll: { timeout: 60_000, interval: 100 } },
  },
});
