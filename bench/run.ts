/**
 * `npm run bench`: every bench/<area>.ts exports `run()`, which prints its own figures and ratios.
 * `npm run bench -- ui ipmi` runs only the named areas.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { bundleIsFresh } from '../src/bin/bundle.js';
import { machineSpeedMs } from './support/machine-speed.ts';

// The benches that start a runner start `rackpilot runner serve`, which runs the bundle in dist/
// only while it is fresh, else the sources through tsx: after any edit, a bench would measure a
// runner that no operator runs, and say nothing of it.
if (!bundleIsFresh()) {
  execFileSync(process.execPath, [new URL('../src/bin/build.js', import.meta.url).pathname], {
    stdio: 'ignore',
  });
  console.log('dist/ was older than the sources: rebuilt it, so the runners measured here run the bundle');
}

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
