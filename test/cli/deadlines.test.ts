import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, cliOk } from '../runner/cli-process.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { expectClean, KEY } from '../campaign/clean.ts';
import { slowPeers } from '../runner/slow-peers.ts';

/**
 * Every wait of a command has one deadline, set by a setting the message names (issue 24): real
 * `rackpilot` processes, each case with its own store, against peers that accept and then keep
 * the command waiting. Each command must end within its deadline plus 2 s, beyond the time the
 * same command line takes to start and end with no wait at all (measured first, on that store:
 * the machine may be loaded).
 */
const DEADLINE_S = 2;
const d = mkdtempSync(join(tmpdir(), 'rp-deadlines-'));
const { slowMaas, promptlessSwitch, deafBmc, close: closePeers } = slowPeers();

/** A one-rack file: switch tor-r01 on loopback with `sw` over its defaults, and `hosts`. */
function rackFile(name: string, sw: Record<string, unknown>, hosts: unknown[]): string {
  const path = join(d, name);
  const l2Switch = {
    name: 'tor-r01',
    ip: '127.0.0.1',
    username: 'admin',
    type: 'force10',
    pxeVlan: 10,
    ...sw,
  };
  writeFileSync(path, JSON.stringify({ racks: [{ name: 'r01', l2Switch, hosts }] }));
  return path;
}

function site(name: string, extra: Record<string, string>): Record<string, string> {
  return {
    HOME: d,
    RACKPILOT_ENV_FILE: '',
    MAAS_API_KEY: KEY,
    RACKPILOT_STORE: join(d, name, 'store.json'),
    RACKPILOT_KNOWN_HOSTS: join(d, name, 'known_hosts'),
    RACKPILOT_POWER_SWEEP_MS: '0',
    ...extra,
  };
}

/**
 * How long a command line takes against `env` when nothing makes it wait: `rackpilot tasks` once
 * to start the store's runner, then `baseline` timed, a command that loads what the tested one
 * loads and ends before it would wait on the peer.
 */
async function startupMs(env: Record<string, string>, baseline: string[] = ['tasks']): Promise<number> {
  await cliOk(['tasks'], env);
  const t0 = Date.now();
  await cli(baseline, env);
  return Date.now() - t0;
}

async function timed(args: string[], env: Record<string, string>) {
  const t0 = Date.now();
  const r = await cli(args, env);
  return { ...r, ms: Date.now() - t0 };
}

afterAll(async () => {
  await stopRunnersUnder(d);
  closePeers();
});

describe('one deadline per command, named in its message', () => {
  it('a MaaS that accepts and never answers: `hosts` ends at RACKPILOT_MAAS_TIMEOUT, after one call', async () => {
    const maas = await slowMaas(null);
    const env = site('silent', { MAAS_URL: maas.url, RACKPILOT_MAAS_TIMEOUT: String(DEADLINE_S) });
    const base = await startupMs(env);
    const r = await timed(['hosts'], env);
    expect(r.code).toBe(1);
    expectClean(
      r.err,
      /MaaS at http:\/\/127\.0\.0\.1:\d+\/MAAS \(MAAS_URL\) did not answer within 2 s \(RACKPILOT_MAAS_TIMEOUT\)/,
    );
    expect(r.ms).toBeLessThan(base + (DEADLINE_S + 2) * 1000);
    // The first call timed out: no second one (the machine list after the events query).
    expect(maas.requests()).toBe(1);
  }, 60_000);

  it('a MaaS that answers after the deadline: the command does not wait for the answer', async () => {
    const maas = await slowMaas((DEADLINE_S + 4) * 1000);
    const env = site('late', { MAAS_URL: maas.url, RACKPILOT_MAAS_TIMEOUT: String(DEADLINE_S) });
    const base = await startupMs(env);
    const r = await timed(['hosts', '--json'], env);
    expect(r.code).toBe(1);
    expectClean(r.err, /MaaS at \S+ \(MAAS_URL\) did not answer within 2 s \(RACKPILOT_MAAS_TIMEOUT\)/);
    expect(r.out).toBe('');
    expect(r.ms).toBeLessThan(base + (DEADLINE_S + 2) * 1000);
    expect(maas.requests()).toBe(1);
  }, 60_000);

  it('a switch that never finishes its login: `switch show` ends at RACKPILOT_SWITCH_TIMEOUT', async () => {
    const maas = await slowMaas(null);
    const port = await promptlessSwitch();
    const rack = rackFile('rack-switch.json', { sshPort: port, password: 'sw-pass' }, [
      { mac: '02:00:00:00:01:01', port: '1/1/1', hostname: 'r01-n001' },
    ]);
    const env = site('switch', {
      MAAS_URL: maas.url,
      RACKPILOT_RACK_FILE: rack,
      RACKPILOT_SWITCH_TIMEOUT: String(DEADLINE_S),
    });
    const base = await startupMs(env, ['switch', 'show', 'tor-r99']); // no such switch: no login
    const r = await timed(['switch', 'show', 'tor-r01'], env);
    expect(r.code).toBe(1);
    expectClean(r.err, /tor-r01/);
    expect(r.err).toMatch(/login did not reach a prompt within 2 s \(RACKPILOT_SWITCH_TIMEOUT\)/);
    expect(r.ms).toBeLessThan(base + (DEADLINE_S + 2) * 1000);
  }, 60_000);

  it('a BMC that never answers: `ipmi HOST power status` ends at RACKPILOT_BMC_TIMEOUT', async () => {
    const maas = await slowMaas(null);
    const port = await deafBmc();
    const rack = rackFile('rack-bmc.json', { password: 'x' }, [
      {
        mac: '02:00:00:00:04:01',
        port: '1/1/4',
        hostname: 'r01-n004',
        bmc: { address: '127.0.0.1', port, username: 'admin', password: 'bmc-pass' },
      },
    ]);
    const env = site('bmc', {
      MAAS_URL: maas.url,
      RACKPILOT_RACK_FILE: rack,
      RACKPILOT_BMC_TIMEOUT: String(DEADLINE_S),
    });
    const base = await startupMs(env, ['ipmi', 'r01-n099', 'power', 'status']); // no such host: no BMC
    const r = await timed(['ipmi', 'r01-n004', 'power', 'status'], env);
    expect(r.code).toBe(1);
    expectClean(r.err, /BMC of r01-n004 \(127\.0\.0\.1:\d+\) did not answer/, { secrets: ['bmc-pass'] });
    expect(r.err).toMatch(/over 2 s \(RACKPILOT_BMC_TIMEOUT\)/);
    expect(r.ms).toBeLessThan(base + (DEADLINE_S + 2) * 1000);
  }, 60_000);
});
