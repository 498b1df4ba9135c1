import { existsSync } from 'node:fs';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { LabWorld } from '../../src/lab/world.ts';
import { startLabBmcs, type LabBmcs, type StartLabBmcsOptions } from '../../src/lab/bmc-server.ts';
import type { IpmiTarget } from '../../src/gear/ipmi/session.ts';

export interface Lab {
  world: LabWorld;
  bmcs: LabBmcs;
  targets: IpmiTarget[];
  target(hostname: string): IpmiTarget;
}

export async function startLab(hosts: number, opts: StartLabBmcsOptions = {}): Promise<Lab> {
  const spec = generateLabSpec({ hosts, racks: Math.min(3, hosts), seed: 7 });
  const world = new LabWorld(spec);
  const bmcs = await startLabBmcs(world, opts);
  const targets = bmcs.bmcs.map((b) => {
    const h = spec.hosts.find((x) => x.hostname === b.hostname)!;
    return { host: b.host, port: b.port, username: h.bmc.user, password: h.bmc.password, name: b.hostname };
  });
  return {
    world,
    bmcs,
    targets,
    target: (hostname) => targets.find((t) => t.name === hostname)!,
  };
}

/** Poll until `check` holds; generous deadline, no fixed sleeps. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  deadlineMs = 15_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Whether to run interop tests against a program: skip with a message when absent, never under CI. */
export function interopProgram(path: string): { run: boolean } {
  if (existsSync(path)) return { run: true };
  if (process.env.CI) return { run: true }; // CI installs it: a missing program must fail, not skip
  console.warn(`${path} is not installed: skipping its interop tests (apt-get install it to run them)`);
  return { run: false };
}
