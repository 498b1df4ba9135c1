/**
 * A task's console recording: every byte a host's console sent while the task held the host, in
 * a file of its own under the state directory (owner-only), readable after the task with
 * `rackpilot console HOST --task ID`.
 */
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { OperatorError } from '../../util/errors.ts';

const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

export function recordingPath(dir: string, taskId: string, hostname: string): string {
  // Both come from the store, but a path is built from them: refuse anything that could climb out.
  if (!SAFE.test(taskId) || !SAFE.test(hostname))
    throw new Error(`unsafe recording name ${taskId}/${hostname}`);
  return join(dir, `${taskId}.${hostname}.console`);
}

export class Recording {
  readonly path: string;
  /** Open while the task holds the host: a console sends many small chunks (one SOL packet each). */
  private fd: number | undefined;

  constructor(dir: string, taskId: string, hostname: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    this.path = recordingPath(dir, taskId, hostname);
    // Created 0600 before the first byte.
    this.fd = openSync(this.path, 'a', 0o600);
  }

  append(data: Buffer): void {
    if (this.fd === undefined) return;
    try {
      for (let at = 0; at < data.length;) at += writeSync(this.fd, data, at);
    } catch {
      // A full disk loses the recording, never the console.
    }
  }

  close(): void {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    try {
      closeSync(fd);
    } catch {
      // Already gone with the disk: nothing more to keep.
    }
  }
}

export function readRecording(dir: string, taskId: string, hostname: string): Buffer {
  const path = recordingPath(dir, taskId, hostname);
  if (!existsSync(path)) {
    throw new OperatorError(`no console recording of ${hostname} for task ${taskId}`, {
      hint: 'recordings exist for tasks that held the host while its BMC offered Serial-over-LAN',
      target: hostname,
    });
  }
  return readFileSync(path);
}
