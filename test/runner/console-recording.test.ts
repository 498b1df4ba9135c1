import { mkdtempSync, rmSync, statSync } from 'node:fs';
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
  it('holds every byte appended, in order, while open and once closed, and nothing after', () => {
    const dir = tempDir();
    const r = new Recording(dir, 't-00000001', 'r01-n001');
    const chunks = Array.from({ length: 200 }, (_, i) => Buffer.from(`line ${i}\r\n`));
    for (const c of chunks.slice(0, 100)) r.append(c);
    expect(readRecording(dir, 't-00000001', 'r01-n001').toString()).toBe(
      Buffer.concat(chunks.slice(0, 100)).toString(),
    );
    for (const c of chunks.slice(100)) r.append(c);
    r.close();
    r.append(Buffer.from('after the task\r\n'));
    expect(readRecording(dir, 't-00000001', 'r01-n001').toString()).toBe(Buffer.concat(chunks).toString());
  });

  it('is owner-only, in an owner-only directory, from before its first byte', () => {
    const dir = tempDir();
    const r = new Recording(dir, 't-00000002', 'r01-n002');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(recordingPath(dir, 't-00000002', 'r01-n002')).mode & 0o777).toBe(0o600);
    r.close();
  });

  it('says which host and task have none, and refuses names that could leave its directory', () => {
    const dir = tempDir();
    expect(() => readRecording(dir, 't-00000003', 'r01-n003')).toThrow(
      /no console recording of r01-n003 for task t-00000003/,
    );
    expect(() => new Recording(dir, '../t', 'r01-n003')).toThrow(/unsafe recording name/);
  });

  it('makes its directory again when it was removed under the runner', () => {
    const dir = tempDir();
    new Recording(dir, 't-00000004', 'r01-n004').close();
    rmSync(dir, { recursive: true });
    const r = new Recording(dir, 't-00000005', 'r01-n005');
    r.append(Buffer.from('login: '));
    r.close();
    expect(readRecording(dir, 't-00000005', 'r01-n005').toString()).toBe('login: ');
  });
});
