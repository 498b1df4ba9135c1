import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, cliOk } from '../runner/cli-process.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { KEY } from '../campaign/clean.ts';
import { rackpilot, startTerminal, type Terminal } from './terminal.ts';

/**
 * What the CLI shows while it waits (issue 24), in a real terminal: during a slow MaaS list a
 * spinner line on stderr names what is awaited and the time so far; it is gone once the answer is
 * in; when stderr is a pipe nothing of it is written.
 */
const SLOW_MS = 2500;
const d = mkdtempSync(join(tmpdir(), 'rp-waitline-'));
let maas: Server;
let env: Record<string, string>;
let term: Terminal | undefined;

beforeAll(async () => {
  // A region that answers every read, each after SLOW_MS: an empty site, slowly.
  maas = createServer((req, res) => {
    const timer = setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const events = /op=query/.test(req.url ?? '') && /\/events\//.test(req.url ?? '');
      res.end(JSON.stringify(events ? { count: 0, events: [], next_uri: '', prev_uri: '' } : []));
    }, SLOW_MS);
    req.socket.once('close', () => clearTimeout(timer));
  });
  await new Promise<void>((ok) => maas.listen(0, '127.0.0.1', ok));
  env = {
    HOME: d,
    RACKPILOT_ENV_FILE: '',
    MAAS_URL: `http://127.0.0.1:${(maas.address() as AddressInfo).port}/MAAS`,
    MAAS_API_KEY: KEY,
    RACKPILOT_STORE: join(d, 'site', 'store.json'),
    RACKPILOT_MAAS_TIMEOUT: '20',
    RACKPILOT_POWER_SWEEP_MS: '0',
  };
  await cliOk(['tasks'], env); // the store's runner, started before the terminal's command
}, 60_000);

afterAll(async () => {
  await term?.close();
  await stopRunnersUnder(d);
  maas.closeAllConnections();
  maas.close();
});

describe('the wait line', () => {
  it('shows what is awaited with its elapsed time during a slow MaaS list, and is cleared after', async () => {
    term = await startTerminal({ cmd: rackpilot('hosts'), env, size: { cols: 100, rows: 20 } });
    const elapsed = (screen: string) =>
      Number(/waiting for MaaS's machine list \((\d+)s\)/.exec(screen)?.[1]);
    const during = await term.waitForScreen(
      /waiting for MaaS's machine list \(\d+s\)/,
      15_000,
      'the wait line',
    );
    expect(during.split('\n').filter((l) => /waiting for/.test(l))).toHaveLength(1);
    // It is redrawn in place as time goes: a later screen shows more seconds, still on one line.
    const first = elapsed(during);
    const later = await term.waitFor((s) => elapsed(s) > first, 15_000, 'the elapsed time to grow');
    expect(later.split('\n').filter((l) => /waiting for/.test(l))).toHaveLength(1);
    await term.waitForExit(30_000);
    const after = await term.screen();
    expect(after).toMatch(/HOST\s+RACK\s+SWITCH/);
    expect(after).not.toMatch(/waiting for/);
  }, 60_000);

  it('writes nothing of it when stderr is a pipe', async () => {
    const r = await cli(['hosts'], env);
    expect(r.code, r.err).toBe(0);
    expect(r.err).not.toMatch(/waiting for|\u001b\[/);
    expect(r.out).toMatch(/^HOST\s+RACK/);
  }, 60_000);
});
