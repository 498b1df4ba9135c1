import { describe, expect, it } from 'vitest';
import {
  maasAuthorizationHeader,
  parseOAuthHeader,
  splitMaasApiKey,
  verifyMaasAuthorization,
} from '../../src/gear/maas/oauth.ts';

// The key from the CloudStack design document (a sample, not a live credential).
const KEY = {
  consumerKey: '6sxtWH3XCfKgkspC8J',
  tokenKey: 'fGWswZhpUQrrKUxprD',
  tokenSecret: 'CUaKSPXngRtRGRACtLLQKCYLqrQxPgTC',
};

describe('MaaS OAuth PLAINTEXT header', () => {
  it('splits consumer:token:secret and refuses other shapes', () => {
    expect(splitMaasApiKey('6sxtWH3XCfKgkspC8J:fGWswZhpUQrrKUxprD:CUaKSPXngRtRGRACtLLQKCYLqrQxPgTC')).toEqual(
      KEY,
    );
    expect(splitMaasApiKey('a:b')).toBeUndefined();
    expect(splitMaasApiKey('a::c')).toBeUndefined();
    expect(splitMaasApiKey('a:b:c:d')).toBeUndefined();
  });

  it('has exactly the documented parameters, quoted, with signature %26<secret>', () => {
    const h = maasAuthorizationHeader(KEY, { nonce: 'n0nce', timestamp: 1700000000 });
    expect(h.startsWith('OAuth ')).toBe(true);
    const pairs = h
      .slice(6)
      .split(', ')
      .map((p) => /^(\w+)="([^"]*)"$/.exec(p)!.slice(1));
    expect(Object.fromEntries(pairs)).toEqual({
      oauth_consumer_key: KEY.consumerKey,
      oauth_nonce: 'n0nce',
      oauth_signature: `%26${KEY.tokenSecret}`,
      oauth_signature_method: 'PLAINTEXT',
      oauth_timestamp: '1700000000',
      oauth_token: KEY.tokenKey,
      oauth_version: '1.0',
    });
  });

  it('uses a fresh nonce and an integer epoch-seconds timestamp', () => {
    const a = parseOAuthHeader(maasAuthorizationHeader(KEY))!;
    const b = parseOAuthHeader(maasAuthorizationHeader(KEY))!;
    expect(a.get('oauth_nonce')).not.toBe(b.get('oauth_nonce'));
    expect(a.get('oauth_timestamp')).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(a.get('oauth_timestamp')) - Date.now() / 1000)).toBeLessThan(600);
  });

  it('verifies our header and the documented hand-written form', () => {
    expect(verifyMaasAuthorization(maasAuthorizationHeader(KEY), KEY)).toEqual({ ok: true });
    // Literally the form in MaaS's api-login docs, parameters in its order, unencoded "&".
    const documented =
      `OAuth oauth_version="1.0", oauth_signature_method="PLAINTEXT", oauth_consumer_key="${KEY.consumerKey}", ` +
      `oauth_token="${KEY.tokenKey}", oauth_signature="&${KEY.tokenSecret}", oauth_nonce="abc", oauth_timestamp="1700000000"`;
    expect(verifyMaasAuthorization(documented, KEY)).toEqual({ ok: true });
    expect(verifyMaasAuthorization(`OAuth realm="", ${documented.slice(6)}`, KEY)).toEqual({ ok: true });
  });

  it('rejects missing parameters, wrong method, bad timestamp, wrong key parts', () => {
    const good = maasAuthorizationHeader(KEY);
    const without = (p: string) => good.replace(new RegExp(`${p}="[^"]*"(, )?`), '').replace(/, $/, '');
    for (const p of [
      'oauth_consumer_key',
      'oauth_token',
      'oauth_signature',
      'oauth_nonce',
      'oauth_timestamp',
      'oauth_signature_method',
    ]) {
      const r = verifyMaasAuthorization(without(p), KEY);
      expect(r.ok, p).toBe(false);
    }
    expect(verifyMaasAuthorization(undefined, KEY).ok).toBe(false);
    expect(verifyMaasAuthorization('Basic YWRtaW46YWRtaW4=', KEY).ok).toBe(false);
    expect(verifyMaasAuthorization(good.replace('PLAINTEXT', 'HMAC-SHA1'), KEY).ok).toBe(false);
    expect(
      verifyMaasAuthorization(good.replace(/oauth_timestamp="\d+"/, 'oauth_timestamp="soon"'), KEY).ok,
    ).toBe(false);
    expect(verifyMaasAuthorization(good, { ...KEY, tokenSecret: 'x' + KEY.tokenSecret.slice(1) }).ok).toBe(
      false,
    );
    expect(verifyMaasAuthorization(good, { ...KEY, tokenKey: 'other' }).ok).toBe(false);
    expect(verifyMaasAuthorization(good, { ...KEY, consumerKey: 'other' }).ok).toBe(false);
    // A signature without the leading "&" (secret sent as consumer secret) is wrong.
    expect(verifyMaasAuthorization(good.replace('%26', ''), KEY).ok).toBe(false);
  });

  it('never echoes the presented signature in a rejection reason', () => {
    const wrong = maasAuthorizationHeader({ ...KEY, tokenSecret: 'S3cretThatIsWrong' });
    const r = verifyMaasAuthorization(wrong, KEY);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).not.toContain('S3cret');
  });
});
