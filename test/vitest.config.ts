import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Lab servers bind loopback ports; forks keep each file's sockets in its own process.
    pool: 'forks',
    // Runners are detached processes: whatever happens, none outlives the suite.
    globalSetup: ['test/global-runners.ts'],
  },
});
