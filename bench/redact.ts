/**
 * Redaction of log lines against the site's registered secrets (a BMC password per host, the MaaS
 * key): microseconds per line as the count grows; the cost should stay flat.
 */
import { randomBytes } from 'node:crypto';
import { clearSecretsForTest, redact, registerSecret } from '../src/util/redact.ts';

const LINES = Array.from(
  { length: 2000 },
  (_, i) =>
    `switch tor-r08: switchport trunk allowed vlan 200-201 interface Ethernet1/${i % 48} ` +
    `MaaS: Deploying - Loading ephemeral ${i} curtin stage partitioning r01-n${String(i).padStart(3, '0')}`,
);

export async function run(): Promise<void> {
  const rows: [number, number][] = [];
  for (const n of [0, 500, 2000, 10_000]) {
    clearSecretsForTest();
    for (let i = 0; i < n; i++) registerSecret(randomBytes(12).toString('base64url').slice(0, 16));
    redact('warm up the index');
    const t0 = performance.now();
    for (let r = 0; r < 20; r++) for (const l of LINES) redact(l);
    rows.push([n, ((performance.now() - t0) * 1000) / (20 * LINES.length)]);
  }
  clearSecretsForTest();
  const at500 = rows.find(([n]) => n === 500)![1];
  console.log('secrets registered   µs per 150-character line   ratio to 500');
  for (const [n, us] of rows)
    console.log(
      `${String(n).padStart(18)} ${us.toFixed(2).padStart(27)} ${(us / at500).toFixed(2).padStart(14)}×`,
    );
}

if (import.meta.url === `file://${process.argv[1]}`) await run();
