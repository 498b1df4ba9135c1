import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/**
 * Trust for BMC certificates, as switch host keys (src/gear/switch/hostkeys.ts): a pin from the rack
 * file wins; otherwise the first certificate seen is recorded in a known-certificates file
 * (`host:port sha256hex`, one a line) and a different one later is refused. BMCs ship self-signed
 * certificates, so the usual CA check says nothing about them; a changed certificate does.
 */

export function certSha256Of(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** `AB:CD:…`, as `openssl x509 -fingerprint -sha256` prints it, for messages an operator compares. */
export function colonHex(hex: string): string {
  return hex.toUpperCase().replace(/(..)(?!$)/g, '$1:');
}

/** Beside the switches' known_hosts file. */
export function knownCertsPathFor(knownHostsPath: string): string {
  return join(dirname(knownHostsPath), 'known_bmc_certs');
}

export type CertVerdict =
  | { ok: true; sha256: string; learned: boolean }
  | { ok: false; sha256: string; expected: string; source: string };

export function checkCertificate(opts: {
  host: string;
  port: number;
  der: Buffer;
  pinned?: string | undefined;
  knownCertsPath?: string | undefined;
}): CertVerdict {
  const sha256 = certSha256Of(opts.der);
  if (opts.pinned) {
    return opts.pinned === sha256
      ? { ok: true, sha256, learned: false }
      : { ok: false, sha256, expected: opts.pinned, source: 'the pinned certSha256 in the rack file' };
  }
  if (!opts.knownCertsPath) {
    return {
      ok: false,
      sha256,
      expected: '(none)',
      source: 'no pinned certificate and no known-certificates file',
    };
  }
  const name = `${opts.host.toLowerCase()}:${opts.port}`;
  let text = '';
  try {
    text = readFileSync(opts.knownCertsPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  let lineNo = 0;
  for (const line of text.split('\n')) {
    lineNo++;
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const [who, fp] = t.split(/\s+/);
    if (who !== name || !fp) continue;
    if (fp === sha256) return { ok: true, sha256, learned: false };
    return { ok: false, sha256, expected: fp, source: `${opts.knownCertsPath} line ${lineNo}` };
  }
  mkdirSync(dirname(opts.knownCertsPath), { recursive: true, mode: 0o700 });
  appendFileSync(opts.knownCertsPath, `${name} ${sha256}\n`, { mode: 0o600 });
  return { ok: true, sha256, learned: true };
}
