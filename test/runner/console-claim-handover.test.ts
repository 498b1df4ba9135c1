/**
 * The hand-over of a console between two jump hosts when the holder's lease ends. The other jump
 * host hears of the freed claim at once (etcd's watch) and claims it, while the holder learns of
 * its lease later (its keep-alive) and only then closes its SOL session: the BMC refuses the first
 * activation. The claim stays with the jump host that won it, so the one whose lease ended, though
 * its retry comes first, follows it instead of taking the console back.
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
import type { ConsoleState } from '../../src/protocol/console.ts';
import type { ConsoleGuard } from '../../src/runner/console/guard.ts';
import { ConsoleHub } from '../../src/runner/console/hub.ts';
import { until } from '../ipmi/helpers.ts';

const spec = generateLabSpec({ hosts: 1, racks: 1, seed: 5 });
const HOST = spec.hosts[0]!.hostname;
let world: LabWorld;
let consoles: LabConsoles;
let bmcs: LabBmcs;
const hubs: ConsoleHub[] = [];

/** The site's console claims as etcd keeps them, each jump host's lease ended by the test. */
class Claims {
  readonly holder = new Map<string, string>();
  readonly freed = new Set<(hostname: string) => void>();
  readonly lost = new Map<string, Set<() => void>>();

  guard(owner: string): ConsoleGuard {
    const lost = new Set<() => void>();
    this.lost.set(owner, lost);
    return {
      claim: async (h) => {
        const held = this.holder.get(h);
        if (held !== undefined && held !== owner) return `jump host ${held}`;
        this.holder.set(h, owner);
        return null;
      },
      release: async (h) => {
        if (this.holder.get(h) === owner) this.free(h);
      },
      onFreed: (fn) => (this.freed.add(fn), () => this.freed.delete(fn)),
      onLost: (fn) => (lost.add(fn), () => lost.delete(fn)),
      publish: () => undefined,
      follow: () => undefined,
      onRelayed: () => () => undefined,
      relayedSince: () => ({ data: Buffer.alloc(0), pos: undefined }),
    };
  }

  /** The lease of `owner` ends in etcd: its claims go, and the watchers hear of it. */
  revoke(owner: string): void {
    for (const [h, o] of this.holder) if (o === owner) this.free(h);
  }

  /** `owner`'s keep-alive finds its lease gone. */
  tellLost(owner: string): void {
    for (const fn of this.lost.get(owner) ?? []) fn();
  }

  private free(h: string): void {
    this.holder.delete(h);
    for (const fn of this.freed) fn(h);
  }
}

function target(): IpmiTarget {
  const b = bmcs.bmcs.find((x) => x.hostname === HOST)!;
  const h = spec.hosts[0]!;
  return { host: b.host, port: b.port, username: h.bmc.user, password: h.bmc.password, name: HOST };
}

function jumpHost(guard: ConsoleGuard, retryMs: number) {
  const hub = new ConsoleHub({
    targetFor: target,
    scrollbackBytes: 64 * 1024,
    recordingsDir: mkdtempSync(join(tmpdir(), 'rp-handover-')),
    lingerMs: 50,
    retryMs,
    guard,
  });
  hubs.push(hub);
  let state: ConsoleState | undefined;
  hub.watch(HOST, { id: 1, onData: () => undefined, onState: (s) => void (state = s) });
  return { hub, state: () => state };
}

beforeAll(async () => {
  world = new LabWorld(spec);
  consoles = new LabConsoles(world, { timeScale: 0.001, lineGapMs: 1 });
  bmcs = await startLabBmcs(world, {
    consoles: { subscribe: (h, fn) => consoles.subscribe(h, fn), input: (h, d) => consoles.input(h, d) },
  });
});

afterAll(async () => {
  for (const h of hubs) await h.close();
  await bmcs?.close();
  consoles?.dispose();
});

describe("a console whose holder's lease ended", () => {
  it('goes to the jump host that was waiting, though the BMC refused its first activation', async () => {
    const claims = new Claims();
    // a retries sooner than b: were b to give its claim back when the BMC refused it, a would win.
    const a = jumpHost(claims.guard('a'), 100);
    await until(() => a.state()?.state === 'open', 'a holds the console');
    const b = jumpHost(claims.guard('b'), 1_000);
    await until(() => b.state()?.state === 'elsewhere', 'b waits for a');
    const activations = bmcs.sol(HOST).activations;

    // b hears of the freed claim before a hears of its lease: a's session still stands on the BMC.
    claims.revoke('a');
    await until(() => b.state()?.state === 'unavailable', 'the BMC refuses b');
    expect(b.state()?.error).toContain('already active on another session');
    expect(claims.holder.get(HOST)).toBe('b');
    claims.tellLost('a');
    await until(() => /lease ended/.test(a.state()?.error ?? ''), 'a tells its viewer of its lease');

    await until(() => a.state()?.state === 'elsewhere', 'a, retrying first, finds b holding it');
    await until(() => b.state()?.state === 'open', 'b opens the console once a closed its session');
    expect(claims.holder.get(HOST)).toBe('b');
    expect(bmcs.sol(HOST)).toEqual({ active: true, activations: activations + 1 });
  });

  it('opens at once when the holder lets go while the claim is being asked, not at the slow retry', async () => {
    for (const h of hubs.splice(0)) await h.close();
    await until(() => !bmcs.sol(HOST).active, 'the BMC free');
    const claims = new Claims();
    claims.holder.set(HOST, 'z');
    const guard = claims.guard('c');
    const claim = guard.claim;
    // z's release reaches c after etcd answered c's claim with z, before c reads the answer.
    guard.claim = async (h) => {
      const answer = await claim(h);
      claims.revoke('z');
      return answer;
    };
    // The slow retry would come after 6 minutes.
    const c = jumpHost(guard, 60_000);
    await until(() => c.state()?.state === 'open', 'c opens the console z let go');
    expect(claims.holder.get(HOST)).toBe('c');
  });
});
