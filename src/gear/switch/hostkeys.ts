import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('latin1');
}

/** `host` for port 22, `[host]:port` otherwise, as OpenSSH writes known_hosts. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export type HostKeyVerdict =
  | { ok: true; fingerprint: string; learned: boolean }
  | { ok: false; fingerprint: string; expected: string; source: string };

/**
 * Pinned fingerprint first (from the rack file); otherwise the known-hosts file, learning the key
 * on first contact and refusing a key that differs from the one recorded.
 */
export function checkHostKey(opts: {
  host: string;
  port: number;
  keyBlob: Buffer;
  pinned?: string | undefined;
  knownHostsPath?: string | undefined;
}): HostKeyVerdict {
  const fingerprint = fingerprintOf(opts.keyBlob);
  if (opts.pinned) {
    const want = opts.pinned.replace(/=+$/, '');
    return want === fingerprint
      ? { ok: true, fingerprint, learned: false }
      : { ok: false, fingerprint, expected: want, source: 'the pinned hostKey in the rack file' };
  }
  if (!opts.knownHostsPath) {
    return { ok: false, fingerprint, expected: '(none)', source: 'no pinned key and no known-hosts file' };
  }
  const name = knownHostsName(opts.host, opts.port);
  const b64 = opts.keyBlob.toString('base64');
  let text = '';
  try {
    text = readFileSync(opts.knownHostsPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let lineNo = 0;
  let recorded: { line: number; blob: Buffer } | undefined;
  for (const line of text.split('\n')) {
    lineNo++;
    const t = line.trim();
    if (t === '' || t.startsWith('#') || t.startsWith('@')) continue;
    const [hosts, , key] = t.split(/\s+/);
    if (!hosts || !key || !hosts.split(',').includes(name)) continue;
    if (key === b64) return { ok: true, fingerprint, learned: false };
    recorded ??= { line: lineNo, blob: Buffer.from(key, 'base64') };
  }
  if (recorded) {
    return {
      ok: false,
      fingerprint,
      expected: fingerprintOf(recorded.blob),
      source: `${opts.knownHostsPath} line ${recorded.line}`,
    };
  }
  mkdirSync(dirname(opts.knownHostsPath), { recursive: true, mode: 0o700 });
  appendFileSync(opts.knownHostsPath, `${name} ${keyType(opts.keyBlob)} ${b64}\n`, { mode: 0o600 });
  return { ok: true, fingerprint, learned: true };
}
