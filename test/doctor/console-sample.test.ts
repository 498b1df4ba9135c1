/**
 * The doctor reads a host's console the runner does not have open: it opens the SOL session
 * itself (the BMC serves SOL and nobody holds it), takes what the console prints within a short
 * window, never types, and lets the session close once nobody holds it. When it cannot read the
 * console, it says why (the doctor's "unchecked" list).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IpmiTarget } from '../../src/gear/ipmi/session.ts';
import { startLabBmcs, type LabBmcs } from '../../src/lab/bmc-server.ts';
import { LabConsoles } from '../../src/lab/host-console.ts';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { LabWorld } from '../../src/lab/world.ts';
import type { ConsoleGuard } from '../../src/runner/console/guard.ts';
import { ConsoleHub } from '../../src/runner/console/hub.ts';
import { sampleConsole } from '../../src/runner/console/sample.ts';
import { diagnose, type DoctorFacts } from '../../src/runner/doctor/diagnose.ts';
import { until } from '../ipmi/helpers.ts';

const spec = generateLabSpec({ hosts: 3, racks: 1, seed: 7 });
let world: LabWorld;
let consoles: LabConsoles;
let bmcs: LabBmcs;
const typed: string[] = [];
const hubs: ConsoleHub[] = [];

/** A Ready host whose BMC answers: only the console can tell more. */
function facts(over: Partial<DoctorFacts>): DoctorFacts {
  return {
    hostname: 'r01-n001',
    now: Date.now(),
    maas: null,
    events: [],
    curtin: null,
    bmc: { answer: 'ok', power: 'on', boot: { device: 'disk', valid: true, persistent: false } },
    outOfBand: null,
    ports: [],
    macs: [],
    instanceMac: null,
    task: null,
    ...over,
  };
}

function target(hostname: string): IpmiTarget {
  const b = bmcs.bmcs.find((x) => x.hostname === hostname);
  const h = spec.hosts.find((x) => x.hostname === hostname);
  if (!b || !h) throw new Error(`host ${hostname} is not in rackpilot's store`);
  return { host: b.host, port: b.port, username: h.bmc.user, password: h.bmc.password, name: hostname };
}

function hub(opts: { noSol?: (h: string) => string | null; guard?: ConsoleGuard } = {}): ConsoleHub {
  const h = new ConsoleHub({
    targetFor: target,
    scrollbackBytes: 64 * 1024,
    recordingsDir: mkdtempSync(join(tmpdir(), 'rp-sample-')),
    lingerMs: 50,
    ...opts,
  });
  hubs.push(h);
  return h;
}

beforeAll(async () => {
  world = new LabWorld(spec);
  consoles = new LabConsoles(world, { timeScale: 0.001, lineGapMs: 1 });
  bmcs = await startLabBmcs(world, {
    consoles: {
      subscribe: (h, fn) => consoles.subscribe(h, fn),
      input: (h, d) => {
        typed.push(d.toString('latin1'));
        consoles.input(h, d);
      },
    },
  });
});

afterAll(async () => {
  for (const h of hubs) await h.close();
  await bmcs?.close();
  consoles?.dispose();
});

