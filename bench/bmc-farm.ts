/**
 * Lab BMCs in a process of their own (src/lab/bmc-process.ts), as real BMCs are other machines:
 * the benches measure only the sweeping side in theirs.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export async function startBmcFarm(
  specOptions: { hosts: number; racks: number; seed: number },
  protocol: 'ipmi' | 'redfish' = 'ipmi',
) {
  const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));
  const script = fileURLToPath(new URL('../src/lab/bmc-process.ts', import.meta.url));
  const child = spawn(tsx, [script, JSON.stringify(specOptions), protocol], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`lab BMC process exited with ${code}`)));
    createInterface({ input: child.stdout! }).once('line', resolve);
  });
  const { bmcs } = JSON.parse(line) as {
    bmcs: { hostname: string; host: string; port: number; scheme?: 'https' | 'http'; certSha256?: string }[];
  };
  return {
    bmcs,
    stop: () =>
      new Promise<void>((resolve) => {
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGTERM'), 3000).unref();
      }),
  };
}
