/**
 * The one place secrets are scrubbed before anything is logged, shown or thrown.
 * Every module that learns a secret (config, rack file, store) registers it here; every sink
 * (logs, task journal lines, panes, error messages) passes text through `redact`.
 */
const secrets = new Set<string>();
/** Longest first, so a secret that contains another is masked whole; rebuilt only when one is added. */
let ordered: string[] = [];

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
  if (secrets.size !== before) ordered = [...secrets].sort((a, b) => b.length - a.length);
}

export function redact(text: string): string {
  let out = text;
  for (const s of ordered) {
    if (out.includes(s)) out = out.split(s).join(REDACTED);
  }
  return out;
}

/** For tests only: forget registered secrets. */
export function clearSecretsForTest(): void {
  secrets.clear();
  ordered = [];
}
