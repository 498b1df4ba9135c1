import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { dialectFor } from '../../src/gear/switch/dialects/index.ts';
import { SwitchError } from '../../src/gear/switch/errors.ts';
import { SwitchService } from '../../src/gear/switch/service.ts';
import { SwitchSession } from '../../src/gear/switch/session.ts';
import { parseSwitchTarget } from '../../src/gear/switch/target.ts';
import { ALL_DIALECTS, startLab, vlansOf, type Lab } from './helpers.ts';

let L: Lab;
let svc: SwitchService;

beforeAll(async () => {
  L = await startLab();
});
afterAll(async () => {
  await L.close();
});
afterEach(async () => {
  L.lab.faults.clear();
  await svc?.close();
});

async function rejection(p: Promise<unknown>): Promise<SwitchError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(SwitchError);
    return e as SwitchError;
  }
  throw new Error('expected the promise to reject');
}

describe.each(ALL_DIALECTS)('%s lab switch over SSH', (dialect) => {
  const ports = () => L.spec.switches.find((s) => s.dialect === dialect)!.ports;

  it('sets access VLAN, adds and removes tagged VLANs, resets to PXE, and reads it back', async () => {
    svc = new SwitchService();
    const t = L.target(dialect);
    const sw = L.switchName(dialect);
    const port = ports()[20]!;

    const r1 = await svc.apply(t, [{ port, op: 'access', vlan: 100 }]);
    expect(r1.saved).toBe(true);
    expect(r1.ports[0]).toMatchObject({
      before: { untagged: 10, tagged: [] },
      after: { untagged: 100, tagged: [] },
    });
    expect(vlansOf(L.world, sw, port)).toEqual({ untagged: 100, tagged: [] });
    // What was sent is exactly what `plan` predicts from the same starting point.
    expect(svc.plan(t, [{ port, op: 'access', vlan: 100 }])).toEqual([
      dialectFor(dialect).configure,
      ...r1.ports[0]!.lines,
      'end',
      dialectFor(dialect).save,
    ]);

    await svc.apply(t, [
      { port, op: 'tagAdd', vlan: 200 },
      { port, op: 'tagAdd', vlan: 201 },
      { port, op: 'tagAdd', vlan: 300 },
    ]);
    expect(vlansOf(L.world, sw, port)).toEqual({ untagged: 100, tagged: [200, 201, 300] });
    expect(await svc.showPort(t, port)).toMatchObject({
      layer2: true,
      untagged: 100,
      tagged: [200, 201, 300],
    });

    await svc.apply(t, [{ port, op: 'tagRemove', vlan: 201 }]);
    expect(await svc.showPort(t, port)).toMatchObject({ untagged: 100, tagged: [200, 300] });

    // Moving a tagged VLAN to untagged.
    await svc.apply(t, [{ port, op: 'access', vlan: 300 }]);
    expect(vlansOf(L.world, sw, port)).toEqual({ untagged: 300, tagged: [200] });

    const r = await svc.apply(t, [{ port, op: 'resetPxe' }]);
    expect(r.ports[0]!.after).toEqual({ untagged: 10, tagged: [] });
    expect(vlansOf(L.world, sw, port)).toEqual({ untagged: 10, tagged: [] });
    expect(await svc.showPort(t, port)).toMatchObject({ untagged: 10, tagged: [] });

    // Nothing to do sends nothing.
    const again = await svc.apply(t, [{ port, op: 'resetPxe' }]);
    expect(again.ports[0]!.lines).toEqual([]);
  });

  it('parses the VLAN table into what the switch really has, ranges and continuation lines included', async () => {
    svc = new SwitchService();
    const t = L.target(dialect);
    const sw = L.switchName(dialect);
    const p = ports();
    // Scattered ports make ranges (2-4) and singles (8), and enough of them to wrap lines.
    const chosen = [p[1]!, p[2]!, p[3]!, p[7]!, p[9]!, p[11]!, p[13]!, p[15]!, p[17]!, p[30]!];
    await svc.apply(
      t,
      chosen.map((port) => ({ port, op: 'access' as const, vlan: 150 })),
    );
    await svc.apply(
      t,
      [p[40]!, p[41]!, p[43]!].map((port) => ({ port, op: 'tagAdd' as const, vlan: 150 })),
    );
    const table = await svc.showVlans(t);
    const v150 = table.find((v) => v.id === 150)!;
    const expected = [...L.world.ports.entries()]
      .filter(([k, s]) => k.startsWith(`${sw}|`) && (s.untagged === 150 || s.tagged.has(150)))
      .map(([k]) => k.split('|')[1]!);
    expect(v150.ports.map((x) => x.port).sort()).toEqual(expected.sort());
    expect(v150.ports).toHaveLength(13);
    if (dialect === 'force10' || dialect === 'os10') {
      expect(v150.ports.filter((x) => x.mode === 'tagged').map((x) => x.port)).toEqual([p[40], p[41], p[43]]);
    }
    const pxe = table.find((v) => v.id === 10)!;
    expect(pxe.ports.length).toBe(p.length - 10);
    await svc.apply(
      t,
      [...chosen, p[40]!, p[41]!, p[43]!].map((port) => ({ port, op: 'resetPxe' as const })),
    );
    expect((await svc.showVlans(t)).find((v) => v.id === 150)!.ports).toEqual([]);
  });

  it('finds a host MAC on its port, and on the wrong port when the host is miscabled', async () => {
    svc = new SwitchService();
    const t = L.target(dialect);
    const sw = L.switchName(dialect);
    const host = L.spec.hosts.find((h) => h.nics[0]!.switch === sw && h.nics.length >= 1)!;
    const nic = host.nics[0]!;
    expect(await svc.findMac(t, nic.mac.toUpperCase())).toMatchObject({
      mac: nic.mac,
      port: nic.port,
      vlan: 10,
    });
    L.lab.faults.miscable(nic.mac, ports()[46]!);
    expect((await svc.findMac(t, nic.mac))!.port).toBe(ports()[46]);
    expect(await svc.findMac(t, '02:00:00:00:00:01')).toBeNull();
  });

  it('coalesces concurrent requests into one session with one save', async () => {
    svc = new SwitchService({ idleMs: 0 });
    const t = L.target(dialect);
    const sw = L.switchName(dialect);
    const logins = L.lab.logins(sw);
    const saves = L.lab.state(sw).saves;
    const results = await Promise.all(
      ports()
        .slice(24, 36)
        .map((port) => svc.apply(t, [{ port, op: 'access', vlan: 120 }])),
    );
    expect(results.every((r) => r.saved && r.batchSize === 12)).toBe(true);
    expect(L.lab.logins(sw)).toBe(logins + 1);
    expect(L.lab.state(sw).saves).toBe(saves + 1);
    await Promise.all(
      ports()
        .slice(24, 36)
        .map((port) => svc.apply(t, [{ port, op: 'resetPxe' }])),
    );
    expect(L.lab.logins(sw)).toBe(logins + 2);
  });

  it('reuses an idle session for the next request', async () => {
    svc = new SwitchService({ idleMs: 30_000 });
    const t = L.target(dialect);
    const sw = L.switchName(dialect);
    const logins = L.lab.logins(sw);
    await svc.apply(t, [{ port: ports()[5]!, op: 'access', vlan: 101 }]);
    await svc.apply(t, [{ port: ports()[5]!, op: 'resetPxe' }]);
    await svc.showVlans(t);
    expect(L.lab.logins(sw)).toBe(logins + 1);
  });

  it('an error mid-change puts the port back and reports the switch line', async () => {
    svc = new SwitchService();
    const t = L.target(dialect);
    const sw = L.switchName(dialect);
    const port = ports()[6]!;
    L.lab.faults.errorOn({
      switch: sw,
      match: /^(tagged|switchport trunk allowed)/,
      times: 1,
      message: 'Hardware busy.',
    });
    const err = await rejection(
      svc.apply(t, [
        { port, op: 'access', vlan: 110 },
        { port, op: 'tagAdd', vlan: 210 },
      ]),
    );
    expect(err.kind).toBe('cli');
    expect(err.switchLine).toBe('% Error: Hardware busy.');
    expect(err.message).toContain(`switch ${sw}`);
    expect(err.message).toContain(`port ${port}`);
    expect(err.message).toContain('% Error: Hardware busy.');
    expect(vlansOf(L.world, sw, port)).toEqual({ untagged: 10, tagged: [] });
    // The switch still works and the port can be changed afterwards.
    await svc.apply(t, [{ port, op: 'access', vlan: 110 }]);
    expect(vlansOf(L.world, sw, port).untagged).toBe(110);
    await svc.apply(t, [{ port, op: 'resetPxe' }]);
  });

  it('a refused first line of a two-port batch is reported as the refusal, and both ports put back', async () => {
    svc = new SwitchService();
    const t = L.target(dialect);
    const sw = L.switchName(dialect);
    const [a, b] = [ports()[8]!, ports()[9]!];
    // The batch's first line enters a configuration mode; refused, the lines pipelined after it
    // run outside that mode and their `exit`s end the session.
    L.lab.faults.errorOn({ switch: sw, match: /^interface/i, times: 1, message: 'Campaign fault.' });
    const err = await rejection(
      svc.apply(t, [
        { port: a, op: 'tagAdd', vlan: 232 },
        { port: b, op: 'tagAdd', vlan: 232 },
      ]),
    );
    expect(err.kind).toBe('cli');
    expect(err.switchLine).toBe('% Error: Campaign fault.');
    expect(err.message).toMatch(/refused `interface [^`]+`: % Error: Campaign fault\./);
    expect(err.message).not.toContain('connection lost');
    expect(vlansOf(L.world, sw, a)).toEqual({ untagged: 10, tagged: [] });
    expect(vlansOf(L.world, sw, b)).toEqual({ untagged: 10, tagged: [] });
    await svc.apply(t, [{ port: a, op: 'tagAdd', vlan: 232 }]);
    expect(vlansOf(L.world, sw, a).tagged).toEqual([232]);
    await svc.apply(t, [{ port: a, op: 'resetPxe' }]);
  });

  it('a connection dropped mid-change is reported and the port restored on a new session', async () => {
    svc = new SwitchService();
    const t = L.target(dialect);
    const sw = L.switchName(dialect);
    const port = ports()[8]!;
    L.lab.faults.dropMidCommand({ switch: sw, match: /^(tagged|switchport trunk allowed)/, times: 1 });
    const err = await rejection(
      svc.apply(t, [
        { port, op: 'access', vlan: 111 },
        { port, op: 'tagAdd', vlan: 211 },
      ]),
    );
    expect(err.kind).toBe('closed');
    expect(err.message).toMatch(
      new RegExp(`switch ${sw} .*port ${port.replace(/\//g, '\\/')}: connection lost`),
    );
    expect(vlansOf(L.world, sw, port)).toEqual({ untagged: 10, tagged: [] });
  });

  it('answers bad input with the dialect error line', async () => {
    const d = dialectFor(dialect);
    const s = await SwitchSession.open(parseSwitchTarget(L.target(dialect)), d);
    try {
      const r = await s.exec('frobnicate the switch');
      expect(r.errorLine).toMatch(/^% /);
      expect(d.errorPatterns.some((re) => re.test(r.errorLine!))).toBe(true);
      expect(s.prompt).toBe(`${L.switchName(dialect)}#`);
    } finally {
      await s.close();
    }
  });

  it('refuses to touch a routed (non-Layer-2) port', async () => {
    svc = new SwitchService();
    const sw = L.switchName(dialect);
    const port = ports()[44]!;
    L.world.updatePort(sw, port, (p) => (p.layer2 = false));
    try {
      const err = await rejection(svc.apply(L.target(dialect), [{ port, op: 'access', vlan: 100 }]));
      expect(err.kind).toBe('invalid');
      expect(err.message).toContain(`port ${port}`);
      expect(err.message).toMatch(/not a Layer-2/);
    } finally {
      L.world.updatePort(sw, port, (p) => (p.layer2 = true));
    }
  });
});

describe('without pipelining', () => {
  it('sends one line at a time and gets the same result', async () => {
    svc = new SwitchService({ pipeline: false });
    const t = L.target('nxos');
    const sw = L.switchName('nxos');
    const r = await svc.apply(t, [
      { port: '1/40', op: 'access', vlan: 130 },
      { port: '1/40', op: 'tagAdd', vlan: 230 },
      { port: '1/41', op: 'tagAdd', vlan: 230 },
    ]);
    expect(r.ports.map((p) => p.after)).toEqual([
      { untagged: 130, tagged: [230] },
      { untagged: 10, tagged: [230] },
    ]);
    expect(vlansOf(L.world, sw, '1/40')).toEqual({ untagged: 130, tagged: [230] });
    L.lab.faults.errorOn({ switch: sw, match: /allowed vlan add/, times: 1 });
    const err = await rejection(svc.apply(t, [{ port: '1/40', op: 'tagAdd', vlan: 231 }]));
    expect(err.switchLine).toMatch(/^% Error/);
    expect(vlansOf(L.world, sw, '1/40')).toEqual({ untagged: 130, tagged: [230] });
    await svc.apply(t, [
      { port: '1/40', op: 'resetPxe' },
      { port: '1/41', op: 'resetPxe' },
    ]);
    expect(vlansOf(L.world, sw, '1/41')).toEqual({ untagged: 10, tagged: [] });
  });
});

describe('lab switch faithfulness', () => {
  it('Force10 answers `% Error` for a non-Layer-2 port and pages until terminal length 0', async () => {
    const sw = L.switchName('force10');
    const port = L.spec.switches.find((s) => s.name === sw)!.ports[45]!;
    L.world.updatePort(sw, port, (p) => (p.layer2 = false));
    // A session that never turns paging off still reads long output whole, through `--More--`.
    for (let v = 500; v < 530; v++) L.lab.state(sw).vlans.set(v, `tenant-${v}`);
    const d = { ...dialectFor('force10'), pagingOff: 'show version' };
    const s = await SwitchSession.open(parseSwitchTarget(L.target('force10')), d);
    try {
      const table = d.parseVlans(await s.run('show vlan'));
      expect(table.filter((v) => v.id >= 500 && v.id < 530)).toHaveLength(30);
      await s.run('configure');
      await s.run('interface vlan 100');
      const r = await s.exec(`untagged TenGigabitEthernet ${port}`);
      expect(r.errorLine).toBe(`% Error: Port is not in Layer-2 mode Te ${port}.`);
      await s.run('end');
    } finally {
      await s.close();
      L.world.updatePort(sw, port, (p) => (p.layer2 = true));
      for (let v = 500; v < 530; v++) L.lab.state(sw).vlans.delete(v);
    }
  });
});

describe('operator errors', () => {
  it('unreachable switch', async () => {
    svc = new SwitchService({ connectTimeoutMs: 5000 });
    const net = await import('node:net');
    const port = await new Promise<number>((resolve) => {
      const srv = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (srv.address() as { port: number }).port;
        srv.close(() => resolve(p));
      });
    });
    const err = await rejection(
      svc.apply(L.target('force10', { port }), [{ port: '1/1/3', op: 'access', vlan: 100 }]),
    );
    expect(err.kind).toBe('unreachable');
    expect(err.message).toContain(`switch ${L.switchName('force10')} (127.0.0.1:${port}) port 1/1/3`);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.hint).toMatch(/management address/);
  });

  it('authentication failure, without leaking the password', async () => {
    svc = new SwitchService();
    const err = await rejection(
      svc.apply(L.target('os10', { password: 'wrong-password-123' }), [
        { port: '1/1/3', op: 'access', vlan: 100 },
      ]),
    );
    expect(err.kind).toBe('auth');
    expect(err.message).toContain(`switch ${L.switchName('os10')}`);
    expect(err.message).toContain('port 1/1/3');
    expect(err.message).not.toContain('wrong-password-123');
    L.lab.faults.refuseLogin(L.switchName('nxos'));
    const refused = await rejection(svc.showPort(L.target('nxos'), '1/3'));
    expect(refused.kind).toBe('auth');
    expect(refused.message).toContain('port 1/3');
  });

  it('timeout on a slow switch names the switch, port and command', async () => {
    // Generous against a loaded machine: only the faulted command can be this late.
    svc = new SwitchService({ commandTimeoutMs: 3000 });
    L.lab.faults.slow(120_000, { switch: L.switchName('eos'), match: /^show interfaces/, times: 1 });
    const err = await rejection(svc.apply(L.target('eos'), [{ port: '1/3', op: 'access', vlan: 100 }]));
    expect(err.kind).toBe('timeout');
    expect(err.message).toContain(`switch ${L.switchName('eos')}`);
    expect(err.message).toContain('port 1/3');
    expect(err.message).toContain('show interfaces Ethernet1/3 switchport');
    expect(vlansOf(L.world, L.switchName('eos'), '1/3').untagged).toBe(10);
  });

  it('host keys: a wrong pinned fingerprint is refused', async () => {
    svc = new SwitchService();
    const err = await rejection(
      svc.apply(L.target('force10', { hostKeyFingerprint: `SHA256:${'A'.repeat(43)}` }), [
        { port: '1/1/3', op: 'access', vlan: 100 },
      ]),
    );
    expect(err.kind).toBe('hostkey');
    expect(err.message).toMatch(/host key mismatch/);
    expect(err.message).toContain('port 1/1/3');
    expect(err.hint).toMatch(/rack file/);
  });

  it('host keys: trust on first use, then a changed key is refused with the known-hosts line', async () => {
    const { readFileSync } = await import('node:fs');
    const knownHostsPath = `${L.tmp}/known_hosts`;
    svc = new SwitchService({ knownHostsPath, idleMs: 0 });
    const t = L.target('os10', { hostKeyFingerprint: undefined });
    await svc.showVlans(t);
    const learned = readFileSync(knownHostsPath, 'utf8');
    expect(learned).toMatch(/^\[127\.0\.0\.1\]:\d+ ssh-ed25519 AAAA/);
    await svc.showVlans(t); // same key: accepted

    // Another switch answering on the same address with a different key.
    const { startLabSwitches } = await import('../../src/lab/switch-server.ts');
    const ep = L.lab.switches.find((e) => e.name === L.switchName('os10'))!;
    const other = await startLabSwitches(L.world, { only: [L.switchName('nxos')] });
    try {
      const impostor = { ...t, port: other.switches[0]!.port };
      // Record the real key under the impostor's address, as if the switch there had been replaced.
      const { writeFileSync } = await import('node:fs');
      writeFileSync(knownHostsPath, learned.replace(`:${ep.port} `, `:${impostor.port} `));
      const err = await rejection(svc.showVlans(impostor));
      expect(err.kind).toBe('hostkey');
      expect(err.message).toContain(`${knownHostsPath} line 1`);
      expect(err.message).toContain(ep.hostKeyFingerprint);
    } finally {
      await other.close();
    }
  });
});

