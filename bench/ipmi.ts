/**
 * Power-status sweep of 1,000 lab BMCs: the native client (one socket, one session per BMC)
 * against `ipmitool` subprocesses at the same concurrency. The BMCs run in a process of their own,
 * as real BMCs are other machines. Goals: < 2 s native, >= 20x ipmitool.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import { IpmiClient } from '../src/gear/ipmi/client.ts';
import type { IpmiTarget } from '../src/gear/ipmi/session.ts';
import pLimit from 'p-limit';
import { generateLabSpec } from '../src/lab/spec.ts';
import { startBmcFarm } from './bmc-farm.ts';

const HOSTS = 1000;
const CONCURRENCY = 64;
const IPMITOOL = '/usr/bin/ipmitool';

/** Power status of every target, CONCURRENCY in flight; a failing BMC counts, it does not stop the sweep. */
function sweepPower(client: IpmiClient, targets: readonly IpmiTarget[]) {
  return pLimit(CONCURRENCY).map(targets, (t) =>
    client.powerStatus(t).then(
      (power) => ({ power, error: undefined }),
      (error: unknown) => ({ power: undefined, error }),
    ),
  );
}

function ipmitoolStatus(t: IpmiTarget): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      IPMITOOL,
      [
        '-I',
        'lanplus',
        '-C',
        '3',
        '-H',
        t.host,
        '-p',
        String(t.port),
        '-U',
        t.username,
        '-E',
        'power',
        'status',
      ],
      { env: { ...process.env, IPMI_PASSWORD: t.password }, timeout: 30_000 },
      (err, stdout) =>
        err ? reject(err) : /Chassis Power is (on|off)/.test(stdout) ? resolve() : reject(new Error(stdout)),
    );
  });
}

export async function run(): Promise<void> {
  const specOptions = { hosts: HOSTS, racks: 20, seed: 1 };
  const spec = generateLabSpec(specOptions);
  const farm = await startBmcFarm(specOptions);
  try {
    const targets: IpmiTarget[] = farm.bmcs.map((b, i) => ({
      host: b.host,
      port: b.port,
      username: spec.hosts[i]!.bmc.user,
      password: spec.hosts[i]!.bmc.password,
      name: b.hostname,
    }));

    // Warm the JIT of both processes with a throwaway client, so the figure is the steady state.
    const warm = new IpmiClient();
    await sweepPower(warm, targets);
    await warm.close();

    const client = new IpmiClient();
    let t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const cold = await sweepPower(client, targets);
    const coldMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const coldCpuMs = (cpu.user + cpu.system) / 1000;
    t0 = performance.now();
    const again = await sweepPower(client, targets);
    const warmMs = performance.now() - t0;
    await client.close();
    const failures = [...cold, ...again].filter((r) => r.error).length;
    console.log(`ipmi: ${HOSTS} lab BMCs, concurrency ${CONCURRENCY}, one UDP socket`);
    console.log(
      `  native sweep, opening sessions : ${coldMs.toFixed(0)} ms  (${(coldMs / HOSTS).toFixed(2)} ms/BMC, ${failures} failures)`,
    );
    // CPU time is what the client itself costs; wall time also counts the BMCs and a busy machine.
    console.log(
      `  client CPU for that sweep      : ${coldCpuMs.toFixed(0)} ms (load average ${loadavg()[0]!.toFixed(1)})`,
    );
    console.log(`  native sweep, sessions reused  : ${warmMs.toFixed(0)} ms`);
    console.log(`  goal < 2000 ms                 : ${coldMs < 2000 ? 'met' : 'MISSED'}`);

    if (!existsSync(IPMITOOL)) {
      console.log(`  ipmitool not installed (${IPMITOOL}): no comparison`);
      return;
    }
    t0 = performance.now();
    let ipmitoolFailures = 0;
    await pLimit(CONCURRENCY).map(targets, (t) => ipmitoolStatus(t).catch(() => void ipmitoolFailures++));
    const toolMs = performance.now() - t0;
    const ratio = toolMs / coldMs;
    console.log(
      `  ipmitool -I lanplus -C 3, ${CONCURRENCY} at a time: ${toolMs.toFixed(0)} ms  (${ipmitoolFailures} failures)`,
    );
    console.log(
      `  ratio ipmitool / native        : ${ratio.toFixed(1)}x (goal >= 20x: ${ratio >= 20 ? 'met' : 'MISSED'})`,
    );
    console.log(`  ratio ipmitool / native reused : ${(toolMs / warmMs).toFixed(1)}x`);
  } finally {
    await farm.stop();
  }
}
