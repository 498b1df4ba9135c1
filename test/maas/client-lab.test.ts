import { createServer } from 'node:http';
import { inspect } from 'node:util';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { MaasClient } from '../../src/gear/maas/client.ts';
import {
  MaasAuthError,
  MaasBadRequestError,
  MaasNotFoundError,
  MaasResponseError,
  MaasUnavailableError,
  MaasUnreachableError,
} from '../../src/gear/maas/errors.ts';
import { maasAuthorizationHeader } from '../../src/gear/maas/oauth.ts';
import { startSite } from './lab-helpers.ts';

/** Records every request the client sends, then passes it on. */
function recordingFetch() {
  const seen: { method: string; url: string; body: string; auth: string | null; type: string | null }[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const body = req.method === 'GET' || req.method === 'HEAD' ? '' : await req.clone().text();
    seen.push({
      method: req.method,
      url: req.url,
      body,
      auth: req.headers.get('authorization'),
      type: req.headers.get('content-type'),
    });
    return fetch(req);
  };
  return { seen, fetch: f as typeof fetch };
}

describe('MaaS client against the lab over real HTTP', () => {
  it('lists, filters and reads machines; one list call returns the whole site', async () => {
    const s = await startSite();
    const all = await s.client.listMachines();
    expect(all.map((m) => m.hostname).sort()).toEqual([...s.hostnames].sort());
    expect(all.every((m) => m.status_name === 'Ready' && m.power_type === 'ipmi')).toBe(true);
    const host = s.world.spec.hosts[0]!;
    const byMac = await s.client.listMachines({ mac_address: [host.nics[0]!.mac] });
    expect(byMac.map((m) => m.hostname)).toEqual([host.hostname]);
    const byName = await s.client.listMachines({ hostname: [s.hostnames[1]!, s.hostnames[2]!] });
    expect(byName).toHaveLength(2);
    const one = await s.client.readMachine(s.id(host.hostname));
    expect(one.interface_set.map((i) => i.name)).toEqual(host.nics.map((_, i) => `eth${i}`));
    const boot = one.interface_set.find((i) => i.id === one.boot_interface?.id);
    expect(boot?.links[0]?.mode).toBe('auto');
    expect(boot?.links[0]?.subnet?.cidr).toMatch(/^10\.\d+\.0\.0\/16$/);
    expect(one.cpu_count).toBe(host.cpuCount);
    expect(one.memory).toBe(host.memoryMb);
  });

  it('sends form-encoded bodies: deploy with base64 user_data and hwe_kernel, release erase flags', async () => {
    const s = await startSite();
    const rec = recordingFetch();
    const c = new MaasClient({ url: s.lab.url, apiKey: s.lab.apiKeyParts, fetch: rec.fetch });
    const [a, b, d, e] = s.hostnames.map((h) => s.id(h));
    const userData = '#cloud-config\nruncmd: [echo hi]\n';
    await c.deploy(a!, { distroSeries: 'centos7', userData, hweKernel: 'hwe-22.04', comment: 'tenant 42' });
    const deploy = rec.seen.at(-1)!;
    expect(deploy.url).toMatch(/\/MAAS\/api\/2\.0\/machines\/[a-z0-9]+\/\?op=deploy$/);
    expect(deploy.type).toMatch(/^application\/x-www-form-urlencoded/);
    const form = new URLSearchParams(deploy.body);
    expect(form.get('distro_series')).toBe('centos7');
    expect(Buffer.from(form.get('user_data')!, 'base64').toString()).toBe(userData);
    expect(form.get('hwe_kernel')).toBe('hwe-22.04');
    await s.waitStatus(a!, 'Deployed');
    const flags: Record<string, string> = {};
    for (const [id, mode] of [
      [a, 'quick'],
      [b, 'secure'],
      [d, 'full'],
      [e, 'none'],
    ] as const) {
      s.lab.machines.setStatus(s.lab.machines.core.get(id!).hostname, 'Deployed');
      await c.release(id!, { erase: mode });
      flags[mode] = rec.seen.at(-1)!.body;
    }
    expect(flags).toEqual({
      quick: 'erase=true&quick_erase=true',
      secure: 'erase=true&secure_erase=true',
      full: 'erase=true',
      none: 'erase=false',
    });
  });

  it('every request carries a fresh MaaS OAuth PLAINTEXT header', async () => {
    const s = await startSite();
    const rec = recordingFetch();
    const c = new MaasClient({ url: s.lab.url + '/', apiKey: s.lab.apiKeyParts, fetch: rec.fetch });
    await c.listMachines();
    await c.version();
    const [h1, h2] = rec.seen.map((r) => r.auth!);
    for (const h of [h1!, h2!]) {
      expect(h).toMatch(/^OAuth /);
      expect(h).toContain('oauth_signature_method="PLAINTEXT"');
      expect(h).toContain(`oauth_signature="%26${s.lab.apiKeyParts.tokenSecret}"`);
      expect(h).toContain(`oauth_consumer_key="${s.lab.apiKeyParts.consumerKey}"`);
      expect(h).toContain(`oauth_token="${s.lab.apiKeyParts.tokenKey}"`);
      expect(h).toMatch(/oauth_timestamp="\d+"/);
      expect(h).toContain('oauth_version="1.0"');
    }
    expect(h1!.match(/oauth_nonce="(\w+)"/)![1]).not.toBe(h2!.match(/oauth_nonce="(\w+)"/)![1]);
    expect(rec.seen[0]!.url).toBe(`${s.lab.url}/api/2.0/machines/`);
  });

  it('powers on and off through MaaS and queries the power state', async () => {
    const s = await startSite({ initialStates: { 'r01-n001': 'Deployed' } });
    const host = 'r01-n001';
    const id = s.id(host);
    await s.client.powerOn(id, { comment: 'maintenance done' });
    expect(await s.client.queryPowerState(id)).toBe('on');
    expect(s.world.host(host).power).toBe('on');
    await s.client.powerOff(id, { stopMode: 'hard' });
    expect(await s.client.queryPowerState(id)).toBe('off');
    expect((await s.client.readMachine(id)).power_state).toBe('off');
  });

  it('reports a BMC that cannot be queried as power_state error with an event', async () => {
    const s = await startSite({
      powerDriver: {
        powerOn: async () => {},
        powerOff: async () => {},
        query: async () => {
          throw new Error('no answer from 127.0.0.1:623');
        },
      },
    });
    const id = s.id(s.hostnames[0]!);
    expect(await s.client.queryPowerState(id)).toBe('error');
    const m = await s.client.readMachine(id);
    expect(m.power_state).toBe('error');
    expect(m.status_message).toBe("Failed to query node's BMC - no answer from 127.0.0.1:623");
  });

  it('edits interfaces in Ready: update MAC, bond with explicit mode, link and unlink subnets, delete bond', async () => {
    const s = await startSite();
    const host = s.world.spec.hosts.find((h) => h.nics.length >= 2)!;
    const id = s.id(host.hostname);
    const ifaces = await s.client.listInterfaces(id);
    expect(ifaces.map((i) => i.mac_address)).toEqual(host.nics.map((n) => n.mac));
    const updated = await s.client.updateInterfaceMac(id, ifaces[0]!.id, '1E:00:00:AA:BB:01');
    expect(updated.mac_address).toBe('1e:00:00:aa:bb:01');
    expect((await s.client.readInterface(id, ifaces[0]!.id)).mac_address).toBe('1e:00:00:aa:bb:01');

    const bond = await s.client.createBond(id, {
      name: 'bond0',
      parents: ifaces.slice(0, 2).map((i) => i.id),
      bondMode: 'active-backup',
      macAddress: '1e:00:00:aa:bb:01',
    });
    expect(bond.type).toBe('bond');
    expect(bond.parents).toEqual(ifaces.slice(0, 2).map((i) => i.name));
    expect(bond.params).toMatchObject({ bond_mode: 'active-backup', bond_miimon: 100 });
    const parents = (await s.client.listInterfaces(id)).filter((i) => bond.parents.includes(i.name));
    expect(parents.every((p) => p.children.includes('bond0'))).toBe(true);

    const subnets = await s.client.listSubnets();
    const linked = await s.client.linkSubnet(id, bond.id, {
      mode: 'STATIC',
      subnet: subnets[0]!.id,
      ipAddress: '10.1.5.5',
    });
    const link = linked.links.find((l) => l.mode === 'static')!;
    expect(link.ip_address).toBe('10.1.5.5');
    expect(link.subnet?.cidr).toBe(subnets[0]!.cidr);
    const unlinked = await s.client.unlinkSubnet(id, bond.id, link.id);
    expect(unlinked.links.some((l) => l.id === link.id)).toBe(false);

    await s.client.deleteInterface(id, bond.id);
    const after = await s.client.listInterfaces(id);
    expect(after.some((i) => i.type === 'bond')).toBe(false);
    expect(after.every((i) => i.children.length === 0)).toBe(true);
  });

  it('a bond created without bond_mode is stored as balance-rr (MaaS pitfall the client avoids)', async () => {
    const s = await startSite();
    const host = s.world.spec.hosts.find((h) => h.nics.length >= 2)!;
    const id = s.id(host.hostname);
    const ifaces = await s.client.listInterfaces(id);
    const body = new URLSearchParams();
    body.append('name', 'bond9');
    for (const i of ifaces.slice(0, 2)) body.append('parents', String(i.id));
    const url = `${s.lab.url}/api/2.0/nodes/${id}/interfaces/?op=create_bond`;
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers: { Authorization: maasAuthorizationHeader(s.lab.apiKeyParts) },
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { params: { bond_mode: string } }).params.bond_mode).toBe('balance-rr');
  });

  it('refuses a MAC already in use and a bad bond with typed 400 errors carrying MaaS text', async () => {
    const s = await startSite();
    const [h0, h1] = s.world.spec.hosts;
    const id = s.id(h0!.hostname);
    const ifaces = await s.client.listInterfaces(id);
    const err = await s.client
      .updateInterfaceMac(id, ifaces[0]!.id, h1!.nics[0]!.mac)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasBadRequestError);
    expect((err as MaasBadRequestError).body).toContain(`already in use by ${h1!.hostname}`);
    const bad = await s.client
      .createBond(id, { name: 'bond0', parents: [999999], bondMode: 'active-backup' })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(MaasBadRequestError);
    expect((bad as MaasBadRequestError).body).toContain('parents');
  });

  it('lists boot resources, subnets and the version', async () => {
    const s = await startSite({ images: ['ubuntu/jammy', 'centos/centos70'] });
    const res = await s.client.listBootResources();
    expect(res.map((r) => r.name)).toEqual(expect.arrayContaining(['ubuntu/jammy', 'centos/centos70']));
    expect(res.every((r) => r.resource_uri.startsWith('/MAAS/api/2.0/boot-resources/'))).toBe(true);
    const subnets = await s.client.listSubnets();
    expect(subnets).toHaveLength(s.world.spec.switches.length);
    expect(subnets[0]!.vlan.dhcp_on).toBe(true);
    expect((await s.client.version()).capabilities).toContain('authenticate-api');
  });

  it('streams a machine’s events with after=, newest first, without gaps', async () => {
    const s = await startSite();
    const id = s.id(s.hostnames[0]!);
    const first = await s.client.queryEvents({ id, limit: 100 });
    const last = first.events[0]!.id;
    await s.client.deploy(id, { distroSeries: 'jammy' });
    await s.waitStatus(id, 'Deployed');
    const seen: string[] = [];
    let after = last;
    for (;;) {
      const page = await s.client.queryEvents({ id, after, limit: 3 });
      if (page.count === 0) break;
      const ids = page.events.map((e) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(Math.min(...ids)).toBeGreaterThan(after);
      seen.push(
        ...page.events.reverse().map((e) => (e.description ? `${e.type} - ${e.description}` : e.type)),
      );
      after = Math.max(...ids);
      expect(page.next_uri).toContain(`after=${after}`);
    }
    expect(seen[0]).toBe("Node changed status - From 'Ready' to 'Allocated'");
    expect(seen).toContain('Deploying - (admin)');
    expect(seen.at(-1)).toBe("Node changed status - From 'Deploying' to 'Deployed'");
    // The lab's own record holds every level; the query above asked for INFO and up (MaaS's default).
    const lines = s.lab.machines.events(s.hostnames[0]!, 'INFO');
    expect(seen).toEqual(lines.slice(first.count));
    const warnings = await s.client.queryEvents({ id, level: 'ERROR' });
    expect(warnings.count).toBe(0);
  });
});

