import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { OperatorError } from '../../util/errors.ts';
import { pidAlive } from '../../util/pid.ts';

/**
 * File I/O of the store: atomic replace (temp file in the same directory, fsync, rename, fsync dir),
 * owner-only modes, and a pid lock so two rackpilot processes never interleave writes.
 */
export const FILE_MODE = 0o600;

export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp`);
}

export function lockPathFor(path: string): string {
  return `${path}.lock`;
}

/** Reads the file; null when it does not exist. */
export async function readIfExists(path: string): Promise<string | null> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new OperatorError(`cannot read store file ${path}: ${(err as Error).message}`, {
      target: path,
      hint: 'check the file permissions and that the path is a regular file',
      cause: err,
    });
  }
}

/** Tightens a file that others can read (it holds IPMI passwords). Returns the old mode when it changed. */
export async function tightenMode(path: string): Promise<number | null> {
  const st = await fsp.stat(path);
  const mode = st.mode & 0o777;
  if ((mode & 0o077) === 0) return null;
  await fsp.chmod(path, FILE_MODE);
  return mode;
}

export class AtomicFileWriter {
  readonly path: string;
  readonly tempPath: string;
  private dirFd: fsp.FileHandle | null = null;
  writes = 0;
  bytes = 0;
  /** Bytes of the file as last written. */
  size = 0;

  constructor(path: string) {
    this.path = path;
    this.tempPath = tempPathFor(path);
  }

  /** Callers serialise writes; one temp file is enough. */
  async write(text: string): Promise<void> {
    // A temp file left by a killed process may carry any mode; never reuse it.
    await fsp.rm(this.tempPath, { force: true });
    const fh = await fsp.open(
      this.tempPath,
      constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
      FILE_MODE,
    );
    try {
      await fh.writeFile(text, 'utf8');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.rename(this.tempPath, this.path);
    // The rename itself is only durable once the directory entry is on disk.
    this.dirFd ??= await fsp.open(dirname(this.path), 'r');
    await this.dirFd.sync().catch(() => undefined);
    this.writes += 1;
    this.size = Buffer.byteLength(text);
    this.bytes += this.size;
  }

  async close(): Promise<void> {
    await this.dirFd?.close();
    this.dirFd = null;
  }
}

async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename is as durable as they allow.
  } finally {
    await fh.close();
  }
}

/**
 * Takes `<store>.lock`. A lock whose pid is gone (a killed process) is taken over and reported.
 * Returns a note for the operator when a stale lock was removed.
 */
export async function acquireLock(
  path: string,
): Promise<{ note: string | null; release: () => Promise<void> }> {
  const lockPath = lockPathFor(path);
  let note: string | null = null;
  for (let tries = 0; tries < 3; tries++) {
    try {
      const fh = await fsp.open(
        lockPath,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL,
        FILE_MODE,
      );
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      let released = false;
      return {
        note,
        release: async () => {
          if (released) return;
          released = true;
          await fsp.rm(lockPath, { force: true });
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number.parseInt((await readIfExists(lockPath)) ?? '', 10);
    if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) {
      throw new OperatorError(`store ${path} is in use by process ${owner}`, {
        target: path,
        hint:
          owner === process.pid
            ? 'this process already opened the store; reuse that Store object'
            : 'another rackpilot is running against this store; close it, or use a different --store path',
      });
    }
    await fsp.rm(lockPath, { force: true });
    note = `removed stale lock ${lockPath} left by process ${Number.isInteger(owner) ? owner : '?'} (no longer running)`;
  }
  throw new OperatorError(`cannot take the lock ${lockPath}`, {
    target: path,
    hint: 'remove the lock file by hand',
  });
}

export function journalPathFor(path: string): string {
  return `${path}.journal`;
}

/**
 * The append-only task journal beside the store file. Appending a line and fdatasync-ing an existing
 * file costs a fraction of rewriting the whole store, which is what lets every step boundary be durable.
 * The first line names the generation of the store file it extends; a journal whose generation differs
 * from the store file's was already folded into it (a crash between the two renames) and is ignored.
 */
export class JournalFile {
  appends = 0;
  bytes = 0;
  size = 0;
  private constructor(
    readonly path: string,
    private fh: fsp.FileHandle,
  ) {}

  /** Atomically replaces the journal with an empty one of generation `gen`. */
  static async create(path: string, gen: string): Promise<JournalFile> {
    const temp = tempPathFor(path);
    await fsp.rm(temp, { force: true });
    const header = `${JSON.stringify({ journal: gen })}\n`;
    const fh = await fsp.open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, FILE_MODE);
    try {
      await fh.writeFile(header, 'utf8');
      await fh.datasync();
    } finally {
      await fh.close();
    }
    await fsp.rename(temp, path);
    // Appends acknowledged later must not vanish with a directory entry lost in a power cut.
    await syncDir(dirname(path));
    const j = new JournalFile(path, await fsp.open(path, 'a', FILE_MODE));
    j.size = Buffer.byteLength(header);
    return j;
  }

  async append(text: string): Promise<void> {
    await this.fh.appendFile(text, 'utf8');
    await this.fh.datasync();
    const n = Buffer.byteLength(text);
    this.appends += 1;
    this.bytes += n;
    this.size += n;
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

export interface JournalContents {
  gen: string | null;
  records: unknown[];
  /** A last line cut short by a crash mid-append; it was never acknowledged, so it is dropped. */
  tornTail: boolean;
}

/** Reads the journal; null when absent. Throws (with the line number) on damage before the last line. */
export async function readJournal(path: string): Promise<JournalContents | null> {
  const text = await readIfExists(path);
  if (text === null) return null;
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  const out: JournalContents = { gen: null, records: [], tornTail: false };
  for (let i = 0; i < lines.length; i++) {
    const last = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(lines[i]!);
    } catch (err) {
      if (last && !complete) {
        out.tornTail = true;
        break;
      }
      throw new OperatorError(
        `store journal ${path} is damaged at line ${i + 1} (${(err as Error).message}); it was left untouched`,
        {
          target: path,
          hint: 'restore the store and its journal from a backup, or move the journal aside to lose the task changes it holds',
        },
      );
    }
    if (i === 0) {
      const gen = (value as { journal?: unknown } | null)?.journal;
      out.gen = typeof gen === 'string' ? gen : null;
    } else out.records.push(value);
  }
  return out;
}
