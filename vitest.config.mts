import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // expect.poll waits on a state change; vitest's default (1 s) assumes an idle machine.
    expect: { poll: { timeout: 30_000, interval: 50 } },
  },
});
