import { describe, expect, it } from 'vitest';
import {
  areaOf,
  jsLocation,
  nodeInternal,
  parsePerfScript,
  summarizeAreas,
} from '../../bench/profile/perf-stacks.ts';

// As `perf script -F pid,tid,time,ip,sym,dso` prints samples recorded with -g (trimmed stacks).
const SCRIPT = [
  '100/100 5000.100000: ',
  '\t7f23800bba20 JS:*call /work/main/dist/chunk-A.js:53911:13 (/tmp/perf-100.map)',
  '\t7f2380024046 JS:*runStep /work/main/dist/runner-B.js:2985:23 (/tmp/perf-100.map)',
  '',
  '100/100 5000.200000: ',
  '\tffffffff8223c951 do_syscall_64 ([kernel.kallsyms])',
  '\t7f23800bba20 JS:*Socket._write node:net:978:35 (/tmp/perf-100.map)',
  '\t7f2380024046 JS:*flush /work/main/dist/runner-B.js:700:5 (/tmp/perf-100.map)',
  '',
  '100/100 5000.300000: ',
  '\t55d0 v8::internal::ScavengerCollector::CollectGarbage (/usr/bin/node)',
  '',
  '100/100 5000.400000: ',
  '\t55d0 uv__io_poll (/usr/bin/node)',
  '',
  '100/101 5000.250000: ',
  '\t55d0 v8::internal::compiler::PipelineCompilationJob::ExecuteJobImpl (/usr/bin/node)',
  '',
  '100/102 5000.260000: ',
  '\t55d0 v8::internal::ConcurrentMarking::RunMajor (/usr/bin/node)',
  '',
  '200/200 5000.150000: ',
  '\t7f23800bba20 JS:*call /work/main/dist/chunk-A.js:53911:13 (/tmp/perf-200.map)',
  '',
  '100/100 5009.000000: ',
  '\t7f23800bba20 JS:*call /work/main/dist/chunk-A.js:53911:13 (/tmp/perf-100.map)',
  '',
].join('\n');

/** Stands in for the source maps: each bundle position named by the source it came from. */
const sources: Record<string, string> = {
  '/work/main/dist/chunk-A.js:53911': 'src/gear/maas/client.ts',
  '/work/main/dist/runner-B.js:2985': 'src/runner/tasks/engine.ts',
  '/work/main/dist/runner-B.js:700': 'src/protocol/transport.ts',
};
const sourceOf = (frame: string) => {
  const internal = nodeInternal(frame);
  if (internal) return internal;
  const at = jsLocation(frame);
  return at ? sources[`${at.file}:${at.line}`] : undefined;
};

describe('perf script samples', () => {
  it('reads each sample with its process, thread, time and frames, innermost first', () => {
    const samples = parsePerfScript(SCRIPT);
    expect(samples).toHaveLength(8);
    expect(samples[0]).toEqual({
      pid: 100,
      tid: 100,
      time: 5000.1,
      frames: [
        'JS:*call /work/main/dist/chunk-A.js:53911:13 (/tmp/perf-100.map)',
        'JS:*runStep /work/main/dist/runner-B.js:2985:23 (/tmp/perf-100.map)',
      ],
    });
    expect(samples[4]).toMatchObject({ pid: 100, tid: 101 });
  });

  it('reads a short pid, which perf right-aligns behind spaces, as a sample and not a frame', () => {
    const samples = parsePerfScript(
      [' 5161/5161  14629.172852: ', '\t            9066 do_lookup_x (/usr/lib/ld.so)', ''].join('\n'),
    );
    expect(samples).toEqual([
      { pid: 5161, tid: 5161, time: 14629.172852, frames: ['do_lookup_x (/usr/lib/ld.so)'] },
    ]);
  });

  it("names a JS frame's bundle position and Node's own code, and nothing for native frames", () => {
    expect(jsLocation('JS:*call file:///work/main/dist/chunk-A.js:53911:13 (/tmp/perf-1.map)')).toEqual({
      file: '/work/main/dist/chunk-A.js',
      line: 53911,
      column: 13,
    });
    // A source run through tsx, as the bench's client processes are.
    expect(
      jsLocation('JS:^call file:///work/main/src/client/runner-client.ts:1:1251 (/tmp/perf-1.map)'),
    ).toEqual({
      file: '/work/main/src/client/runner-client.ts',
      line: 1,
      column: 1251,
    });
    expect(jsLocation('v8::internal::Heap::Collect (/usr/bin/node)')).toBeUndefined();
    expect(nodeInternal('JS:*Socket._write node:net:978:35 (/tmp/perf-1.map)')).toBe('node:net');
    expect(nodeInternal('JS:*call /work/main/dist/chunk-A.js:1:1')).toBeUndefined();
  });

  it('counts a sample for the nearest project directory, even under Node or the kernel', () => {
    const [maas, write, gc, idle] = parsePerfScript(SCRIPT);
    expect(areaOf(maas!.frames, sourceOf)).toBe('src/gear/maas');
    expect(areaOf(write!.frames, sourceOf)).toBe('src/protocol');
    expect(areaOf(gc!.frames, sourceOf)).toBe("V8's garbage collector");
    expect(areaOf(idle!.frames, sourceOf)).toBe('no JS on the stack');
    expect(areaOf(['JS:*Socket._write node:net:978:35'], sourceOf)).toBe('outside src: node:net');
  });

  it("summarizes one process's main thread in a window, and its compiler threads apart", () => {
    const s = summarizeAreas(parsePerfScript(SCRIPT), 100, { from: 0, to: 1 }, sourceOf);
    // The other process and the sample 8.9 s after the first are outside; GC threads are not compiling.
    expect(s.samples).toBe(4);
    expect(s.compilerSamples).toBe(1);
    expect(s.areas).toEqual([
      { area: 'src/gear/maas', samples: 1 },
      { area: 'src/protocol', samples: 1 },
      { area: "V8's garbage collector", samples: 1 },
      { area: 'no JS on the stack', samples: 1 },
    ]);
  });
});
