/**
 * MaaS figures: what one UI refresh (ONE list call) costs at 10,000 machines against the lab,
 * split into the lab's serving time and the client's parse; plus a deploy's round trip at timeScale 0.
 */
import { startLabMaas } from '../src/lab/maas-server.ts';
import { generateLabSpec } from '../src/lab/spec.ts';
import { LabWorld } from '../src/lab/world.ts';
import { MaasClient } from '../src/gear/maas/client.ts';
import { maasAuthorizationHeader } from '../src/gear/maas/oauth.ts';
import { MachineListSchema } from '../src/gear/maas/schemas.ts';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<void> {
  const hosts = 10_000;
  let t = performance.now();
  const world = new LabWorld(generateLabSpec({ racks: 20, hosts }));
  const lab = await startLabMaas(world, { timeScale: 0 });
  console.log(`lab start, ${hosts} machines: ${(performance.now() - t).toFixed(0)} ms`);
  const client = new MaasClient({ url: lab.url, apiKey: lab.apiKeyParts, timeoutMs: 120_000 });
  try {
    const url = `${lab.url}/api/2.0/machines/`;
    const serve: number[] = [];
    const parse: number[] = [];
    const full: number[] = [];
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      // A few machines change between refreshes, as on a live site.
      for (let k = 0; k < 20; k++) {
        const m = lab.machines.all()[(i * 997 + k * 131) % hosts]!;
        world.setPower(m.hostname, world.host(m.hostname).power === 'on' ? 'off' : 'on', 'bench');
      }
      t = performance.now();
      const res = await fetch(url, {
        headers: { Authorization: maasAuthorizationHeader(lab.apiKeyParts) },
      });
      const text = await res.text();
      serve.push(performance.now() - t);
      bytes = text.length;
      t = performance.now();
      MachineListSchema.parse(JSON.parse(text));
      parse.push(performance.now() - t);
      t = performance.now();
      await client.listMachines();
      full.push(performance.now() - t);
    }
    console.log(
      `list ${hosts} machines: ${(bytes / 1e6).toFixed(1)} MB JSON (${Math.round(bytes / hosts)} B/machine)`,
    );
    console.log(`  lab serve + transfer: median ${median(serve).toFixed(0)} ms`);
    console.log(`  client JSON.parse + zod: median ${median(parse).toFixed(0)} ms`);
    console.log(`  client.listMachines() end to end: median ${median(full).toFixed(0)} ms`);
    console.log(`  per machine end to end: ${((median(full) * 1000) / hosts).toFixed(1)} µs`);

    const small = await client.listMachines({ hostname: [lab.machines.all()[0]!.hostname] });
    t = performance.now();
    for (let i = 0; i < 50; i++) await client.listMachines({ hostname: [small[0]!.hostname] });
    const one = (performance.now() - t) / 50;
    console.log(
      `filtered list (1 machine): ${one.toFixed(2)} ms; ratio full/filtered ${(median(full) / one).toFixed(0)}x`,
    );

    const id = lab.machines.all()[1]!.systemId;
    t = performance.now();
    await client.deploy(id, { distroSeries: 'jammy' });
    for (;;) {
      const m = await client.readMachine(id);
      if (m.status_name === 'Deployed') break;
      await new Promise((r) => setTimeout(r, 1));
    }
    console.log(
      `deploy → Deployed at timeScale 0 (all states and events): ${(performance.now() - t).toFixed(0)} ms`,
    );
  } finally {
    await lab.close();
  }
}
