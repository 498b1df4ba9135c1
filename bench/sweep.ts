/**
 * The runner's BMC power sweep (BmcPowerSweep) at 1,000 and 10,000 lab BMCs, the BMCs in a process
 * of their own: wall time and CPU per sweep (the first opens a session per BMC, the next reuse
 * them), and UDP datagrams per BMC (sent and received by the sweeping process). Goal: 10,000 BMCs
 * covered every 30 s at most.
 */
import dgram from 'node:dgram';
import { IpmiClient } from '../src/ipmi/client.ts';
import { generateLabSpec } from '../src/lab/spec.ts';
import { startBmcFarm } from './bmc-farm.ts';
import { BmcPowerSweep, sweepConcurrency, type BmcSweepTarget } from '../src/runner/power-sweep.ts';

// Datagrams of this process (the sweeping side), counted at the socket.
const packets = { sent: 0, received: 0 };
const proto = dgram.Socket.prototype as unknown as {
  send: (...a: unknown[]) => void;
  emit: (ev: string, ...a: unknown[]) => boolean;
};
const send = proto.send;
const emit = proto.emit;
proto.send = function (this: unknown, ...a: unknown[]) {
  packets.sent++;
  return send.apply(this, a);
};
proto.emit = function (this: unknown, ev: string, ...a: unknown[]) {
  if (ev === 'message') packets.received++;
  return emit.call(this, ev, ...a);
};

async function measure(hosts: number): Promise<void> {
  const specOptions = { hosts, racks: Math.max(1, Math.ceil(hosts / 48)), seed: 1 };
  const spec = generateLabSpec(specOptions);
  const farm = await startBmcFarm(specOptions);
  const ipmi = new IpmiClient({ timeoutMs: 2000, retries: 3, keepAliveMs: 0 });
  try {
    const targets: BmcSweepTarget[] = farm.bmcs.map((b, i) => ({
      hostname: b.hostname,
      target: {
        host: b.host,
        port: b.port,
        username: spec.hosts[i]!.bmc.user,
        password: spec.hosts[i]!.bmc.password,
        name: b.hostname,
      },
    }));
    const sweep = new BmcPowerSweep(ipmi, { targets: () => targets });
    for (const label of ['first sweep (opens sessions)', 'next sweep (sessions reused)']) {
      const p0 = { ...packets };
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sweep.sweep();
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const ok = [...sweep.snapshot().values()].filter((p) => p.answer === 'ok').length;
      const per = (packets.sent - p0.sent + packets.received - p0.received) / hosts;
      console.log(
        `  ${hosts} BMCs, ${label}: ${(wall / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, ` +
          `${per.toFixed(1)} datagrams per BMC, concurrency ${sweepConcurrency(hosts)}, ${ok}/${hosts} answered` +
          `${hosts === 10_000 ? ` (goal: < 30 s: ${wall < 30_000 ? 'met' : 'MISSED'})` : ''}`,
      );
    }
    sweep.dispose();
  } finally {
    await ipmi.close();
    await farm.stop();
  }
}

export async function run(): Promise<void> {
  console.log('BMC power sweep (runner): time, CPU and datagrams per sweep');
  for (const n of [1000, 10_000]) await measure(n);
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
