/**
 * Pure part of bench/profile/perf-areas.ts: `perf script` samples (`-F pid,tid,time,ip,sym,dso`,
 * recorded with `-g`) read, and one process's main-thread samples counted for the project code on
 * each stack. `perf` samples only what runs on a CPU, where V8's profiler samples wall time: on a
 * saturated machine the V8 profile puts a thread's wait for a core on whatever call it was in.
 */

export interface PerfSample {
  pid: number;
  tid: number;
  /** Seconds, perf's clock. */
  time: number;
  /** Innermost first, each as `perf script` prints it (`addr symbol (dso)`). */
  frames: string[];
}

/** The samples of `perf script -F pid,tid,time,ip,sym,dso` output. */
export function parsePerfScript(text: string): PerfSample[] {
  const out: PerfSample[] = [];
  let cur: PerfSample | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      cur = undefined;
      continue;
    }
    // A header first: perf right-aligns the pid, so a short one starts with spaces like a frame.
    const m = /^\s*(\d+)\/(\d+)\s+([\d.]+):/.exec(line);
    if (m) {
      cur = { pid: Number(m[1]), tid: Number(m[2]), time: Number(m[3]), frames: [] };
      out.push(cur);
      continue;
    }
    if (line.startsWith('\t') || line.startsWith(' ')) {
      const frame = line.trim();
      const space = frame.indexOf(' ');
      cur?.frames.push(space < 0 ? frame : frame.slice(space + 1));
    }
  }
  return out;
}

/** A JS frame's code: the file, line and column `--perf-basic-prof` names (1-based). */
export function jsLocation(frame: string): { file: string; line: number; column: number } | undefined {
  if (!frame.includes('JS:')) return undefined;
  const m = /((?:file:\/\/)?\/[^\s:]+\.(?:[cm]?js|[cm]?ts|tsx)):(\d+):(\d+)/.exec(frame);
  if (!m) return undefined;
  return { file: m[1]!.replace(/^file:\/\//, ''), line: Number(m[2]), column: Number(m[3]) };
}

/** Node's own code in a JS frame (`node:net`), if that is where it runs. */
export function nodeInternal(frame: string): string | undefined {
  if (!frame.includes('JS:')) return undefined;
  return /\s(node:[\w/_-]+)/.exec(frame)?.[1];
}

const GC_FRAME = /Scaveng|MarkCompact|Heap::Collect|MinorMS|GCTracer|ConcurrentMarking/;
const COMPILER_FRAME = /compiler::|turboshaft::|maglev::/;

/**
 * Where a sample's CPU goes: the nearest project directory on its stack (`src/gear/maas`), so a
 * package's or Node's code counts for the project code that called it; else the nearest code
 * (`outside src: undici`); V8's garbage collector; or no JS at all.
 */
export function areaOf(frames: string[], sourceOf: (frame: string) => string | undefined): string {
  if (frames.some((f) => GC_FRAME.test(f))) return "V8's garbage collector";
  let nearest: string | undefined;
  for (const f of frames) {
    const src = sourceOf(f);
    if (src === undefined) continue;
    if (src.startsWith('src/')) return src.slice(0, src.lastIndexOf('/'));
    nearest ??= src;
  }
  return nearest ? `outside src: ${nearest}` : 'no JS on the stack';
}

export interface AreaSummary {
  /** Main-thread samples in the window. */
  samples: number;
  areas: { area: string; samples: number }[];
  /** Samples of the process's other threads in the window that were V8 compiling. */
  compilerSamples: number;
}

/**
 * One process's samples between `from` and `to` seconds after its first sample: its main
 * thread's by area, and its compiler threads' count.
 */
export function summarizeAreas(
  all: PerfSample[],
  pid: number,
  window: { from: number; to: number },
  sourceOf: (frame: string) => string | undefined,
): AreaSummary {
  const mine = all.filter((s) => s.pid === pid);
  const t0 = Math.min(...mine.map((s) => s.time));
  const inWindow = mine.filter((s) => s.time - t0 >= window.from && s.time - t0 <= window.to);
  const counts = new Map<string, number>();
  let samples = 0;
  let compilerSamples = 0;
  for (const s of inWindow) {
    if (s.tid !== pid) {
      if (s.frames.some((f) => COMPILER_FRAME.test(f))) compilerSamples++;
      continue;
    }
    samples++;
    const area = areaOf(s.frames, sourceOf);
    counts.set(area, (counts.get(area) ?? 0) + 1);
  }
  const areas = [...counts].map(([area, n]) => ({ area, samples: n })).sort((a, b) => b.samples - a.samples);
  return { samples, areas, compilerSamples };
}
