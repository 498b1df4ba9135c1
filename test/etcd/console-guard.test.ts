import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_STATE_NOTIFICATION, type ConsoleState } from '../../src/protocol/console.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { skipWithoutEtcd, startEtcd, type TestEtcd } from './etcd-server.ts';
import { seedSite, startJumpHost, until, type JumpHost } from './helpers.ts';

/**
 * Two jump hosts, one etcd, one BMC: the BMC serves one SOL session, so one runner of the site
 * holds a host's console at a time (its claim in etcd). The other's viewers are told which jump
 * host holds it, and its console opens once the holder closes it; the BMC never sees a second
 * activation while the first is open.
 */
const skip = skipWithoutEtcd();
const HOST = 'r01-n002';

let etcd: TestEtcd;
let tl: TestLab;
let a: JumpHost;
let b: JumpHost;

function states(jh: JumpHost): () => ConsoleState | undefined {
  let last: ConsoleState | undefined;
  jh.client.onNotification(CONSOLE_STATE_NOTIFICATION, (p) => {
    if ((p as ConsoleState).host === HOST) last = p as ConsoleState;
  });
  return () => last;
}

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
    const stateA = states(a);
    const stateB = states(b);
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
