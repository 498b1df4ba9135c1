import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import pLimit from 'p-limit';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import { IpmiError } from '../../src/gear/ipmi/errors.ts';
import type { IpmiTarget } from '../../src/gear/ipmi/session.ts';
import { redact } from '../../src/util/redact.ts';
import { startLab, until, type Lab } from './helpers.ts';

let lab: Lab;
const clients: IpmiClient[] = [];
const client = (opts: ConstructorParameters<typeof IpmiClient>[0] = {}) => {
  const c = new IpmiClient({ timeoutMs: 200, retries: 3, ...opts });
  clients.push(c);
  return c;
};

beforeAll(async () => {
  lab = await startLab(8, { softOffDelayMs: 50 });
});
afterAll(async () => {
  await lab.bmcs.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  lab.bmcs.faults.clear();
  for (const t of lab.targets) lab.world.setPower(t.name!, 'off', 'test');
});

describe('IpmiClient against the lab BMC', () => {
  it('reads and drives power, and the shared world sees it', async () => {
    const c = client();
    const t = lab.targets[0]!;
    expect(await c.powerStatus(t)).toBe('off');
    await c.power(t, 'on');
    expect(lab.world.host(t.name!).power).toBe('on');
    expect(await c.powerStatus(t)).toBe('on');
    await c.power(t, 'off');
    expect(lab.world.host(t.name!).power).toBe('off');
  });

  it('cycles and resets a running host (off then on), and refuses both on a host that is off', async () => {
    const c = client();
    const t = lab.targets[1]!;
    const seen: string[] = [];
    const stop = lab.world.on((e) => {
      if (e.kind === 'power' && e.hostname === t.name) seen.push(`${e.power}:${e.source}`);
    });
    await expect(c.power(t, 'cycle')).rejects.toMatchObject({ kind: 'completion', completionCode: 0xd5 });
    await c.power(t, 'on');
    await c.power(t, 'cycle');
    await c.power(t, 'reset');
    stop();
    expect(seen).toEqual(['on:ipmi', 'off:ipmi-cycle', 'on:ipmi-cycle', 'off:ipmi-reset', 'on:ipmi-reset']);
  });

  it('soft power-off lets the lab OS shut down a moment later', async () => {
    const c = client();
    const t = lab.targets[2]!;
    await c.power(t, 'on');
    await c.power(t, 'soft');
    await until(async () => (await c.powerStatus(t)) === 'off', 'ACPI shutdown');
  });

  it('sets boot device once or persistent, legacy or EFI, and reads it back', async () => {
    const c = client();
    const t = lab.targets[3]!;
    await c.setBootDevice(t, { device: 'disk', persistent: true, efi: true });
    expect(lab.world.host(t.name!)).toMatchObject({
      bootDevice: 'disk',
      bootPersistent: true,
      bootEfi: true,
    });
    expect(await c.getBootDevice(t)).toEqual({ valid: true, device: 'disk', persistent: true, efi: true });
    await c.setBootDevice(t, { device: 'pxe' });
    expect(lab.world.host(t.name!)).toMatchObject({
      bootDevice: 'pxe',
      bootPersistent: false,
      bootEfi: false,
    });
    expect(await c.getBootDevice(t)).toEqual({ valid: true, device: 'pxe', persistent: false, efi: false });
    await c.setBootDevice(t, { device: 'bios' });
    expect(lab.world.host(t.name!).bootDevice).toBe('bios');
  });

  it('answers Get Device ID', async () => {
    const d = await client().deviceId(lab.targets[0]!);
    expect(d).toMatchObject({ ipmiVersion: '2.0', firmware: '1.42', available: true });
  });

  it('speaks cipher suite 17 (SHA-256) as well as 3', async () => {
    const c = client();
    const t = { ...lab.targets[4]!, cipherSuite: 17 as const };
    await c.power(t, 'on');
    expect(await c.powerStatus(t)).toBe('on');
  });

  it('reuses one session per BMC across calls', async () => {
    const c = client();
    const t = lab.targets[0]!;
    await c.powerStatus(t);
    await c.powerStatus(t);
    await c.deviceId(t);
    expect(await c.sessionOpens(t)).toBe(1);
    expect(lab.bmcs.sessionCount(t.name!)).toBe(1);
    await c.close();
    expect(lab.bmcs.sessionCount(t.name!)).toBe(0);
  });
});

describe('authentication', () => {
  it('a wrong password fails at RAKP 2 with an operator error naming the BMC, without leaking it', async () => {
    const t = { ...lab.targets[0]!, password: 'not-the-password' };
    const err = await client()
      .powerStatus(t)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpmiError);
    expect(err).toMatchObject({ kind: 'auth', target: t.name });
    expect((err as IpmiError).message).toMatch(/wrong password for user 'admin' on BMC r01-n001/);
    expect((err as IpmiError).message).not.toContain('not-the-password');
    expect(redact('x not-the-password y')).toBe('x *** y');
    expect((err as IpmiError).hint).toMatch(/password/);
    // The BMC dropped the half-open session it was told about.
    await until(() => lab.bmcs.sessionCount(t.name!) === 0, 'half-open session dropped');
  });

  it('an unknown user gets the RAKP 2 status a real BMC sends: unauthorized name', async () => {
    const t = { ...lab.targets[0]!, username: 'root' };
    await expect(client().powerStatus(t)).rejects.toMatchObject({ kind: 'auth', rmcpStatus: 0x0d });
  });
});