describe('safety: a malicious rack file cannot add a command', () => {
  it.each([
    { port: '1/1/3\nreload', op: 'access', vlan: 100 },
    { port: '1/1/3\r\nwrite erase', op: 'access', vlan: 100 },
    { port: '1/1/3 ; reload', op: 'access', vlan: 100 },
    { port: '1/1/3', op: 'access', vlan: 4095 },
    { port: '1/1/3', op: 'access', vlan: 0 },
    { port: '1/1/3', op: 'access', vlan: '100\nreload' },
    { port: '1/1/3', op: 'access', vlan: 1.5 },
  ])('rejects %j before connecting', async (change) => {
    svc = new SwitchService();
    const sw = L.switchName('force10');
    const logins = L.lab.logins(sw);
    const err = await rejection(svc.apply(L.target('force10'), [change as never]));
    expect(err.kind).toBe('invalid');
    expect(err.message).not.toMatch(/\n/);
    expect(L.lab.logins(sw)).toBe(logins);
    expect(() => svc.plan(L.target('force10'), [change as never])).toThrow();
  });

  it('rejects an injected port prefix, switch name or VLAN list in the target', () => {
    svc = new SwitchService();
    expect(() => svc.plan(L.target('force10', { portPrefix: 'Te 1/1/1\nreload\n' }), [])).toThrow();
    expect(() => svc.plan(L.target('force10', { name: 'tor\nreload' }), [])).toThrow();
    expect(() => svc.plan(L.target('force10', { allowedVlans: '100;reload' }), [])).toThrow();
  });

  it('enforces the allowed VLAN list', async () => {
    svc = new SwitchService();
    const err = await rejection(
      svc.apply(L.target('force10', { allowedVlans: '100-199' }), [
        { port: '1/1/3', op: 'access', vlan: 200 },
      ]),
    );
    expect(err.kind).toBe('invalid');
    expect(err.message).toMatch(/not in the allowed VLANs/);
  });
});

