import OAuth from 'oauth-1.0a';

/**
 * MaaS authenticates API calls with OAuth 1.0a PLAINTEXT: consumer secret empty, so the signature
 * is `&` + token secret. The key an operator gets from `maas apikey` is `consumer:token:secret`.
 */
export interface MaasApiKey {
  consumerKey: string;
  tokenKey: string;
  tokenSecret: string;
}

export const OAUTH_REQUIRED_PARAMS = [
  'oauth_consumer_key',
  'oauth_token',
  'oauth_signature_method',
  'oauth_signature',
  'oauth_timestamp',
  'oauth_nonce',
] as const;

/** `consumer:token:secret` → parts; undefined when the shape is wrong (no message: it may hold a secret). */
export function splitMaasApiKey(key: string): MaasApiKey | undefined {
  const parts = key.trim().split(':');
  if (parts.length !== 3 || parts.some((p) => p.length === 0 || /\s/.test(p))) return undefined;
  return { consumerKey: parts[0]!, tokenKey: parts[1]!, tokenSecret: parts[2]! };
}

export function formatMaasApiKey(key: MaasApiKey): string {
  return `${key.consumerKey}:${key.tokenKey}:${key.tokenSecret}`;
}

/** One signer per key: the library's object holds nothing of a request. */
const signers = new WeakMap<MaasApiKey, OAuth>();

/**
 * The Authorization header for one request. A fresh nonce and timestamp every call: MaaS may
 * reject a replayed nonce, so retries must build a new header too.
 *
 * The fields are those `OAuth.authorize` returns. PLAINTEXT signs nothing of the request (its
 * signature is the signing key, RFC 5849 §3.4.4), so the signature base string that `authorize`
 * builds from the URL and its parameters, only to drop it, is not built.
 */
export function maasAuthorizationHeader(
  key: MaasApiKey,
  fixed: { nonce?: string; timestamp?: number } = {},
): string {
  let oauth = signers.get(key);
  if (!oauth) {
    oauth = new OAuth({ consumer: { key: key.consumerKey, secret: '' }, signature_method: 'PLAINTEXT' });
    signers.set(key, oauth);
  }
  return oauth.toHeader({
    oauth_consumer_key: key.consumerKey,
    oauth_nonce: fixed.nonce ?? oauth.getNonce(),
    oauth_signature_method: 'PLAINTEXT',
    oauth_timestamp: fixed.timestamp ?? oauth.getTimeStamp(),
    oauth_version: '1.0',
    oauth_token: key.tokenKey,
    oauth_signature: oauth.getSigningKey(key.tokenSecret),
  }).Authorization;
}

/**
 * Parses `OAuth k="v", k2="v2"` as MaaS (oauthlib) does: values percent-decoded once,
 * an optional `realm` ignored. Returns undefined for anything that is not an OAuth header.
 */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | undefined {
  if (!header) return undefined;
  const m = /^\s*OAuth\s+(.*)$/is.exec(header);
  if (!m) return undefined;
  const params = new Map<string, string>();
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"\s*(?:,|$)/gy;
  const body = m[1]!.trim();
  let consumed = 0;
  let hit: RegExpExecArray | null;
  while ((hit = re.exec(body)) !== null) {
    try {
      params.set(hit[1]!, decodeURIComponent(hit[2]!));
    } catch {
      return undefined;
    }
    consumed = re.lastIndex;
    if (consumed >= body.length) break;
  }
  if (consumed < body.length) return undefined;
  return params;
}

export type OAuthCheck =
  | { ok: true }
  | {
      ok: false;
      /** Safe to show: never contains the presented signature. */
      reason: string;
    };

/** What MaaS checks on a PLAINTEXT request, in the order it checks. */
export function verifyMaasAuthorization(header: string | undefined, key: MaasApiKey): OAuthCheck {
  const params = parseOAuthHeader(header);
  if (!params) return { ok: false, reason: 'Authorization header missing or not OAuth' };
  for (const p of OAUTH_REQUIRED_PARAMS) {
    if (!params.has(p)) return { ok: false, reason: `Missing OAuth parameter ${p}` };
  }
  const version = params.get('oauth_version');
  if (version !== undefined && version !== '1.0') return { ok: false, reason: 'Unsupported oauth_version' };
  if (params.get('oauth_signature_method') !== 'PLAINTEXT') {
    return { ok: false, reason: 'Unsupported oauth_signature_method (MaaS uses PLAINTEXT)' };
  }
  if (!/^\d+$/.test(params.get('oauth_timestamp')!)) return { ok: false, reason: 'Invalid oauth_timestamp' };
  if (params.get('oauth_nonce')!.length === 0) return { ok: false, reason: 'Empty oauth_nonce' };
  if (params.get('oauth_consumer_key') !== key.consumerKey) return { ok: false, reason: 'Invalid consumer' };
  if (params.get('oauth_token') !== key.tokenKey) return { ok: false, reason: 'Invalid access token' };
  const sig = params.get('oauth_signature')!;
  const amp = sig.indexOf('&');
  if (amp < 0) return { ok: false, reason: 'Invalid signature' };
  let consumerSecret: string;
  let tokenSecret: string;
  try {
    consumerSecret = decodeURIComponent(sig.slice(0, amp));
    tokenSecret = decodeURIComponent(sig.slice(amp + 1));
  } catch {
    return { ok: false, reason: 'Invalid signature' };
  }
  if (consumerSecret !== '' || !constantTimeEqual(tokenSecret, key.tokenSecret)) {
    return { ok: false, reason: 'Invalid signature' };
  }
  return { ok: true };
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
