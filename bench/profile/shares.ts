/** Pure part of bench/profile/top.ts: a CPU profile's self time, summed by package or file. */

export interface CallFrame {
  functionName: string;
  url: string;
  /** 0-based, as V8 writes them. */
  lineNumber?: number;
  columnNumber?: number;
}

export interface CpuProfile {
  nodes: { id: number; callFrame: CallFrame }[];
  samples: number[];
  timeDeltas: number[];
}

export interface Share {
  where: string;
  ms: number;
  share: number;
}

const IDLE = '(idle)';

/** package: a project's files folded into their directory; file: each file; function: each function of each file. */
export type By = 'package' | 'file' | 'function';

/** Where a frame's code lives, as the summary names it. */
export function placeOf(url: string, functionName: string, by: By, root: string): string {
  if (by === 'function')
    return `${placeOf(url, functionName, 'file', root)} ${functionName || '(anonymous)'}`;
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const path = url.startsWith('file://') ? decodeURIComponent(url.slice(7)) : url;
  const nm = path.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = path.slice(nm + 14).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (path.startsWith('node:')) {
    // node:internal/deps/undici/undici → node:undici; node:internal/webstreams/… → node:webstreams
    const rest = path.slice(5).replace(/^internal\//, '');
    const m = /^deps\/([^/]+)/.exec(rest);
    return `node:${m ? m[1] : rest.split('/')[0]}`;
  }
  const rel = root && path.startsWith(root + '/') ? path.slice(root.length + 1) : path;
  if (by === 'file') return rel;
  const slash = rel.lastIndexOf('/');
  return slash > 0 ? rel.slice(0, slash) : rel;
}

/** Self time per place over all the profiles, largest first; shares are of the non-idle time. */
export function profileShares(
  profiles: CpuProfile[],
  by: By,
  root: string,
  /** The frame as its source names it: a bundle's code under the file it was bundled from. */
  original: (frame: CallFrame) => CallFrame = (frame) => frame,
): { rows: Share[]; busyMs: number } {
  const totals = new Map<string, number>();
  for (const p of profiles) {
    const place = new Map<number, string>();
    for (const n of p.nodes) {
      const f = original(n.callFrame);
      place.set(n.id, placeOf(f.url, f.functionName, by, root));
    }
    p.samples.forEach((id, i) => {
      const where = place.get(id) ?? '(unknown)';
      totals.set(where, (totals.get(where) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
    });
  }
  totals.delete(IDLE);
  totals.delete(`${IDLE} ${IDLE}`);
  const busyMs = [...totals.values()].reduce((a, b) => a + b, 0);
  const rows = [...totals]
    .map(([where, ms]) => ({ where, ms, share: busyMs ? ms / busyMs : 0 }))
    .sort((a, b) => b.ms - a.ms);
  return { rows, busyMs };
}
