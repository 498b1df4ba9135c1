/**
 * The one place secrets are scrubbed before anything is logged, shown or thrown.
 * Every module that learns a secret (config, rack file, store) registers it here; every sink
 * (logs, task journal lines, panes, error messages) passes text through `redact`.
 *
 * A site registers one BMC password per host, so 10,000 secrets is normal: the matcher indexes
 * them by their first MIN_SECRET_LENGTH characters and scans the text once, instead of searching
 * the text once per secret.
 */
const secrets = new Set<string>();
/** First MIN_SECRET_LENGTH chars → the secrets starting so, longest first (a secret that contains another is masked whole). */
let index: Map<string, string[]> | null = null;
/** Each secret's first four characters as `headAt` numbers them. */
let heads: Set<number> | null = null;

export const REDACTED = '***';

/** Secrets shorter than this are not registered: masking "a" everywhere would garble output. */
const MIN_SECRET_LENGTH = 4;

export function registerSecret(value: string | undefined | null): void {
  if (!value || value.length < MIN_SECRET_LENGTH) return;
  const before = secrets.size;
  secrets.add(value);
  // The OAuth header carries the token secret percent-encoded ("%26secret"); mask that form too.
  const encoded = encodeURIComponent(value);
  if (encoded !== value) secrets.add(encoded);
  if (secrets.size !== before) {
    index = null;
    heads = null;
  }
}

function buildIndex(): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const s of secrets) {
    const k = s.slice(0, MIN_SECRET_LENGTH);
    const list = m.get(k);
    if (list) list.push(s);
    else m.set(k, [s]);
  }
  for (const list of m.values()) list.sort((a, b) => b.length - a.length);
  heads = new Set([...secrets].map((s) => headAt(s, 0)));
  return m;
}

/**
 * A number for the 4 characters at i (the low byte of each), so most positions are passed over
 * without a string made; the scan rolls it one character at a time. Two characters were too few:
 * a site's BMC passwords alone start with most pairs there are.
 */
function headAt(text: string, i: number): number {
  return (
    ((text.charCodeAt(i) & 255) << 24) |
    ((text.charCodeAt(i + 1) & 255) << 16) |
    ((text.charCodeAt(i + 2) & 255) << 8) |
    (text.charCodeAt(i + 3) & 255)
  );
}

/** The longest registered secret that starts at i, if any (the index is built). */
function secretAt(text: string, i: number): string | undefined {
  return index!.get(text.slice(i, i + MIN_SECRET_LENGTH))?.find((s) => text.startsWith(s, i));
}

export function redact(text: string): string {
  if (secrets.size === 0 || text.length < MIN_SECRET_LENGTH) return text;
  index ??= buildIndex();
  const firstHeads = heads!;
  const last = text.length - MIN_SECRET_LENGTH;
  let out: string[] | null = null;
  let copied = 0;
  let head = headAt(text, 0);
  for (let i = 0; i <= last;) {
    const hit = firstHeads.has(head) ? secretAt(text, i) : undefined;
    if (hit === undefined) {
      i++;
      if (i <= last) head = (head << 8) | (text.charCodeAt(i + 3) & 255);
      continue;
    }
    // A secret starting inside this one and running past it is masked in the same stretch.
    let end = i + hit.length;
    for (let j = i + 1; j < end && j <= last; j++) {
      const inner = secretAt(text, j);
      if (inner !== undefined && j + inner.length > end) end = j + inner.length;
    }
    out ??= [];
    out.push(text.slice(copied, i), REDACTED);
    i = end;
    copied = end;
    if (i <= last) head = headAt(text, i);
  }
  if (out === null) return text;
  out.push(text.slice(copied));
  return out.join('');
}

/** For tests only: forget registered secrets. */
export function clearSecretsForTest(): void {
  secrets.clear();
  index = null;
  heads = null;
}
