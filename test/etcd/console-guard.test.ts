import { Etcd3 } from 'etcd3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CONSOLE_DATA_NOTIFICATION,
  CONSOLE_STATE_NOTIFICATION,
  type ConsoleData,
  type ConsoleState,
} from '../../src/protocol/console.ts';
import { RELAY_SLOTS } from '../../src/runner/console/relay-chunks.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { skipWithoutEtcd, startEtcd, type TestEtcd } from './etcd-server.ts';
import { seedSite, startJumpHost, until, type JumpHost } from './helpers.ts';

/**
 * Two jump hosts, one etcd, one BMC: the BMC serves one SOL session, so one runner of the site
 * holds a host's console at a time (its claim in etcd). The other's viewers are told which jump
 * host holds it, and its console opens once the holder closes it; the BMC never sees a second
 * activation while the first is open. The holder relays what the console prints through etcd
 * to the other, whose viewers watch it read-only (and whose doctor quotes it); the relay's keys
 * stay a bounded ring and go with the claim. A holder whose lease ends closes its SOL session and
 * tells its viewers; the other jump host takes the console, and the first takes it back once it
 * is free again under its new lease.
 */
const skip = skipWithoutEtcd();
const HOST = 'r01-n002';

let etcd: TestEtcd;
let tl: TestLab;
let a: JumpHost;
let b: JumpHost;

interface Watcher {
  text(): string;
  state(): ConsoleState | undefined;
}

function watcher(jh: JumpHost): Watcher {
  let text = '';
  let last: ConsoleState | undefined;
  jh.client.onNotification(CONSOLE_DATA_NOTIFICATION, (p) => {
    for (const { host, data } of (p as ConsoleData).items)
      if (host === HOST) text += Buffer.from(data, 'base64').toString('latin1');
  });
  jh.client.onNotification(CONSOLE_STATE_NOTIFICATION, (p) => {
    if ((p as ConsoleState).host === HOST) last = p as ConsoleState;
  });
  return { text: () => text, state: () => last };
}

const ring = (jh: JumpHost) => [...jh.runner.wb.etcd!.site.entries(`console-out/${HOST}/`)];
const base64 = (s: string) => Buffer.from(s).toString('base64');

beforeAll(async () => {
  if (skip) return;
  etcd = await startEtcd();
  tl = await startTestLab({ hosts: 3, racks: 1, seed: 9 });
  a = await startJumpHost(tl, etcd, '/rp-console/', 'a');
  b = await startJumpHost(tl, etcd, '/rp-console/', 'b');
  await seedSite(a, tl);
  await until('b sees the host', () => b.runner.wb.store.hosts.list().some((h) => h.hostname === HOST));
}, 120_000);

afterAll(async () => {
  await a?.stop().catch(() => undefined);
  await b?.stop().catch(() => undefined);
  await tl?.close();
  await etcd?.close();
});

