import { chmodSync, copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { rackCommand } from '../../src/cli/rack.ts';
import { clearSecretsForTest } from '../../src/util/redact.ts';

const fixture = (name: string) => new URL(`../fixtures/rack/${name}`, import.meta.url).pathname;

/** A private copy with a known mode: the checkout's modes depend on the umask. */
function copy(name: string, mode: number): string {
  const f = join(mkdtempSync(join(tmpdir(), 'rackcmd-')), name);
  copyFileSync(fixture(name), f);
  chmodSync(f, mode);
  return f;
}

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = '';
  let stderr = '';
  const code = await rackCommand(
    argv,
    { stdout: { write: (s: string) => (stdout += s) }, stderr: { write: (s: string) => (stderr += s) } },
    { env },
  );
  return { code, stdout, stderr };
}

beforeEach(() => clearSecretsForTest());

describe('rackpilot rack validate', () => {
  it('prints a summary of a valid file and exits 0', async () => {
    const f = copy('extended.json', 0o600);
    const r = await run(['validate', f], {
      RACKPILOT_SWITCH_PASS_TOR_R01: 'x',
      RACKPILOT_BMC_PASS_R01_N001: 'y',
    });
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toEqual([
      `${f}: valid`,
      '  racks 2 · switches 2 · hosts 5 (1 without hostname) · NICs 7 · bondable hosts 2',
      '  tor-r01  force10 at 172.31.0.109:2222 · 4 NICs · PXE VLAN 10 · host key pinned',
      '  tor-r02  NX-OS at 172.31.0.110:22 · 3 NICs · PXE VLAN 10',
      '',
    ]);
    expect(r.stderr).toBe('');
  });

  it('warns about password variables the environment lacks, without failing', async () => {
    const r = await run(['validate', fixture('extended.json')]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(
      'warning: racks[0].l2Switch.passwordEnv: RACKPILOT_SWITCH_PASS_TOR_R01 is not set in this environment',
    );
  });

  it('accepts a MAC with the multicast bit, as MaaS reports them, with a warning naming it', async () => {
    // A physical interface's MAC in MaaS's own API examples (machines.json): first octet 0x2f, odd.
    const f = join(mkdtempSync(join(tmpdir(), 'rackcmd-')), 'rack.json');
    writeFileSync(
      f,
      JSON.stringify({
        racks: [
          {
            l2Switch: {
              name: 'tor-r01',
              ip: '172.31.0.109',
              username: 'admin',
              passwordEnv: 'SW',
              type: 'force10',
            },
            hosts: [
              { mac: '2f:00:35:fd:94:0a', port: '1/1/1', hostname: 'n1' },
              { mac: '00:18:8b:52:79:80', port: '1/1/2', hostname: 'n2' },
            ],
          },
        ],
      }),
      { mode: 0o600 },
    );
    const r = await run(['validate', f], { SW: 'x' });
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toContain(`${f}: valid`);
    expect(r.stderr.trimEnd().split('\n')).toEqual([
      'warning: racks[0].hosts[0].mac: 2f:00:35:fd:94:0a has the multicast bit set (first octet odd): unusual for a NIC; check it against what MaaS reports',
    ]);
  });

  it('prints every error as path: message and exits 1', async () => {
    const r = await run(['validate', fixture('bad-several.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout.trimEnd().split('\n')).toEqual([
      'racks[0].l2Switch.type: unknown switch type "Juniper" (known: Force10, DellOS10, NXOS, EOS)',
      'racks[0].hosts[0].mac: "00:18:8b:52:79:8g" is not a MAC address (e.g. 00:18:8b:52:79:80)',
      'racks[0].hosts[1].port: "1/1/2; reload" is not a port name (e.g. 1/1/1, Te 1/1/1, Ethernet1/1)',
      'racks[0].hosts[2].mac: MAC 00:18:8b:52:79:81 is already used by racks[0].hosts[1]',
    ]);
    expect(r.stderr).toBe(`${fixture('bad-several.json')}: 4 problems, rack file refused\n`);
  });

  it('names line and column of invalid JSON, without the password near it', async () => {
    const r = await run(['validate', fixture('trailing-comma.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('$: invalid JSON at line 7, column 7: trailing comma before ]\n');
    expect(r.stdout + r.stderr).not.toContain('hunter2-secret');
  });

  it('--json: the summary for a valid file, the errors for a bad one', async () => {
    const good = await run(['validate', '--json', copy('seed-rack.conf.json', 0o644)]);
    expect(good.code).toBe(0);
    const g = JSON.parse(good.stdout);
    expect(g).toMatchObject({
      ok: true,
      summary: { racks: 1, switches: 1, hosts: 1, nics: 1, bondableHosts: 0 },
      switches: [
        { name: '172.31.0.109', type: 'Force10', dialect: 'force10', address: '172.31.0.109', sshPort: 22 },
      ],
    });
    // The seed's inline password in a file others can read.
    expect(g.warnings.map((w: { path: string }) => w.path)).toEqual(['$']);
    // The seed's inline password is a secret: never in the output.
    expect(good.stdout).not.toMatch(/"password"/);

    const bad = await run(['validate', fixture('bad-several.json'), '--json']);
    expect(bad.code).toBe(1);
    const b = JSON.parse(bad.stdout);
    expect(b.ok).toBe(false);
    expect(b.errors).toHaveLength(4);
    expect(b.errors[0]).toEqual({
      path: 'racks[0].l2Switch.type',
      message: 'unknown switch type "Juniper" (known: Force10, DellOS10, NXOS, EOS)',
    });
  });

  it('masks passwords that happen to appear in a message', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rackcmd-'));
    const f = join(d, 'r.json');
    // A host name equal to the switch password: the summary must not show it.
    writeFileSync(
      f,
      JSON.stringify({
        racks: [
          {
            l2Switch: {
              ip: '10.0.0.1',
              name: 'sw-secret',
              username: 'a',
              password: 'sw-secret',
              type: 'EOS',
            },
            hosts: [],
          },
        ],
      }),
    );
    const r = await run(['validate', f]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('sw-secret');
    expect(r.stdout).toContain('***');
  });

  it('warns when a file with inline passwords is readable by others', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rackcmd-'));
    const f = join(d, 'r.json');
    writeFileSync(
      f,
      JSON.stringify({
        racks: [
          { l2Switch: { ip: '10.0.0.1', username: 'a', password: 'pw-inline', type: 'EOS' }, hosts: [] },
        ],
      }),
    );
    chmodSync(f, 0o644);
    const open = await run(['validate', f]);
    expect(open.code).toBe(0);
    expect(open.stderr).toContain(
      `warning: $: the file holds passwords and other users can read it: chmod 600 ${f}`,
    );
    chmodSync(f, 0o600);
    expect((await run(['validate', f])).stderr).toBe('');
  });

  it('reports a missing file', async () => {
    const r = await run(['validate', '/nonexistent/rack.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('$: cannot read /nonexistent/rack.json: no such file\n');
  });

  it.each([
    [[], /which subcommand/],
    [['check', 'x.json'], /unknown subcommand "check" \(known: validate\)/],
    [['validate'], /FILE is missing/],
    [['validate', 'a.json', 'b.json'], /unexpected argument "b.json"/],
    [['validate', 'a.json', '--yaml'], /yaml/],
    [['validate', ''], /FILE is empty/],
  ])('refuses wrong usage %j with exit 2', async (argv, message) => {
    const r = await run(argv as string[]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toContain('usage: rackpilot rack validate FILE [--json]');
    expect(r.stdout).toBe('');
  });

  it('--help prints usage and exits 0', async () => {
    const r = await run(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('usage: rackpilot rack validate FILE [--json]');
  });
});
