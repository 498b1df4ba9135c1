/**
 * How fast this machine runs right now: a fixed piece of JavaScript (encode and decode a
 * machine-sized record 20,000 times), timed. A shared machine's speed swings between runs
 * minutes apart (here, the same loop took 125 ms and 216 ms), so each area prints it before
 * and after its figures: a row measured on a slow stretch says so.
 */
const RECORD = {
  system_id: 'abc123',
  hostname: 'r01-n001',
  status: 4,
  interface_set: Array.from({ length: 8 }, (_, i) => ({
    id: i,
    name: `eth${i}`,
    mac_address: `52:54:00:00:00:0${i}`,
    links: [{ mode: 'auto', subnet: { cidr: '10.0.0.0/16' } }],
  })),
};

function once(): number {
  const t0 = performance.now();
  let n = 0;
  for (let i = 0; i < 20_000; i++)
    n += (JSON.parse(JSON.stringify(RECORD)) as typeof RECORD).interface_set.length;
  if (n !== 160_000) throw new Error('machine speed loop miscounted');
  return performance.now() - t0;
}

/** Milliseconds for the loop: the best of three, after one to warm it up. */
export function machineSpeedMs(): number {
  once();
  return Math.min(once(), once(), once());
}
