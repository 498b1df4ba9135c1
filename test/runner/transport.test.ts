import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO } from '../e2e/helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('the runner connection', () => {
  it('lets a client process exit when its runner died in the middle of a message', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-frame-'));
    dirs.push(dir);
    const path = join(dir, 'sock');
    // A "runner" that dies after half a message: a header announcing 200 bytes, then 20 of them.
    const server = createServer((s) => {
      s.write('Content-Length: 200\r\n\r\n{"jsonrpc":"2.0","me');
      setTimeout(() => s.destroy(), 100);
    });
    await new Promise<void>((r) => server.listen(path, r));
    try {
      const child = spawn(
        join(REPO, 'node_modules/.bin/tsx'),
        ['test/runner/fixtures/partial-frame-peer.ts', path],
        {
          cwd: REPO,
          stdio: ['ignore', 'pipe', 'inherit'],
        },
      );
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      const how = await new Promise<string>((resolve) => {
        // vscode-jsonrpc's partial-message timer (10 s, re-armed) would keep it alive past this.
        const late = setTimeout(() => resolve('still running'), 15_000);
        child.on('exit', (code) => {
          clearTimeout(late);
          resolve(`exit ${code}`);
        });
      });
      if (how === 'still running') process.kill(-child.pid!, 'SIGKILL');
      expect(out).toBe('closed\n');
      expect(how).toBe('exit 0');
    } finally {
      server.close();
    }
  }, 30_000);
});
