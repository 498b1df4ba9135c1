import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/**
 * The TCP and UDP sockets a process tree holds, read from /proc: each process's open files that
 * are sockets, matched by inode against the kernel's tables. Only the processes of the pane's own
 * session count: the runner a dashboard starts detaches into a session of its own (it is the one
 * that talks to the gear).
 */
function stat(pid: number): { ppid: number; session: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: the fields start after its last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), session: Number(fields[3]) };
  } catch {
    return null;
  }
}

/** The process and its descendants in the same session. */
export function sessionTree(root: number): number[] {
  const session = stat(root)?.session;
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const children = new Map<number, number[]>();
  for (const pid of all) {
    const s = stat(pid);
    if (!s || s.session !== session) continue;
    children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid]);
  }
  const out: number[] = [];
  const walk = (pid: number) => {
    out.push(pid);
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

function socketInodes(pid: number): Set<string> {
  const out = new Set<string>();
  let fds: string[] = [];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return out;
  }
  for (const fd of fds) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m) out.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** "tcp 127.0.0.1:port" lines for every TCP or UDP socket (IPv4 or IPv6) the tree holds. */
export function inetSockets(root: number): string[] {
  const inodes = new Set<string>();
  for (const pid of sessionTree(root)) for (const i of socketInodes(pid)) inodes.add(i);
  const found: string[] = [];
  for (const table of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/net/${table}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length > 9 && inodes.has(cols[9]!)) found.push(`${table} local ${cols[1]} remote ${cols[2]}`);
    }
  }
  return found;
}
