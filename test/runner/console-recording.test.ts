import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRecording, Recording, recordingPath } from '../../src/runner/console/recording.ts';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rp-recording-'));
  dirs.push(d);
  return join(d, 'consoles');
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('a task console recording', () => {
  it('is read whole at once, while open and once closed, in the order the console printed it', async () => {
    const dir = tempDir();
    const r = new Recording(dir, 't-00000001', 'r01-n001');
    const chunks = Array.from({ length: 200 }, (_, i) => Buffer.from(`line ${i}\r\n`));
    for (const c of chunks.slice(0, 100)) r.append(c);
    // No wait between the appends and the read: the file is written off the thread, yet the read
    // sees every byte appended before it.
    expect((await readRecording(dir, 't-00000001', 'r01-n001')).toString()).toBe(
      Buffer.concat(chunks.slice(0, 100)).toString(),
    );
    for (const c of chunks.slice(100)) r.append(c);
    const closed = r.close();
    expect((await readRecording(dir, 't-00000001', 'r01-n001')).toString()).toBe(
      Buffer.concat(chunks).toString(),
    );
    await closed;
    r.append(Buffer.from('after the task\r\n'));
    expect((await readRecording(dir, 't-00000001', 'r01-n001')).length).toBe(Buffer.concat(chunks).length);
  });

  it('is owner-only, in an owner-only directory, from before its first byte', async () => {
    const dir = tempDir();
    const r = new Recording(dir, 't-00000002', 'r01-n002');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    await r.close();
    expect(statSync(recordingPath(dir, 't-00000002', 'r01-n002')).mode & 0o777).toBe(0o600);
  });

  it('says which host and task have none, and refuses names that could leave its directory', async () => {
    const dir = tempDir();
    await expect(readRecording(dir, 't-00000003', 'r01-n003')).rejects.toThrow(
      /no console recording of r01-n003 for task t-00000003/,
    );
    expect(() => new Recording(dir, '../t', 'r01-n003')).toThrow(/unsafe recording name/);
  });

  it('loses the recording, not the console, when its file cannot be written', async () => {
    const dir = tempDir();
    new Recording(dir, 't-00000004', 'r01-n004'); // makes the directory
    // A directory where the file should be: the open fails on the pool, after the constructor returned.
    mkdirSync(recordingPath(dir, 't-00000005', 'r01-n005'));
    const bad = new Recording(dir, 't-00000005', 'r01-n005');
    bad.append(Buffer.from('boot: '));
    await expect(bad.close()).resolves.toBeUndefined();
    bad.append(Buffer.from('ok'));
  });

  it('makes its directory again once it was removed under the runner', async () => {
    const dir = tempDir();
    await new Recording(dir, 't-00000007', 'r01-n007').close();
    rmSync(dir, { recursive: true });
    // The first after the removal finds no directory: lost, and the directory is made for the next.
    await new Recording(dir, 't-00000008', 'r01-n008').close();
    const next = new Recording(dir, 't-00000009', 'r01-n009');
    next.append(Buffer.from('login: '));
    await next.close();
    expect((await readRecording(dir, 't-00000009', 'r01-n009')).toString()).toBe('login: ');
  });
});
