import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { switchCommand, type SwitchReader } from '../../src/cli/switch.ts';
import { SwitchService } from '../../src/gear/switch/service.ts';
import { parseSwitchTarget, type SwitchTargetInput } from '../../src/gear/switch/target.ts';
import { startLab, type Lab } from './helpers.ts';

/**
 * The command's text and JSON over a reader that reads the lab switches with the switch client,
 * as the runner's reads do (test/runner/gear-reads.test.ts runs the command through a runner).
 */
let L: Lab;
const service = new SwitchService({ idleMs: 0 });
beforeAll(async () => {
  L = await startLab();
});
afterAll(async () => {
  await service.close();
  await L.close();
});

function readerOf(targets: SwitchTargetInput[]): SwitchReader {
  const named = (name: string) => targets.find((t) => t.name === name)!;
  return {
    list: async () =>
      targets.map((t) => {
        const p = parseSwitchTarget(t);
        return { name: p.name, dialect: p.dialect, pxeVlan: p.pxeVlan };
      }),
    showPort: (name, port) => service.showPort(named(name), port),
    showVlans: (name) => service.showVlans(named(name)),
    findMac: (name, mac) => service.findMac(named(name), mac),
  };
}

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io = { stdout: { write: (s: string) => (out += s) }, stderr: { write: (s: string) => (err += s) } };
  const targets = [L.target('force10'), L.target('nxos')];
  const code = await switchCommand(argv, { reader: readerOf(targets), io });
  return { code, out, err };
}

describe('rackpilot switch', () => {
  it('show SWITCH prints the VLAN table, --json the parsed one', async () => {
    const sw = L.switchName('force10');
    L.world.updatePort(sw, '1/1/5', (p) => (p.untagged = 100));
    const text = await run(['show', sw]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/^10 +pxe +Active +U 1\/1\/1-4,6-48$/m);
    expect(text.out).toMatch(/^100 +Active +U 1\/1\/5$/m);
    const json = await run(['show', sw, '--json']);
    const parsed = JSON.parse(json.out) as { vlans: { id: number; ports: { port: string }[] }[] };
    expect(parsed.vlans.find((v) => v.id === 100)!.ports.map((p) => p.port)).toEqual(['1/1/5']);
    L.world.updatePort(sw, '1/1/5', (p) => (p.untagged = 10));
  });

  it('show SWITCH PORT prints the membership', async () => {
    const sw = L.switchName('nxos');
    const r = await run(['show', sw, '1/2']);
    expect(r).toMatchObject({ code: 0, out: `${sw} port 1/2 (Ethernet1/2): untagged 10, tagged none\n` });
    const j = JSON.parse((await run(['show', sw, '1/2', '--json'])).out);
    expect(j).toMatchObject({ switch: sw, port: '1/2', untagged: 10, tagged: [], layer2: true });
  });

  it('plan prints exact lines without connecting', async () => {
    const sw = L.switchName('force10');
    const logins = L.lab.logins(sw);
    const r = await run(['plan', sw, '1/1/1', 'access', '100', '1/1/1', 'tag-add', '200']);
    expect(r.code).toBe(0);
    expect(r.out.trim().split('\n')).toEqual([
      'configure',
      'interface vlan 10',
      'no untagged TenGigabitEthernet 1/1/1',
      'exit',
      'interface vlan 100',
      'untagged TenGigabitEthernet 1/1/1',
      'exit',
      'interface vlan 200',
      'tagged TenGigabitEthernet 1/1/1',
      'exit',
      'end',
      'write memory',
    ]);
    expect(r.err).toMatch(/Nothing was sent/);
    expect(L.lab.logins(sw)).toBe(logins);
    const j = JSON.parse((await run(['plan', sw, '1/1/1', 'reset', '--json'])).out);
    expect(j).toMatchObject({ switch: sw, dialect: 'force10', assumed: 'pxe', lines: [] });
  });

  it('plan --live starts from what the switch reports', async () => {
    const sw = L.switchName('force10');
    L.world.updatePort(sw, '1/1/9', (p) => (p.untagged = 300));
    const r = await run(['plan', sw, '1/1/9', 'reset', '--live']);
    expect(r.out).toContain('no untagged TenGigabitEthernet 1/1/9');
    expect(r.out).toContain('interface vlan 300');
    L.world.updatePort(sw, '1/1/9', (p) => (p.untagged = 10));
  });

  it('mac finds the port', async () => {
    const sw = L.switchName('nxos');
    const nic = L.spec.hosts.flatMap((h) => h.nics).find((n) => n.switch === sw)!;
    const r = await run(['mac', sw, nic.mac]);
    expect(r).toMatchObject({ code: 0, out: `${nic.mac} is on ${sw} port ${nic.port} (VLAN 10)\n` });
  });

  it('usage errors, unknown switch, injection and secrets on the command line', async () => {
    expect((await run([])).code).toBe(2);
    expect((await run(['reboot', 'x'])).code).toBe(2);
    expect((await run(['show', 'tor-r01', '--password=x'])).err).toMatch(/never taken from the command line/);
    const unknown = await run(['show', 'tor-r99']);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/no switch tor-r99/);
    expect((await run(['plan', L.switchName('force10'), '1/1/1', 'access'])).code).toBe(2);
    const inj = await run(['plan', L.switchName('force10'), '1/1/1\nreload', 'access', '100']);
    expect(inj.code).toBe(1);
    expect(inj.out).toBe('');
    const vlan = await run(['plan', L.switchName('force10'), '1/1/1', 'access', '4095']);
    expect(vlan.code).toBe(1);
    expect(vlan.err).toMatch(/4094|VLAN/);
  });

  it('errors name the switch and do not leak the password', async () => {
    let err = '';
    const io = { stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) } };
    const t = L.target('force10', { password: 'not-the-password-42' });
    const code = await switchCommand(['show', t.name, '1/1/1'], { reader: readerOf([t]), io });
    expect(code).toBe(1);
    expect(err).toContain(`switch ${t.name}`);
    expect(err).toContain('port 1/1/1');
    expect(err).toMatch(/login refused/);
    expect(err).not.toContain('not-the-password-42');
  });
});
