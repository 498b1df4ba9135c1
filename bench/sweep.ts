/**
 * The runner's BMC power sweep (BmcPowerSweep) at 1,000 lab BMCs over IPMI and over Redfish
 * (HTTPS), then 10,000 over IPMI, the BMCs in a process of their own: wall time and CPU per sweep
 * (the first opens a session — and for Redfish a TLS connection — per BMC, the next reuse them),
 * UDP datagrams per BMC for IPMI. Goals: 10,000 IPMI BMCs every 30 s at most; 1,000 Redfish BMCs
 * in < 5 s once sessions are open.
 */
import dgram from 'node:dgram';
import { IpmiClient } from '../src/gear/ipmi/client.ts';
import { RedfishClient } from '../src/gear/redfish/client.ts';
import { BmcService } from '../src/gear/bmc/service.ts';
import { bmcTarget } from '../src/runner/site/bmc-target.ts';
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

export async function measure(hosts: number, protocol: 'ipmi' | 'redfish'): Promise<void> {
  const specOptions = { hosts, racks: Math.max(1, Math.ceil(hosts / 48)), seed: 1 };
  const spec = generateLabSpec(specOptions);
  const farm = await startBmcFarm(specOptions, protocol);
  const bmcs = new BmcService(
    new IpmiClient({ timeoutMs: 2000, retries: 3, keepAliveMs: 0 }),
    new RedfishClient({ timeoutMs: 10_000, connectionsPerBmc: 1 }),
  );
  try {
    const targets: BmcSweepTarget[] = farm.bmcs.map((b, i) => ({
      hostname: b.hostname,
      target: bmcTarget(
        {
          protocol,
          address: b.host,
          port: b.port,
          username: spec.hosts[i]!.bmc.user,
          password: spec.hosts[i]!.bmc.password,
          ...(b.scheme && { scheme: b.scheme }),
          ...(b.certSha256 && { certSha256: b.certSha256 }),
        },
        b.hostname,
      ),
    }));
    const sweep = new BmcPowerSweep(bmcs, { targets: () => targets });
    const name = protocol === 'redfish' ? 'Redfish (HTTPS)' : 'IPMI';
    for (const label of ['first sweep (opens sessions)', 'next sweep (sessions reused)']) {
      const p0 = { ...packets };
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await sweep.sweep();
      const wall = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const ok = [...sweep.snapshot().values()].filter((p) => p.answer === 'ok').length;
      const per = (packets.sent - p0.sent + packets.received - p0.received) / hosts;
      const goal =
        protocol === 'ipmi' && hosts === 10_000
          ? ` (goal: < 30 s: ${wall < 30_000 ? 'met' : 'MISSED'})`
          : protocol === 'redfish' && label.startsWith('next')
            ? ` (goal: < 5 s: ${wall < 5_000 ? 'met' : 'MISSED'})`
            : '';
      console.log(
        `  ${hosts} ${name} BMCs, ${label}: ${(wall / 1000).toFixed(2)} s wall, ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms CPU, ` +
          `${protocol === 'ipmi' ? `${per.toFixed(1)} datagrams per BMC, ` : ''}concurrency ${sweepConcurrency(hosts)}, ${ok}/${hosts} answered${goal}`,
      );
    }
    sweep.dispose();
  } finally {
    await bmcs.close();
    await farm.stop();
  }
}

export async function run(): Promise<void> {
  console.log('BMC power sweep (runner): time, CPU and datagrams per sweep');
  await measure(1000, 'ipmi');
  await measure(1000, 'redfish');
  await measure(10_000, 'ipmi');
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