describe('robustness', () => {
  it('random `% Error` from the switch: every change is all or nothing', async () => {
    svc = new SwitchService();
    const t = L.target('force10');
    const sw = L.switchName('force10');
    const ports = L.spec.switches.find((s) => s.name === sw)!.ports.slice(30, 46);
    L.lab.faults.randomErrors(0.15, { seed: 11, switch: sw });
    const results = await Promise.allSettled(
      ports.map((port) =>
        svc.apply(t, [
          { port, op: 'access', vlan: 160 },
          { port, op: 'tagAdd', vlan: 260 },
        ]),
      ),
    );
    L.lab.faults.clear();
    let failures = 0;
    results.forEach((r, i) => {
      const state = vlansOf(L.world, sw, ports[i]!);
      if (r.status === 'fulfilled') {
        expect(state).toEqual({ untagged: 160, tagged: [260] });
        return;
      }
      failures++;
      const e = r.reason as SwitchError;
      expect(e).toBeInstanceOf(SwitchError);
      expect(e.message).toContain(`port ${ports[i]}`);
      expect(e.switchLine).toBe('% Error: Failed to program hardware.');
      // Unless putting it back failed too (and the error says so), the port is as it was.
      if (!/putting the port back also failed/.test(e.message))
        expect(state).toEqual({ untagged: 10, tagged: [] });
    });
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(ports.length);
    await svc.apply(
      t,
      ports.map((port) => ({ port, op: 'resetPxe' as const })),
    );
  });

  it('a port the switch does not have is reported with its error line, other requests go on', async () => {
    svc = new SwitchService();
    const t = L.target('os10');
    const [bad, good] = await Promise.allSettled([
      svc.apply(t, [{ port: '1/1/99', op: 'access', vlan: 100 }]),
      svc.apply(t, [{ port: '1/1/12', op: 'access', vlan: 100 }]),
    ]);
    expect(bad.status).toBe('rejected');
    const e = (bad as PromiseRejectedResult).reason as SwitchError;
    expect(e.kind).toBe('cli');
    expect(e.message).toContain('port 1/1/99');
    expect(e.switchLine).toMatch(/^% Error: Invalid input/);
    expect(good.status).toBe('fulfilled');
    await svc.apply(t, [{ port: '1/1/12', op: 'resetPxe' }]);
  });

  it('a request cancelled while queued never reaches the switch', async () => {
    svc = new SwitchService();
    const t = L.target('eos');
    const sw = L.switchName('eos');
    const ac = new AbortController();
    const first = svc.apply(t, [{ port: '1/20', op: 'access', vlan: 100 }]);
    const second = svc.apply(t, [{ port: '1/21', op: 'access', vlan: 100 }], { signal: ac.signal });
    ac.abort();
    const e = await rejection(second);
    expect(e.kind).toBe('cancelled');
    expect(e.message).toContain('port 1/21');
    await first;
    expect(vlansOf(L.world, sw, '1/21').untagged).toBe(10);
    expect(vlansOf(L.world, sw, '1/20').untagged).toBe(100);
    await svc.apply(t, [{ port: '1/20', op: 'resetPxe' }]);
  });
});

