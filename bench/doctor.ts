/**
 * `rackpilot doctor --all` at 10,000 lab machines. The runner reads the machines from its
 * inventory (listed once, then followed through MaaS's events), then the events (paged back to the
 * start of each operation) of only the machines in a transitional or failed state, and runs the
 * timeline and the cause rules for each. 60 machines are in trouble, every cause the lab's deploys
 * reproduce. Goal: the triage answers in under 3 s. The cold case (no inventory yet: one full list
 * first) is shown apart: a region lists 10,000 machines in seconds to tens of seconds.
 */
import { startLabMaas } from '../src/lab/maas-server.ts';
import { generateLabSpec } from '../src/lab/spec.ts';
import { LabWorld } from '../src/lab/world.ts';
import { MaasClient } from '../src/gear/maas/client.ts';
import { readTriage } from '../src/runner/doctor/triage-read.ts';

const HOSTS = 10_000;
const GOAL_MS = 3000;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<void> {
  const world = new LabWorld(generateLabSpec({ racks: 210, hosts: HOSTS }));
  const lab = await startLabMaas(world, { timeScale: 0, minStallTimeoutMs: 500 });
  const client = new MaasClient({ url: lab.url, apiKey: lab.apiKeyParts, timeoutMs: 120_000 });
  try {
    const all = lab.machines.all();
    const faults = lab.machines.core.faults;
    const kinds = [
      faults.noKernel,
      faults.noInstaller,
      faults.failDeploy,
      faults.stickDeploy,
      faults.userDataFails,
    ];
    const troubled: string[] = [];
    for (let i = 0; i < 50; i++) {
      const m = all[(i * 197) % HOSTS]!;
      kinds[i % kinds.length]!.add(m.hostname);
      troubled.push(m.systemId);
    }
    for (let i = 0; i < 10; i++)
      await client.markBroken(all[(i * 389 + 7) % HOSTS]!.systemId, 'bench: PSU failed');
    for (const id of troubled) {
      await client.allocate(id);
      await client.deploy(id, { distroSeries: 'ubuntu/jammy' });
    }
    // Every troubled deployment ends (failed, or Deployed then failing its user data).
    const t0 = Date.now();
    while (troubled.some((id) => lab.machines.core.busy(id)) && Date.now() - t0 < 60_000)
      await new Promise((r) => setTimeout(r, 100));
    let t = performance.now();
    const inventory = (await client.listMachineSummaries({})).map((m) => ({
      hostname: m.hostname,
      systemId: m.system_id,
      status: m.status,
      statusMessage: m.status_message ?? '',
    }));
    const listMs = performance.now() - t;
    const times: number[] = [];
    let rows = 0;
    let withCause = 0;
    for (let i = 0; i < 3; i++) {
      t = performance.now();
      const triage = await readTriage({ maas: client, rows: () => inventory });
      times.push(performance.now() - t);
      rows = triage.rows.length;
      withCause = triage.rows.filter((r) => r.cause).length;
    }
    const ms = median(times);
    console.log(
      `doctor --all, ${HOSTS} machines from the runner's inventory, events of those in trouble: ${rows} listed, ` +
        `${withCause} with a cause; median ${ms.toFixed(0)} ms of 3 (goal < ${GOAL_MS} ms: ${ms < GOAL_MS ? 'met' : 'MISSED'})`,
    );
    console.log(`  cold (no inventory yet): + one list of ${HOSTS} machines, ${listMs.toFixed(0)} ms here`);
  } finally {
    await lab.close();
  }
}
