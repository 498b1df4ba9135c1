/**
 * The console bench's BMCs, in a process of their own: lab BMCs whose serial ports each print a
 * line every `intervalMs`, stamped with the time it left the host (epoch ms), so a viewer measures
 * BMC → runner → viewer latency. Prints one JSON line with the endpoints, then serves until stdin closes.
 *
 *   tsx bench/console/farm.ts '{"hosts":100,"intervalMs":100}'
 */
import { startLabBmcs } from '../../src/lab/bmc-server.ts';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { LabWorld } from '../../src/lab/world.ts';

const o = JSON.parse(process.argv[2] ?? '{}') as { hosts: number; intervalMs: number };
const spec = generateLabSpec({ hosts: o.hosts, racks: Math.max(1, Math.ceil(o.hosts / 48)), seed: 1 });
const world = new LabWorld(spec);
const listeners = new Map<string, Set<(d: Buffer) => void>>();
let n = 0;
const tick = setInterval(() => {
  n++;
  for (const [host, set] of listeners) {
    const line = Buffer.from(
      `t=${Date.now()} ${host} [ ${n}.000000] systemd[1]: Started Journal Service.\r\n`,
    );
    for (const l of set) l(line);
  }
}, o.intervalMs);
const lab = await startLabBmcs(world, {
  consoles: {
    subscribe: (host, fn) => {
      let set = listeners.get(host);
      if (!set) listeners.set(host, (set = new Set()));
      set.add(fn);
      return () => set.delete(fn);
    },
    input: () => undefined,
  },
});
process.stdout.write(`${JSON.stringify({ bmcs: lab.bmcs, hosts: spec.hosts })}\n`);
const stop = () => {
  clearInterval(tick);
  void lab.close().then(() => process.exit(0));
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