describe.skipIf(skip)("one SOL session per BMC across the site's jump hosts", () => {
  it('the second jump host is told who holds the console, and opens it once the first closes it', async () => {
    const stateA = watcher(a).state;
    const stateB = watcher(b).state;
    await a.client.call('console.open', { host: HOST });
    await until('a opens the console', () => stateA()?.state === 'open');
    expect(tl.lab.bmcs.sol(HOST)).toEqual({ active: true, activations: 1 });

    await b.client.call('console.open', { host: HOST });
    await until('b is told another jump host holds it', () => stateB()?.state === 'elsewhere');
    const ownerA = a.runner.wb.etcd!.site.owner;
    expect(stateB()?.heldBy).toContain(ownerA);
    expect(stateB()?.error).toContain(`held by jump host`);
    expect(stateB()?.hint).toContain(`rackpilot console ${HOST}`);
    // b did not ask the BMC: still the one session a opened.
    expect(tl.lab.bmcs.sol(HOST)).toEqual({ active: true, activations: 1 });
    expect(a.runner.wb.etcd!.site.get(`consoles/${HOST}`)?.value).toContain(ownerA);

    // a's viewer leaves: after the linger a closes the session and frees the claim; b opens it.
    await a.client.call('console.close', { host: HOST });
    await until('b opens the console once a freed it', () => stateB()?.state === 'open', 20_000);
    expect(stateB()?.heldBy).toBeUndefined();
    expect(tl.lab.bmcs.sol(HOST)).toEqual({ active: true, activations: 2 });
    expect(b.runner.wb.etcd!.site.get(`consoles/${HOST}`)?.value).toContain(b.runner.wb.etcd!.site.owner);

    // And back: now a's viewer is the one told.
    await a.client.call('console.open', { host: HOST });
    await until('a is told b holds it', () => stateA()?.state === 'elsewhere');
    expect(stateA()?.heldBy).toContain(b.runner.wb.etcd!.site.owner);
    await a.client.call('console.close', { host: HOST });
    await b.client.call('console.close', { host: HOST });
    await until('the session ends once nobody watches', () => !tl.lab.bmcs.sol(HOST).active, 20_000);
    await until('the claim goes', () => b.runner.wb.etcd!.site.get(`consoles/${HOST}`) === undefined, 10_000);
  });
});