describe('faults', () => {
  it('re-opens the session transparently after the BMC forgot it', async () => {
    const c = client();
    const t = lab.targets[5]!;
    await c.powerStatus(t);
    lab.bmcs.faults.dropSessions(t.name!);
    lab.world.setPower(t.name!, 'on', 'test');
    expect(await c.powerStatus(t)).toBe('on');
    expect(await c.sessionOpens(t)).toBe(2);
  });

  it('completes every operation through 30% seeded loss in both directions', async () => {
    const c = client({ timeoutMs: 100, retries: 20 });
    const t = lab.targets[6]!;
    lab.bmcs.faults.set(t.name!, { lossPercent: 30 });
    const before = lab.bmcs.stats(t.name!);
    await c.power(t, 'on');
    expect(await c.powerStatus(t)).toBe('on');
    await c.setBootDevice(t, { device: 'pxe', persistent: true });
    expect(await c.getBootDevice(t)).toMatchObject({ device: 'pxe', persistent: true });
    await c.power(t, 'off');
    expect(await c.powerStatus(t)).toBe('off');
    const after = lab.bmcs.stats(t.name!);
    expect(after.dropped - before.dropped).toBeGreaterThan(0);
    expect(lab.world.host(t.name!).power).toBe('off');
  });

  it('a dead BMC gives a timeout error naming it after the retries', async () => {
    const t = lab.targets[7]!;
    lab.bmcs.faults.set(t.name!, { dead: true });
    const err = await client({ timeoutMs: 50, retries: 2 })
      .powerStatus(t)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'timeout', target: t.name });
    expect((err as Error).message).toMatch(
      /BMC r02-n003 \(127\.0\.0\.1:\d+\) did not answer Get Channel Authentication Capabilities after 3 attempts/,
    );
  });

  it('a slow BMC still answers within the retry budget', async () => {
    const t = lab.targets[7]!;
    lab.bmcs.faults.set(t.name!, { delayMs: 150 });
    expect(await client({ timeoutMs: 1000, retries: 1 }).powerStatus(t)).toBe('off');
  });

  it('a full session table is reported as such', async () => {
    const t = lab.targets[7]!;
    lab.bmcs.faults.set(t.name!, { sessionsFull: true });
    const err = await client()
      .powerStatus(t)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'session', rmcpStatus: 0x01 });
    expect((err as IpmiError).message).toMatch(/insufficient resources to create a session/);
  });

  it('keeps an idle session alive with Get Device ID', async () => {
    const c = client({ keepAliveMs: 100 });
    const t = lab.targets[0]!;
    await c.powerStatus(t);
    const base = lab.bmcs.stats(t.name!).received;
    await until(() => lab.bmcs.stats(t.name!).received >= base + 2, 'two keep-alives');
    expect(await c.powerStatus(t)).toBe('off');
    expect(await c.sessionOpens(t)).toBe(1);
  });
});

describe('many BMCs', () => {
  /** Power status of every target, `concurrency` in flight; a failing BMC is a result. */
  const sweepPower = (c: IpmiClient, targets: readonly IpmiTarget[], concurrency: number) =>
    pLimit(concurrency).map(targets, async (target) => {
      try {
        return { name: target.name, power: await c.powerStatus(target), error: undefined };
      } catch (err) {
        return { name: target.name, power: undefined, error: err };
      }
    });

  it('sweeps power with bounded concurrency; a dead BMC is a result, not a failure', async () => {
    lab.world.setPower(lab.targets[1]!.name!, 'on', 'test');
    lab.bmcs.faults.set(lab.targets[7]!.name!, { dead: true });
    const results = await sweepPower(client({ timeoutMs: 50, retries: 1 }), lab.targets, 3);
    expect(results.map((r) => r.name)).toEqual(lab.targets.map((t) => t.name));
    expect(results[1]!.power).toBe('on');
    expect(results[0]!.power).toBe('off');
    expect(results[7]!.error).toMatchObject({ kind: 'timeout' });
    expect(results.filter((r) => r.error)).toHaveLength(1);
  });

  it('spreads sessions over several sockets when asked, and resolves host names', async () => {
    const c = client({ sockets: 2 });
    const results = await sweepPower(
      c,
      lab.targets.map((t) => ({ ...t, host: 'localhost' })),
      8,
    );
    expect(results.map((r) => r.power)).toEqual(lab.targets.map(() => 'off'));
  });
});