describe("the doctor's read of a console nobody has open", () => {
  it('opens it, takes what it prints within the window, sends nothing, and lets it close', async () => {
    const host = spec.hosts[0]!.hostname;
    const h = hub();
    const read = sampleConsole(h, host, { windowMs: 10_000, quietMs: 300, keepMs: 100 });
    await until(() => bmcs.sol(host).active, 'the doctor to open the SOL session');
    // The host boots while the doctor reads: its blank disk ends the boot at once.
    world.setBoot(host, 'disk', false, false);
    world.setPower(host, 'on', 'test');
    const r = await read;
    expect(r.unread).toBeUndefined();
    expect(r.lines.join('\n')).toMatch(/No bootable device|BdsDxe: No bootable option/);
    expect(bmcs.sol(host).activations).toBe(1);
    expect(typed).toEqual([]);
    // Nobody watches it: the session closes after the short keep.
    await until(() => !bmcs.sol(host).active, 'the session to close', 10_000);

    // Its words make the doctor's cause.
    const d = diagnose(facts({ extra: r.lines.map((text) => ({ source: 'console', at: null, text })) }));
    expect(d.cause?.id).toBe('console-no-bootable-device');
  });

  it('a console that prints nothing in the window is said so, as is one whose SOL is disabled', async () => {
    const host = spec.hosts[1]!.hostname;
    const h = hub();
    const quiet = await sampleConsole(h, host, { windowMs: 500, keepMs: 1_000 });
    expect(quiet.lines).toEqual([]);
    expect(quiet.unread).toMatch(/opened for 0.5 s: it printed nothing .*sends it no key/);
    // The next read finds it open (kept for the view's next read): said so, without waiting.
    const next = await sampleConsole(h, host, { windowMs: 60_000, keepMs: 0 });
    expect(next.unread).toMatch(/^open, and it has printed nothing yet .*no key/);
    expect(bmcs.sol(host).activations).toBe(1);
    await until(() => !bmcs.sol(host).active, 'the session to close', 10_000);

    bmcs.faults.set(host, { solDisabled: true });
    try {
      const r = await sampleConsole(hub(), host, { windowMs: 5_000, keepMs: 0 });
      expect(r.unread).toMatch(/^not read now: .*SOL.*disabled/i);
    } finally {
      bmcs.faults.clear();
    }
    const d = diagnose(facts({ consoleUnread: quiet.unread! }));
    expect(d.unchecked).toContain(`the host's console (${quiet.unread})`);
  });

  it('never asks a BMC without SOL, an unknown host, or past the deadline', async () => {
    const host = spec.hosts[2]!.hostname;
    const h = hub({
      noSol: () => 'its BMC speaks Redfish: rackpilot reads consoles over IPMI Serial-over-LAN only',
    });
    expect((await sampleConsole(h, host)).unread).toMatch(/Redfish/);
    expect((await sampleConsole(hub(), 'r09-n099')).unread).toMatch(/not in rackpilot's store/);
    const late = await sampleConsole(hub(), host, { signal: AbortSignal.abort(new Error('deadline')) });
    expect(late.unread).toMatch(/deadline came first/);
    expect(bmcs.sol(host).activations).toBe(0);
  });

  it('a console held by another jump host is read from its relay, without asking the BMC', async () => {
    const host = spec.hosts[2]!.hostname;
    const relayed = Buffer.from('\r\nUbuntu 22.04.4 LTS x ttyS0\r\n\r\nx login: ');
    let published = false;
    let follow: (h: string) => void = () => undefined;
    const guard: ConsoleGuard = {
      claim: async () => 'jump host jh-2 (runner r-2, since then)',
      release: async () => undefined,
      onFreed: () => () => undefined,
      onLost: () => () => undefined,
      publish: () => undefined,
      // The holder publishes its tail once followed.
      follow: (h, on) => {
        if (!on) return;
        setTimeout(() => {
          published = true;
          follow(h);
        }, 50);
      },
      onRelayed: (fn) => {
        follow = fn;
        return () => undefined;
      },
      relayedSince: (_h, pos) =>
        published && !pos
          ? { data: relayed, pos: { session: 's', offset: relayed.length } }
          : { data: Buffer.alloc(0), pos },
    };
    const r = await sampleConsole(hub({ guard }), host, { windowMs: 5_000, keepMs: 0 });
    expect(r.unread).toBeUndefined();
    expect(r.lines.at(-1)).toBe('x login: ');
    expect(bmcs.sol(host).activations).toBe(0);

    published = false;
    const silent = { ...guard, follow: () => undefined };
    const none = await sampleConsole(hub({ guard: silent }), host, { windowMs: 300, keepMs: 0 });
    expect(none.unread).toMatch(/^held by jump host jh-2 .*: it relayed nothing within 0.3 s/);
  });
});
