import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';

/**
 * Where a site's runner keeps its files: beside the store it owns, so one store path is one site
 * and one runner. The socket goes there too unless the path is too long for a Unix socket
 * (sun_path holds 107 bytes on Linux); then it goes to a private per-user directory under /tmp.
 */
export interface RunnerPaths {
  store: string;
  socket: string;
  /** The runner's pid lock (`<store>.runner.lock`, holding its pid). */
  pidFile: string;
  log: string;
  /** The secret a client proves it may read the owner's files with (mode 0600). */
  cookie: string;
}

const MAX_SOCKET_PATH = 100;

export function runnerPaths(storePath: string): RunnerPaths {
  let socket = `${storePath}.sock`;
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    const hash = createHash('sha256').update(storePath).digest('hex').slice(0, 16);
    socket = join(tmpdir(), `rackpilot-${userInfo().uid}`, `${hash}.sock`);
  }
  return {
    store: storePath,
    socket,
    pidFile: `${storePath}.runner.lock`,
    log: `${storePath}.runner.log`,
    cookie: `${storePath}.runner.cookie`,
  };
}

/** The directories of a runner's files, owner-only (the store's directory may pre-exist). */
export function ensureRunnerDirs(paths: RunnerPaths): void {
  mkdirSync(dirname(paths.store), { recursive: true, mode: 0o700 });
  mkdirSync(dirname(paths.socket), { recursive: true, mode: 0o700 });
}
