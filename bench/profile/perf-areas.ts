/**
 * One process's main thread on the CPU, by project directory, from `perf` (see perf-stacks.ts for
 * why not V8's profiler). Record the runner row with the processes' JIT code named, then read it:
 *
 *   NODE_OPTIONS=--perf-basic-prof perf record -e cpu-clock -F 499 -g -o /tmp/perf.data -- <bench>
 *   perf script -i /tmp/perf.data -F pid,tid,time,ip,sym,dso > /tmp/perf.txt
 *   node_modules/.bin/node --import tsx bench/profile/perf-areas.ts /tmp/perf.txt --pid PID [--from S] [--to S]
 *
 * `--from`/`--to` are seconds after the process's first sample (the window the bench's clock ran).
 * Frames in `dist/` are mapped back to their sources through the bundle's source maps.
 */
import { readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { jsLocation, nodeInternal, parsePerfScript, summarizeAreas } from './perf-stacks.ts';
import { placeOf } from './shares.ts';

const HZ_DEFAULT = 499;

function sourceResolver(root: string): (frame: string) => string | undefined {
  const maps = new Map<string, SourceMap | null>();
  const mapOf = (file: string) => {
    if (!maps.has(file)) {
      try {
        maps.set(file, new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8'))));
      } catch {
        maps.set(file, null);
      }
    }
    return maps.get(file)!;
  };
  return (frame) => {
    const internal = nodeInternal(frame);
    if (internal) return placeOf(internal, '', 'file', root);
    const at = jsLocation(frame);
    if (!at) return frame.includes('JS:') ? '(other JS)' : undefined;
    const entry = mapOf(at.file)?.findEntry(at.line - 1, at.column - 1);
    const source =
      entry && 'originalSource' in entry
        ? new URL(entry.originalSource, `file://${at.file}`).pathname
        : at.file;
    return placeOf(`file://${source}`, '', 'file', root);
  };
}

function main(argv: string[]): void {
  const [file, ...rest] = argv;
  const opt = (name: string) => {
    const i = rest.indexOf(name);
    return i < 0 ? undefined : Number(rest[i + 1]);
  };
  const pid = opt('--pid');
  const hz = opt('--hz') ?? HZ_DEFAULT;
  if (!file || pid === undefined || !Number.isInteger(pid)) {
    console.error(
      'usage: bench/profile/perf-areas.ts PERF_SCRIPT.txt --pid PID [--from S] [--to S] [--hz 499]',
    );
    process.exit(2);
  }
  const samples = parsePerfScript(readFileSync(file, 'utf8'));
  const window = { from: opt('--from') ?? 0, to: opt('--to') ?? Infinity };
  const s = summarizeAreas(samples, pid, window, sourceResolver(process.cwd()));
  const secs = (n: number) => `${(n / hz).toFixed(1)} s`;
  console.log(
    `process ${pid}, main thread: ${secs(s.samples)} of CPU in the window; by the nearest project directory:`,
  );
  for (const a of s.areas.slice(0, 25))
    console.log(
      `${((100 * a.samples) / s.samples).toFixed(1).padStart(5)}%  ${secs(a.samples).padStart(7)}  ${a.area}`,
    );
  console.log(`V8's compiler threads in the same window: ${secs(s.compilerSamples)}`);
}

main(process.argv.slice(2));