describe('MaaS client failures become operator errors', () => {
  it('401: wrong key → MaasAuthError whose message, hint and debug log hold no part of the secret', async () => {
    const log: string[] = [];
    const s = await startSite({ clientLog: (l) => log.push(l) });
    const wrongSecret = 'Zq9WrongSecretValueForTestOnly42';
    const c = new MaasClient({
      url: s.lab.url,
      apiKey: { ...s.lab.apiKeyParts, tokenSecret: wrongSecret },
      log: (l) => log.push(l),
    });
    const err = await c.listMachines().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasAuthError);
    const e = err as MaasAuthError;
    expect(e.status).toBe(401);
    expect(e.hint).toMatch(/maas apikey --username/);
    expect(log.length).toBeGreaterThan(0);
    const everything = [e.message, e.hint ?? '', e.body, String(e), e.describe(), ...log].join('\n');
    for (const secret of [wrongSecret, s.lab.apiKeyParts.tokenSecret]) {
      // No 8-character window of the secret appears anywhere.
      for (let i = 0; i + 8 <= secret.length; i++) expect(everything).not.toContain(secret.slice(i, i + 8));
    }
    // Nor does anything a crash dump would print (the error with its whole cause chain).
    expect(inspect(err, { depth: 20 })).not.toContain(wrongSecret.slice(0, 8));
    // The good key's debug log over a whole session leaks nothing either.
    await s.client.listMachines();
    await s.client.deploy(s.id(s.hostnames[0]!), { distroSeries: 'jammy' });
    const all = log.join('\n');
    expect(all).not.toContain(s.lab.apiKeyParts.tokenSecret.slice(0, 8));
  });

  it('the lab answers 401 to a missing header, a missing parameter and a non-integer timestamp', async () => {
    const s = await startSite();
    const url = `${s.lab.url}/api/2.0/machines/`;
    const good = maasAuthorizationHeader(s.lab.apiKeyParts);
    const variants = [
      undefined,
      good.replace(/oauth_nonce="\w+", /, ''),
      good.replace(/oauth_timestamp="\d+"/, 'oauth_timestamp="12.5"'),
      good.replace(/oauth_token="\w+"/, 'oauth_token="nope"'),
    ];
    for (const auth of variants) {
      const res = await fetch(url, { headers: auth ? { Authorization: auth } : {} });
      expect(res.status).toBe(401);
      expect(await res.text()).not.toContain(s.lab.apiKeyParts.tokenSecret);
    }
    expect((await fetch(url, { headers: { Authorization: good } })).status).toBe(200);
    // version/ is readable without a key, as on a real region.
    expect((await fetch(`${s.lab.url}/api/2.0/version/`)).status).toBe(200);
  });

  it('503 bursts: reads retry and succeed; deploy is never retried and says MaaS is busy', async () => {
    const s = await startSite();
    s.lab.faults.unavailable(2);
    const before = s.lab.stats.requests;
    const list = await s.client.listMachines();
    expect(list.length).toBe(s.hostnames.length);
    expect(s.lab.stats.requests - before).toBe(3);
    s.lab.faults.unavailable(1);
    const id = s.id(s.hostnames[0]!);
    const n = s.lab.stats.requests;
    const err = await s.client.deploy(id, { distroSeries: 'jammy' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnavailableError);
    expect(s.lab.stats.requests - n).toBe(1);
    expect((err as MaasUnavailableError).hint).toMatch(/busy/);
    expect((await s.client.readMachine(id)).status_name).toBe('Ready');
    // More failures than retries: the read gives up with the same typed error.
    s.lab.faults.unavailable(10);
    await expect(s.client.listMachines()).rejects.toBeInstanceOf(MaasUnavailableError);
  });

  it('slow responses past the timeout → MaasUnreachableError (timed out)', async () => {
    const s = await startSite();
    s.lab.faults.slow(400);
    const c = new MaasClient({ url: s.lab.url, apiKey: s.lab.apiKeyParts, timeoutMs: 50, retries: 0 });
    const err = await c.listMachines().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnreachableError);
    expect((err as Error).message).toMatch(/did not answer within/);
    // The HTTP library's error carries the signed request; none of it may survive in the cause chain.
    const dump = inspect(err, { depth: 20 });
    expect(dump).not.toContain(s.lab.apiKeyParts.tokenSecret);
    expect(dump).not.toContain('oauth_signature');
    expect((err as MaasUnreachableError).hint).toMatch(/retry/);
    // A state-changing call that timed out may have happened: the operator is told to look first.
    const id = s.id(s.hostnames[0]!);
    const lost = await c.deploy(id, { distroSeries: 'jammy' }).catch((e: unknown) => e);
    expect(lost).toBeInstanceOf(MaasUnreachableError);
    expect((lost as MaasUnreachableError).hint).toMatch(
      /may still have carried out deploy: read the machine's state/,
    );
    s.lab.faults.clear();
    expect((await s.client.listMachines()).length).toBeGreaterThan(0);
    // …and indeed it did: the slow region went on to deploy.
    await s.waitFor(async () => (await s.client.readMachine(id)).status_name !== 'Ready', 'the late deploy');
  });

  it('404 for a machine that is gone', async () => {
    const s = await startSite();
    const err = await s.client.readMachine('gone00').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasNotFoundError);
    expect((err as MaasNotFoundError).hint).toMatch(/gone from MaaS/);
    expect((err as MaasNotFoundError).target).toBe('gone00');
  });

  it('nothing listening → MaasUnreachableError naming the URL', async () => {
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    await new Promise<void>((r) => srv.close(() => r()));
    const c = new MaasClient({
      url: `http://127.0.0.1:${port}/MAAS`,
      apiKey: { consumerKey: 'ck', tokenKey: 'tk', tokenSecret: 'UnreachableSecret123' },
      retries: 1,
      retryDelayMs: 1,
    });
    const err = await c.listMachines().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MaasUnreachableError);
    expect((err as Error).message).toContain(`http://127.0.0.1:${port}/MAAS`);
    expect((err as MaasUnreachableError).hint).toMatch(/unreachable/);
  });

  it('a 200 that is not MaaS JSON → MaasResponseError', async () => {
    const srv = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<html>proxy login</html>');
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const port = (srv.address() as AddressInfo).port;
    try {
      const c = new MaasClient({
        url: `http://127.0.0.1:${port}/MAAS`,
        apiKey: { consumerKey: 'a', tokenKey: 'b', tokenSecret: 'c' },
      });
      await expect(c.listMachines()).rejects.toBeInstanceOf(MaasResponseError);
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('refuses a system_id that could steer the URL', async () => {
    const s = await startSite();
    await expect(s.client.readMachine('../../users')).rejects.toThrow(/not a MaaS system_id/);
  });
});
