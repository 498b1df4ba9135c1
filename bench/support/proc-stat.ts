/**
 * What Linux's /proc says about another process: its CPU, its memory, the CPU of its threads by
 * kind, and how long its main thread waited for a core. The benches read the runner and client
 * processes this way, from outside, without instrumenting them.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc's utime and stime (USER_HZ, 100 on Linux). */
const TICK_MS = 10;

function statCpuMs(path: string): { comm: string; cpuMs: number } {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of stat, after pid and (comm).
  return {
    comm: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')),
    cpuMs: (Number(fields[11]) + Number(fields[12])) * TICK_MS,
  };
}

/** CPU ms a process has used, all its threads. */
export function processCpuMs(pid: number): number {
  return statCpuMs(`/proc/${pid}/stat`).cpuMs;
}

export function processRssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

export interface ThreadCpu {
  /** The JavaScript thread. */
  main: number;
  /** libuv's pool: file writes, fdatasync, DNS look-ups. */
  libuv: number;
  /** Everything else: V8's background compiler and garbage-collector helpers, Node's own. */
  other: number;
}

/** CPU ms of a Node process's threads by kind; threads that ended are not counted. */
export function threadCpuMs(pid: number): ThreadCpu {
  const out: ThreadCpu = { main: 0, libuv: 0, other: 0 };
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    let t: { comm: string; cpuMs: number };
    try {
      t = statCpuMs(`/proc/${pid}/task/${tid}/stat`);
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const kind = tid === String(pid) ? 'main' : t.comm.startsWith('libuv-worker') ? 'libuv' : 'other';
    out[kind] += t.cpuMs;
  }
  return out;
}

function threadCpuDelta(after: ThreadCpu, before: ThreadCpu): ThreadCpu {
  return {
    main: after.main - before.main,
    libuv: after.libuv - before.libuv,
    other: after.other - before.other,
  };
}

/**
 * Of the main thread's life so far: ms it ran on a core, and ms it was ready to run but waited for
 * one (the scheduler's run-queue wait, /proc/PID/task/PID/schedstat). Undefined where the kernel
 * keeps no scheduler statistics.
 */
export function mainThreadSched(pid: number): { ranMs: number; waitedMs: number } | undefined {
  try {
    const [ran, waited] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ').map(Number);
    if (!Number.isFinite(ran) || !Number.isFinite(waited)) return undefined;
    return { ranMs: ran! / 1e6, waitedMs: waited! / 1e6 };
  } catch {
    return undefined;
  }
}

export interface ThreadTime {
  threads: ThreadCpu;
  /** Ms the main thread waited for a core; undefined without scheduler statistics. */
  mainWaitedMs: number | undefined;
}

/** Starts counting a process's thread CPU and its main thread's wait; the returned call reads both. */
export function threadClock(pid: number): () => ThreadTime {
  const threads0 = threadCpuMs(pid);
  const sched0 = mainThreadSched(pid);
  return () => {
    const threads = threadCpuDelta(threadCpuMs(pid), threads0);
    const sched1 = mainThreadSched(pid);
    return { threads, mainWaitedMs: sched0 && sched1 ? sched1.waitedMs - sched0.waitedMs : undefined };
  };
}
