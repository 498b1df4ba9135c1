/**
 * Self time of one or more V8 CPU profiles (`node --cpu-prof`), summed by where the code lives: an
 * npm package (`zod`, `@streamparser/json`), a file of this project (`src/gear/maas/client.ts`), a
 * part of Node (`node:undici`, `node:webstreams`) or V8's own entries (`(garbage collector)`).
 * Idle time is left out of the shares.
 *
 *   node_modules/.bin/node --import tsx bench/profile/top.ts /tmp/prof/*.cpuprofile [--top 25] [--by file|function]
 *
 * `--by package` (the default) folds a project's files into their directory (`src/runner/tasks`);
 * `--by file` keeps each file apart; `--by function` names each function of each file. A bundle's
 * frames (the runner runs `dist/`) are named by their source files, through the `.map` beside it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { profileShares, type By, type CpuProfile } from './shares.ts';
import { sourceMapResolver } from './source-maps.ts';

function main(argv: string[]): void {
  let top = 25;
  let by: By = 'package';
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--top') top = Number(argv[++i]);
    else if (a === '--by') {
      const v = argv[++i];
      if (v !== 'package' && v !== 'file' && v !== 'function') top = NaN;
      else by = v;
    } else files.push(a);
  }
  if (files.length === 0 || !Number.isInteger(top) || top < 1) {
    console.error('usage: bench/profile/top.ts PROFILE.cpuprofile… [--top N] [--by package|file|function]');
    process.exit(2);
  }
  const profiles = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as CpuProfile);
  const { rows, busyMs } = profileShares(profiles, by, process.cwd(), sourceMapResolver());
  console.log(`${(busyMs / 1000).toFixed(2)} s of CPU sampled (idle left out), self time by ${by}:`);
  for (const r of rows.slice(0, top)) {
    console.log(
      `${(r.share * 100).toFixed(1).padStart(5)}%  ${(r.ms / 1000).toFixed(2).padStart(7)} s  ${r.where}`,
    );
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
