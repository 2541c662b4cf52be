import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    // Limits end only waits that can no longer succeed; they are sized for a busy shared 2-core
    // machine (a training run and other test runs beside this one): integration tests start real
    // engines, trainers and CLIs whose start-up alone takes minutes there.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    // expect.poll waits on a state change; vitest's default (1 s) assumes an idle machine.
    expect: { poll: { timeout: 30_000, interval: 50 } },
  },
});
