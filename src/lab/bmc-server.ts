/**
 * The lab's BMCs: one RMCP+ BMC per lab host, each on its own loopback UDP port (as each real BMC
 * has its own address), sharing power and boot state with the lab MaaS through the LabWorld.
 * Fault injection per host: seeded packet loss, slow answers, a dead BMC, a full session table.
 */
import dgram from 'node:dgram';
import { bmcAccessFor, LabBmc } from './bmc-core.ts';
import { labHostsNamed, seededRandom } from './spec.ts';
import type { LabWorld } from './world.ts';
import type { LabConsoles } from './host-console.ts';

export interface LabBmcFault {
  /** Percentage of datagrams lost in each direction, drawn from a seeded pattern. */
  lossPercent: number;
  /** Delay before each answer leaves the BMC. */
  delayMs: number;
  /** The BMC answers nothing at all. */
  dead: boolean;
  /** Open Session is refused with "insufficient resources" (the session limit is reached). */
  sessionsFull: boolean;
  /** SOL is disabled in the BMC's settings: Activate Payload answers "payload disabled". */
  solDisabled: boolean;
}

export interface LabBmcFaults {
  /** Set faults for one host, or '*' for every host. */
  set(hostname: string | '*', fault: Partial<LabBmcFault>): void;
  get(hostname: string): LabBmcFault;
  /** Clear faults of one host, or all hosts. */
  clear(hostname?: string): void;
  /** The BMC forgets its sessions (idle timeout, BMC reboot): consoles must re-open. */
  dropSessions(hostname?: string): void;
  /** Someone changed the BMC's password (undefined: back to the lab spec's): old credentials fail RAKP. */
  changePassword(hostname: string, password: string | undefined): void;
}

export interface LabBmcEndpoint {
  hostname: string;
  host: '127.0.0.1';
  port: number;
}

export interface StartLabBmcsOptions {
  /** Only these hosts get a BMC (default: every host of the spec). */
  hostnames?: string[];
  /** Fixed ports by hostname; hosts not listed get an OS-chosen port. */
  ports?: Record<string, number>;
  maxSessions?: number;
  sessionTimeoutMs?: number;
  softOffDelayMs?: number;
  /** Seed of the loss patterns, so a lossy run is reproducible. */
  seed?: number;
  /** The hosts' serial consoles, served over SOL (absent: SOL answers "payload disabled"). */
  consoles?: Pick<LabConsoles, 'subscribe' | 'input'>;
}

export interface LabBmcs {
  bmcs: LabBmcEndpoint[];
  faults: LabBmcFaults;
  /** Open sessions on one host's BMC. */
  sessionCount(hostname: string): number;
  /** The BMC's SOL payload: whether a session holds it, and how many activations it granted. */
  sol(hostname: string): { active: boolean; activations: number };
  /** Datagrams received / dropped by fault injection, for one host. */
  stats(hostname: string): { received: number; dropped: number; sent: number };
  close(): Promise<void>;
}

const NO_FAULT: LabBmcFault = {
  lossPercent: 0,
  delayMs: 0,
  dead: false,
  sessionsFull: false,
  solDisabled: false,
};

