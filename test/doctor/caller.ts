import type { Caller } from '../../src/runner/service/context.ts';

/** The client a test calls the runner's handlers as: a test, following everything. */
export const testCaller: Caller = {
  id: 1,
  kind: 'test',
  pid: process.pid,
  subscription: { all: true, follows: new Set() },
  notify: () => undefined,
};
