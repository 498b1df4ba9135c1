/**
 * `npm run bench`: every bench/<area>.ts exports `run()`, which prints its own figures and ratios.
 * `npm run bench -- ui ipmi` runs only the named areas.
 */
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { machineSpeedMs } from './support/machine-speed.ts';

const dir = new URL('.', import.meta.url);
const only = process.argv.slice(2);
const areas = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts')
  .map((f) => basename(f, '.ts'))
  .filter((a) => only.length === 0 || only.includes(a))
  .sort();

let failed = 0;
for (const area of areas) {
  console.log(`\n== ${area} ==`);
  const before = machineSpeedMs();
  try {
    const mod = (await import(new URL(`${area}.ts`, dir).href)) as { run: () => Promise<void> };
    await mod.run();
    console.log(
      `machine speed (a fixed JSON loop, lower is faster; see bench/support/machine-speed.ts): ` +
        `${before.toFixed(0)} ms before, ${machineSpeedMs().toFixed(0)} ms after`,
    );
  } catch (err) {
    failed++;
    console.log(`bench ${area} failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}
process.exit(failed ? 1 : 0);