function hashName(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

interface Running {
  bmc: LabBmc;
  socket: dgram.Socket;
  fault: LabBmcFault;
  rand: () => number;
  stats: { received: number; dropped: number; sent: number };
  timers: Set<NodeJS.Timeout>;
}

export async function startLabBmcs(world: LabWorld, opts: StartLabBmcsOptions = {}): Promise<LabBmcs> {
  const hosts = labHostsNamed(world.spec, opts.hostnames);
  const seed = opts.seed ?? 1;
  const running = new Map<string, Running>();

  /** One datagram out of a BMC, through its fault injection (loss, delay). */
  const deliver = (r: Running, out: Buffer, to: dgram.RemoteInfo | undefined) => {
    if (!to || r.fault.dead) return;
    if (r.fault.lossPercent > 0 && r.rand() * 100 < r.fault.lossPercent) {
      r.stats.dropped++;
      return;
    }
    const send = () => {
      r.stats.sent++;
      r.socket.send(out, to.port, to.address);
    };
    if (r.fault.delayMs > 0) {
      const t = setTimeout(() => {
        r.timers.delete(t);
        send();
      }, r.fault.delayMs);
      r.timers.add(t);
    } else send();
  };

  const bind = (host: (typeof hosts)[number]): Promise<LabBmcEndpoint> =>
    new Promise((resolve, reject) => {
      const name = host.hostname;
      const socket = dgram.createSocket({ type: 'udp4' });
      let r: Running | undefined;
      const bmc = new LabBmc(bmcAccessFor(world, name), {
        name,
        username: host.bmc.user,
        password: host.bmc.password,
        ...(opts.maxSessions !== undefined && { maxSessions: opts.maxSessions }),
        ...(opts.sessionTimeoutMs !== undefined && { sessionTimeoutMs: opts.sessionTimeoutMs }),
        ...(opts.softOffDelayMs !== undefined && { softOffDelayMs: opts.softOffDelayMs }),
        ...(opts.consoles && {
          serial: {
            subscribe: (fn: (d: Buffer) => void) => opts.consoles!.subscribe(name, fn),
            input: (d: Buffer) => opts.consoles!.input(name, d),
          },
        }),
        emit: (datagram, peer) => r && deliver(r, datagram, peer as dgram.RemoteInfo),
      });
      r = {
        bmc,
        socket,
        fault: { ...NO_FAULT },
        rand: seededRandom(seed ^ hashName(name)),
        stats: { received: 0, dropped: 0, sent: 0 },
        timers: new Set(),
      };
      const lost = () => r!.fault.lossPercent > 0 && r!.rand() * 100 < r!.fault.lossPercent;
      socket.on('message', (msg, rinfo) => {
        const r = running.get(name);
        if (!r) return;
        r.stats.received++;
        if (r.fault.dead || lost()) {
          r.stats.dropped++;
          return;
        }
        bmc.sessionsFull = r.fault.sessionsFull;
        bmc.sol.enabled = !r.fault.solDisabled;
        for (const out of bmc.handle(msg, rinfo)) deliver(r, out, rinfo);
      });
      socket.once('error', reject);
      socket.bind(opts.ports?.[name] ?? 0, '127.0.0.1', () => {
        socket.off('error', reject);
        // A BMC socket error (e.g. ICMP unreachable echoes) must never crash the lab.
        socket.on('error', () => {});
        running.set(name, r!);
        bmc.sol.port = socket.address().port;
        resolve({ hostname: name, host: '127.0.0.1', port: socket.address().port });
      });
    });

  const bmcs: LabBmcEndpoint[] = [];
  try {
    for (const h of hosts) bmcs.push(await bind(h));
  } catch (err) {
    for (const r of running.values()) r.socket.close();
    throw err;
  }

  const each = (hostname: string | '*' | undefined, fn: (r: Running) => void) => {
    if (hostname === undefined || hostname === '*') {
      for (const r of running.values()) fn(r);
      return;
    }
    const r = running.get(hostname);
    if (!r) throw new Error(`no lab BMC for ${hostname}`);
    fn(r);
  };

  const faults: LabBmcFaults = {
    set: (hostname, fault) => each(hostname, (r) => Object.assign(r.fault, fault)),
    get: (hostname) => {
      let out = { ...NO_FAULT };
      each(hostname, (r) => (out = { ...r.fault }));
      return out;
    },
    clear: (hostname) => each(hostname, (r) => (r.fault = { ...NO_FAULT })),
    dropSessions: (hostname) => each(hostname, (r) => r.bmc.dropSessions()),
    changePassword: (hostname, password) =>
      each(hostname, (r) => {
        const spec = hosts.find((h) => h.hostname === hostname)!;
        r.bmc.setPassword(password ?? spec.bmc.password);
      }),
  };

  return {
    bmcs,
    faults,
    sessionCount: (hostname) => {
      let n = 0;
      each(hostname, (r) => (n = r.bmc.sessionCount));
      return n;
    },
    sol: (hostname) => {
      let out = { active: false, activations: 0 };
      each(hostname, (r) => {
        out = { active: r.bmc.sol.activeSession !== undefined, activations: r.bmc.sol.activations };
      });
      return out;
    },
    stats: (hostname) => {
      let s = { received: 0, dropped: 0, sent: 0 };
      each(hostname, (r) => (s = { ...r.stats }));
      return s;
    },
    close: async () => {
      await Promise.all(
        [...running.values()].map(
          (r) =>
            new Promise<void>((resolve) => {
              for (const t of r.timers) clearTimeout(t);
              r.bmc.dispose();
              r.socket.close(() => resolve());
            }),
        ),
      );
      running.clear();
    },
  };
}