describe('one lock per switch, sessions per identity', () => {
  it('requests with other credentials for the same switch wait their turn and never reuse a session', async () => {
    svc = new SwitchService({ idleMs: 30_000 });
    const sw = L.switchName('os10');
    const good = L.target('os10');
    const wrong = L.target('os10', { password: 'definitely-wrong-1' });
    const logins = L.lab.logins(sw);
    const [a, b, c] = await Promise.allSettled([
      svc.apply(good, [{ port: '1/1/30', op: 'access', vlan: 170 }]),
      svc.showPort(wrong, '1/1/30'),
      svc.apply(good, [{ port: '1/1/31', op: 'access', vlan: 170 }]),
    ]);
    expect(a.status).toBe('fulfilled');
    expect(c.status).toBe('fulfilled');
    // Both good requests shared one session and one save.
    expect((a as PromiseFulfilledResult<{ batchSize: number }>).value.batchSize).toBe(2);
    expect(b.status).toBe('rejected');
    expect(((b as PromiseRejectedResult).reason as SwitchError).kind).toBe('auth');
    expect(L.lab.logins(sw)).toBe(logins + 1);
    await svc.apply(good, [
      { port: '1/1/30', op: 'resetPxe' },
      { port: '1/1/31', op: 'resetPxe' },
    ]);
    expect(L.lab.logins(sw)).toBe(logins + 2);
  });
});
