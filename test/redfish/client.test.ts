import { createServer, type Server } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedfishClient } from '../../src/gear/redfish/client.ts';
import { RedfishError } from '../../src/gear/redfish/errors.ts';
import { describeError } from '../../src/util/errors.ts';
import { startRedfishLab, type RedfishLab } from './helpers.ts';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function lab(...args: Parameters<typeof startRedfishLab>): Promise<RedfishLab> {
  const l = await startRedfishLab(...args);
  cleanups.push(() => l.close());
  return l;
}

function client(l: RedfishLab, opts: ConstructorParameters<typeof RedfishClient>[0] = {}): RedfishClient {
  const c = new RedfishClient({ knownCertsPath: join(l.dir, 'known_bmc_certs'), ...opts });
  cleanups.push(() => c.close());
  return c;
}

async function failure(p: Promise<unknown>): Promise<RedfishError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof RedfishError) return err;
    throw err;
  }
  throw new Error('expected a RedfishError');
}

describe('Redfish client against lab BMCs and their quirks', () => {
  it('discovers a system id other than 1 from the Systems collection and reads power and boot', async () => {
    const l = await lab(1, { quirks: { systemId: 'System.Embedded.1' } });
    const rf = client(l);
    const t = l.targets[0]!;
    const s = await rf.system(t);
    expect(s.path).toBe('/redfish/v1/Systems/System.Embedded.1');
    expect(s.power).toBe('off');
    expect(await rf.authKind(t)).toBe('session');
    // A wrong systemId in the rack file is named with the ids the BMC has.
    const err = await failure(rf.powerStatus({ ...t, systemId: '1' }));
    expect(err.message).toMatch(/no system 1 in \/redfish\/v1\/Systems \(it has System\.Embedded\.1\)/);
  });

  it('sends If-Match on every PATCH: a BMC demanding it (428 without) is satisfied', async () => {
    const l = await lab(1, { quirks: { requireIfMatch: true } });
    const rf = client(l);
    const t = l.targets[0]!;
    await rf.setBootDevice(t, { device: 'pxe', persistent: true, efi: true });
    expect(l.world.host(l.world.spec.hosts[0]!.hostname)).toMatchObject({
      bootDevice: 'pxe',
      bootPersistent: true,
      bootEfi: true,
    });
    expect(await rf.getBootDevice(t)).toEqual({ device: 'pxe', valid: true, persistent: true, efi: true });
    await rf.setBootDevice(t, { device: 'disk', persistent: false, efi: false });
    expect(await rf.getBootDevice(t)).toEqual({ device: 'disk', valid: true, persistent: false, efi: false });
    // The same BMC refuses a PATCH without If-Match: the check above could fail.
    const bmc = l.bmcs.bmc(l.world.spec.hosts[0]!.hostname);
    const auth = `Basic ${Buffer.from(`${t.username}:${t.password}`).toString('base64')}`;
    const bare = await bmc.handle({
      method: 'PATCH',
      path: bmc.systemPath,
      headers: { authorization: auth },
      body: { Boot: { BootSourceOverrideTarget: 'Pxe' } },
    });
    expect(bare.status).toBe(428);
    // A firmware that demands If-Match but gives no ETag: said so, not retried blindly.
    const handle = bmc.handle.bind(bmc);
    bmc.handle = async (req) => {
      const a = await handle(req);
      if (req.method !== 'GET' || !req.path.startsWith('/redfish/v1/Systems/')) return a;
      const { ['@odata.etag']: _drop, ...body } = a.body as Record<string, unknown>;
      return { status: a.status, body };
    };
    const err = await failure(rf.setBootDevice(t, { device: 'pxe' }));
    expect(err.message).toMatch(/needs If-Match, but the service gave the system no ETag/);
  });

  it('a stale ETag (412, the system changed between read and PATCH) is read again and sent once more', async () => {
    const l = await lab(1);
    const hostname = l.world.spec.hosts[0]!.hostname;
    const bmc = l.bmcs.bmc(hostname);
    const handle = bmc.handle.bind(bmc);
    let patches = 0;
    // Someone powers the host on between our GET and our first PATCH: its ETag is then stale.
    bmc.handle = async (req) => {
      if (req.method === 'PATCH' && patches++ === 0) l.world.setPower(hostname, 'on', 'someone else');
      return handle(req);
    };
    const rf = client(l);
    await rf.setBootDevice(l.targets[0]!, { device: 'pxe', efi: true });
    expect(patches).toBe(2);
    expect(l.world.host(hostname).bootDevice).toBe('pxe');
  });

  it('a 409 for "already on" counts as done; a Reset outside AllowableValues is refused before sending', async () => {
    const l = await lab(1, {
      quirks: { conflictWhenAlready: true, resetTypes: ['On', 'ForceOff', 'GracefulShutdown'] },
    });
    const rf = client(l);
    const t = l.targets[0]!;
    const hostname = l.world.spec.hosts[0]!.hostname;
    expect(await rf.power(t, 'on')).toEqual({ resetType: 'On', already: false });
    const posts = l.bmcs.bmc(hostname).counts.POST;
    expect(await rf.power(t, 'on')).toEqual({ resetType: 'On', already: true });
    expect(l.bmcs.bmc(hostname).counts.POST).toBe(posts + 1);
    const err = await failure(rf.power(t, 'cycle'));
    expect(err.kind).toBe('unsupported');
    expect(err.message).toMatch(
      /does not offer a ResetType for power cycle \(it allows On, ForceOff, GracefulShutdown\)/,
    );
    expect(l.bmcs.bmc(hostname).counts.POST).toBe(posts + 1);
  });

  it('shows the service extended error messages', async () => {
    const l = await lab(1, { quirks: { resetTypes: ['On', 'ForceOff'] } });
    const rf = client(l);
    const t = l.targets[0]!;
    const bmc = l.bmcs.bmc(l.world.spec.hosts[0]!.hostname);
    const handle = bmc.handle.bind(bmc);
    // A firmware that lists PowerCycle but refuses it anyway, as some do.
    bmc.handle = async (req) => {
      if (req.method === 'GET' && req.path.startsWith('/redfish/v1/Systems/')) {
        const a = await handle(req);
        const body = structuredClone(a.body) as any;
        body.Actions['#ComputerSystem.Reset']['ResetType@Redfish.AllowableValues'].push('PowerCycle');
        return { ...a, body };
      }
      return handle(req);
    };
    const err = await failure(rf.power(t, 'cycle'));
    expect(err.status).toBe(400);
    expect(err.message).toMatch(
      /POST \/redfish\/v1\/Systems\/1\/Actions\/ComputerSystem\.Reset refused \(HTTP 400\): The value PowerCycle for the parameter ResetType .* not in the list of acceptable values\. \(Base\.1\.8\.ActionParameterValueNotInList\) — Choose a value/,
    );
  });

  it('a graceful shutdown that takes seconds: the Reset answer waits for it within the reset deadline', async () => {
    const l = await lab(1, { quirks: { softOffDelayMs: 1_500, gracefulBlocks: true } });
    const hostname = l.world.spec.hosts[0]!.hostname;
    l.world.setPower(hostname, 'on', 'test');
    // Requests otherwise time out after 500 ms; a Reset has its own, longer deadline.
    const rf = client(l, { timeoutMs: 500, resetTimeoutMs: 10_000 });
    const t = l.targets[0]!;
    expect(await rf.powerStatus(t)).toBe('on');
    const started = Date.now();
    await rf.power(t, 'soft');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_400);
    expect(await rf.powerStatus(t)).toBe('off');
  });

  it('a graceful shutdown answered at once: power stays on until the OS is down', async () => {
    const l = await lab(1, { quirks: { softOffDelayMs: 800 } });
    const hostname = l.world.spec.hosts[0]!.hostname;
    l.world.setPower(hostname, 'on', 'test');
    const rf = client(l);
    const t = l.targets[0]!;
    await rf.power(t, 'soft');
    expect(await rf.powerStatus(t)).toBe('on');
    const end = Date.now() + 10_000;
    while ((await rf.powerStatus(t)) !== 'off') {
      if (Date.now() > end) throw new Error('never went off');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('keeps the first certificate seen and refuses a changed one with a clear message', async () => {
    const l = await lab(1);
    const t = l.targets[0]!;
    const first = client(l);
    expect(await first.powerStatus(t)).toBe('off');
    const known = readFileSync(join(l.dir, 'known_bmc_certs'), 'utf8');
    expect(known).toBe(`127.0.0.1:${t.port} ${l.bmcs.bmcs[0]!.certSha256}\n`);
    await l.bmcs.rotateCertificate(l.world.spec.hosts[0]!.hostname);
    const second = client(l);
    const err = await failure(second.powerStatus(t));
    expect(err.kind).toBe('certificate');
    expect(err.message).toMatch(
      new RegExp(
        `BMC of .* \\(127\\.0\\.0\\.1:${t.port}\\) presented a different certificate: SHA-256 [0-9A-F:]{95}, expected [0-9A-F:]{95} \\(.*known_bmc_certs line 1\\); refusing to send credentials`,
      ),
    );
    expect(err.hint).toMatch(/delete that line/);
  });

  it('a pinned certSha256 is checked instead of the file', async () => {
    const l = await lab(1);
    const t = l.targets[0]!;
    const rf = new RedfishClient({});
    cleanups.push(() => rf.close());
    expect(await rf.powerStatus({ ...t, certSha256: l.bmcs.bmcs[0]!.certSha256! })).toBe('off');
    // The same BMC with another pin: its open connection is not reused, the new one is checked.
    const err = await failure(rf.powerStatus({ ...t, certSha256: 'ab'.repeat(32) }));
    expect(err.message).toMatch(/the pinned certSha256 in the rack file/);
    // Without pin or known-certificates file nothing is trusted.
    const none = await failure(rf.powerStatus(t));
    expect(none.hint).toMatch(/pin it with certSha256/);
  });

  it('a wrong password: one clear line, one login attempt, never retried', async () => {
    const l = await lab(1);
    const hostname = l.world.spec.hosts[0]!.hostname;
    const rf = client(l);
    const t = { ...l.targets[0]!, password: 'not-the-password' };
    const err = await failure(rf.powerStatus(t));
    expect(err.kind).toBe('auth');
    expect(describeError(err).split('\n')[0]).toMatch(
      /^BMC of r\d+-n\d+ \(https:\/\/127\.0\.0\.1:\d+\) refused user \S+ \(HTTP 401\): wrong user name or password/,
    );
    expect(err.message).not.toContain('not-the-password');
    // One POST to the session service, no Basic attempt after it, nothing else.
    expect(l.bmcs.bmc(hostname).counts).toMatchObject({ POST: 1, sessionsCreated: 0, PATCH: 0 });
    expect(l.bmcs.bmc(hostname).counts.GET).toBe(1); // the unauthenticated service root
  });

  it('an unreachable BMC: the deadline holds and the address is named', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent: Server = createServer((s) => void sockets.add(s)); // accepts, never answers
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => silent.close(r));
    });
    const port = (silent.address() as { port: number }).port;
    const rf = new RedfishClient({ timeoutMs: 400, connectTimeoutMs: 400, getRetries: 1 });
    cleanups.push(() => rf.close());
    const started = Date.now();
    const err = await failure(
      rf.powerStatus({ host: '127.0.0.1', port, username: 'u', password: 'p', name: 'BMC of r09-n009' }),
    );
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(err.kind).toBe('unreachable');
    expect(err.message).toMatch(
      new RegExp(
        `^BMC of r09-n009 \\(https://127\\.0\\.0\\.1:${port}\\) did not (answer|accept a connection) within`,
      ),
    );
  });

  it('falls back to Basic when the BMC has no session service; sessions are deleted on close', async () => {
    const l = await lab(2, { quirks: (h) => (h.endsWith('1') ? { basicOnly: true } : {}) });
    const rf = new RedfishClient({ knownCertsPath: join(l.dir, 'known_bmc_certs') });
    const [a, b] = l.targets;
    const basicHost = l.world.spec.hosts.find((h) => h.hostname.endsWith('1'))!.hostname;
    const basic = l.targets.find((t) => t.name === `BMC of ${basicHost}`)!;
    const session = l.targets.find((t) => t !== basic)!;
    expect(a && b).toBeTruthy();
    await rf.powerStatus(basic);
    await rf.powerStatus(session);
    expect(await rf.authKind(basic)).toBe('basic');
    expect(await rf.authKind(session)).toBe('session');
    const sessionHost = session.name!.replace('BMC of ', '');
    expect(l.bmcs.bmc(sessionHost).sessionCount).toBe(1);
    await rf.close();
    expect(l.bmcs.bmc(sessionHost).sessionCount).toBe(0);
  });

  it('reuses its session and connections across calls; an expired session is opened again', async () => {
    const l = await lab(1, { scheme: 'http' });
    const rf = client(l);
    const t = l.targets[0]!;
    const hostname = l.world.spec.hosts[0]!.hostname;
    for (let i = 0; i < 5; i++) await rf.powerStatus(t);
    expect(await rf.sessionOpens(t)).toBe(1);
    l.bmcs.bmc(hostname).dropSessions();
    expect(await rf.powerStatus(t)).toBe('off');
    expect(await rf.sessionOpens(t)).toBe(2);
  });
});