describe.skipIf(skip)("a console relayed to the site's other jump hosts", () => {
  it("the second jump host's viewer sees the lines printed on the host's console, read-only", async () => {
    const wa = watcher(a);
    const wb = watcher(b);
    const first = tl.lab.bmcs.sol(HOST).activations;
    await a.client.call('console.open', { host: HOST });
    await until('a opens the console', () => wa.state()?.state === 'open');
    // Nobody elsewhere follows yet: the holder writes nothing to etcd.
    tl.lab.world.setInstalledOs(HOST, 'ubuntu/jammy');
    tl.lab.world.setBoot(HOST, 'disk', false, false);
    tl.lab.world.setPower(HOST, 'on', 'test');
    await until('the login prompt on a', () => wa.text().includes(`${HOST} login: `));
    expect(ring(a)).toEqual([]);

    // b's viewer: told who holds it, and shown what the console showed (the holder's tail).
    await b.client.call('console.open', { host: HOST });
    await until('b follows the console', () => wb.state()?.state === 'elsewhere');
    expect(wb.state()?.heldBy).toContain(a.runner.wb.etcd!.site.owner);
    await until('the tail reaches b', () => wb.text().includes(`${HOST} login: `), 10_000);
    expect(wb.text()).toContain('Ubuntu 22.04');

    // Read-only there: no keyboard, no keys.
    await expect(b.client.call('console.keyboard', { host: HOST, take: true })).rejects.toThrow(
      /held by jump host .*read-only here/,
    );
    await expect(b.client.call('console.input', { host: HOST, data: base64('x') })).rejects.toThrow(
      /do not have the keyboard/,
    );

    // Live: what a's viewer types makes the host print; b sees it.
    await a.client.call('console.keyboard', { host: HOST, take: true });
    await a.client.call('console.input', { host: HOST, data: base64('root\r') });
    await until('the live line reaches b', () => wb.text().includes('Password: '), 10_000);
    expect(tl.lab.bmcs.sol(HOST)).toEqual({ active: true, activations: first + 1 });
    // b's scrollback holds the relayed lines too (a CLI `console HOST` there prints them).
    const read = await b.client.call('console.read', { host: HOST });
    expect(Buffer.from(read.data, 'base64').toString('latin1')).toContain('Password: ');
    expect(ring(a).length).toBeGreaterThan(0);
    expect(ring(a).length).toBeLessThanOrEqual(RELAY_SLOTS);

    // b's viewer leaves and comes back: a publishes its tail again, b's scrollback takes each byte once.
    const follows = () => [...a.runner.wb.etcd!.site.entries(`console-watch/${HOST}/`)].length;
    await b.client.call('console.close', { host: HOST });
    await until('b stops following', () => follows() === 0, 10_000);
    await b.client.call('console.open', { host: HOST });
    await until('b follows again', () => follows() === 1, 10_000);
    await a.client.call('console.input', { host: HOST, data: base64('\r') });
    await until('the next prompt reaches b', () => wb.text().split('Login incorrect').length > 1, 10_000);
    const again = Buffer.from((await b.client.call('console.read', { host: HOST })).data, 'base64');
    expect(again.toString('latin1').split('Password: ').length).toBe(2);

    // b's doctor quotes the relayed console (it does not ask the BMC, which a holds).
    const d = await b.client.call('host.doctor', { host: HOST });
    expect(d.console?.join('\n')).toContain(`${HOST} login:`);
    expect(d.unchecked.join(' ')).not.toContain('console');
    expect(tl.lab.bmcs.sol(HOST).activations).toBe(first + 1);

    // With no viewer at b, b's doctor follows the console for its read: what a relays says b is up to date.
    await b.client.call('console.close', { host: HOST });
    await until('b stops following', () => follows() === 0, 10_000);
    const d2 = await b.client.call('host.doctor', { host: HOST });
    expect(d2.console?.join('\n')).toContain('Login incorrect');
    expect(d2.unchecked.join(' ')).not.toContain('console');
    await b.client.call('console.open', { host: HOST });

    // a lets go: the ring goes with the claim, and b's viewer may take the console itself.
    await a.client.call('console.close', { host: HOST });
    await until('b opens the console once a freed it', () => wb.state()?.state === 'open', 20_000);
    await until('the relay ring is gone', () => ring(b).length === 0, 10_000);
    const taken = await b.client.call('console.keyboard', { host: HOST, take: true });
    expect(taken.keyboard).toBe('you');
    await b.client.call('console.close', { host: HOST });
    await until('the session ends once nobody watches', () => !tl.lab.bmcs.sol(HOST).active, 20_000);
  });

  it('a holder whose lease ends closes its session and says so; it takes the console again once it heals', async () => {
    const wa = watcher(a);
    const wb = watcher(b);
    await a.client.call('console.open', { host: HOST });
    await until('a holds the console', () => wa.state()?.state === 'open', 20_000);
    await b.client.call('console.open', { host: HOST });
    await until('b waits, following it', () => wb.state()?.state === 'elsewhere', 20_000);
    const activations = tl.lab.bmcs.sol(HOST).activations;

    // a's lease ends (etcd revokes it: what a freeze past its TTL comes to).
    const claim = a.runner.wb.etcd!.site.get(`consoles/${HOST}`)!;
    const admin = new Etcd3({ hosts: etcd.endpoint });
    try {
      await admin.leaseClient.leaseRevoke({ ID: claim.lease });
    } finally {
      admin.close();
    }
    await until('a tells its viewer the console went with its lease', () =>
      /lease ended/.test(wa.state()?.error ?? ''),
    );
    await until('b, which was waiting, takes the console', () => wb.state()?.state === 'open', 30_000);
    expect(tl.lab.bmcs.sol(HOST)).toEqual({ active: true, activations: activations + 1 });
    expect(b.runner.wb.etcd!.site.get(`consoles/${HOST}`)?.value).toContain(b.runner.wb.etcd!.site.owner);

    // a's lease heals (a new one); its viewer still watches: it follows b, then takes it back once b lets go.
    await until('a takes a new lease', () => a.runner.wb.etcd!.site.getHealth().lease.renewedAt !== null);
    await until('a follows b', () => wa.state()?.state === 'elsewhere', 30_000);
    await b.client.call('console.close', { host: HOST });
    await until('a holds the console again', () => wa.state()?.state === 'open', 30_000);
    expect(a.runner.wb.etcd!.site.get(`consoles/${HOST}`)?.value).toContain(a.runner.wb.etcd!.site.owner);
    expect(tl.lab.bmcs.sol(HOST).active).toBe(true);
    await a.client.call('console.close', { host: HOST });
    await until('the session ends once nobody watches', () => !tl.lab.bmcs.sol(HOST).active, 20_000);
  });
});
