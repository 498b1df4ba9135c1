/**
 * A task's console recording: every byte a host's console sent while the task held the host, in
 * a file of its own under the state directory (owner-only), readable after the task with
 * `rackpilot console HOST --task ID`.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OperatorError } from '../../util/errors.ts';

const SAFE = /^[A-Za-z0-9._-]{1,64}$/;

export function recordingPath(dir: string, taskId: string, hostname: string): string {
  // Both come from the store, but a path is built from them: refuse anything that could climb out.
  if (!SAFE.test(taskId) || !SAFE.test(hostname))
    throw new Error(`unsafe recording name ${taskId}/${hostname}`);
  return join(dir, `${taskId}.${hostname}.console`);
}

/** Directories made owner-only once per process: a recording per task must not cost a mkdir each. */
const madeDirs = new Set<string>();

/**
 * Recordings not yet on disk whole, by path: a read waits for what was appended before it to land,
 * so it never sees less than the console had printed when it was asked.
 */
const unsettled = new Map<string, Recording>();

/**
 * A console's chunks go to disk together, at most this long after they came: every write's
 * completion comes back to the runner's thread, and a console sends a chunk per SOL packet (500
 * create+destroy pairs: 2,500 writes batched, 9,800 not). A runner killed outright loses at most
 * this much of a recording.
 */
const FLUSH_MS = 100;

export class Recording {
  readonly path: string;
  /**
   * Open while the task holds the host. The file is opened and written on libuv's pool, not on the
   * runner's thread: with a hundred tasks running, a file opened per task and a write per chunk
   * took that thread 0.4 s in 500 create+destroy pairs.
   */
  private out: WriteStream | undefined;
  private closing: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(dir: string, taskId: string, hostname: string) {
    this.path = recordingPath(dir, taskId, hostname);
    if (!madeDirs.has(dir)) {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      madeDirs.add(dir);
    }
    // Created 0600 before the first byte. A full disk loses the recording, never the console.
    this.out = createWriteStream(this.path, { flags: 'a', mode: 0o600 });
    this.out.on('error', () => {
      madeDirs.delete(dir); // gone from under the runner, perhaps: the next recording makes it again
      void this.close();
    });
    unsettled.set(this.path, this);
  }

  append(data: Buffer): void {
    const out = this.out;
    if (!out) return;
    if (!this.flushTimer) {
      out.cork();
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
    out.write(data);
  }

  /** Ends the file; resolves once it is closed, with every byte appended on disk. */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.flush();
    const out = this.out!;
    this.out = undefined;
    this.closing = new Promise<void>((resolve) => {
      if (out.closed) resolve();
      else out.once('close', () => resolve());
      if (!out.destroyed) out.end();
    }).finally(() => {
      if (unsettled.get(this.path) === this) unsettled.delete(this.path);
    });
    return this.closing;
  }

  /** Resolves once what was appended so far is on disk (written after the file's open and in order). */
  settled(): Promise<void> {
    const out = this.out;
    if (!out) return this.closing!;
    this.flush();
    return new Promise((resolve) => out.write(Buffer.alloc(0), () => resolve()));
  }

  private flush(): void {
    if (!this.flushTimer) return;
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    this.out?.uncork();
  }
}

export async function readRecording(dir: string, taskId: string, hostname: string): Promise<Buffer> {
  const path = recordingPath(dir, taskId, hostname);
  await unsettled.get(path)?.settled();
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new OperatorError(`no console recording of ${hostname} for task ${taskId}`, {
      hint: 'recordings exist for tasks that held the host while its BMC offered Serial-over-LAN',
      target: hostname,
    });
  }
}
