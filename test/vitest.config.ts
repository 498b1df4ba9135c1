import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    root: new URL('..', import.meta.url).pathname,
    include: ['test/**/*.test.{ts,tsx}'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Lab servers bind loopback ports; forks keep each file's sockets in its own process.
    pool: 'forks',
    // vitest's default is one worker fewer than the cores: one file at a time on CI's 2 cores, though
    // most files spend their time waiting on runners, etcd, SSH, BMCs and timeouts, not on the CPU.
    // Three files at once (measured on 2 cores, test/etcd + test/doctor: 194 s with 2, 122 s with 3).
    maxWorkers: 3,
    // Runners are detached processes: whatever happens, none outlives the suite.
    globalSetup: ['test/global-runners.ts'],
  },
});
