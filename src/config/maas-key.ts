import { isIP } from 'node:net';
import type { MaasApiKey } from '../gear/maas/oauth.ts';
import { registerSecret } from '../util/redact.ts';

/**
 * The two ways an operator hands over a MaaS key: `consumer:token:secret` as `maas apikey` prints it,
 * and CloudStack's `external.baremetal.system.url` (`MaasIP=…;MaasKey=…;MaasSecret=…;MaasConsumerKey=…`).
 * Problems are described by position and part name only: the value itself is never echoed.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string };

const KEY_PART = /^[A-Za-z0-9_-]+$/;
const PART_NAMES = ['consumer key', 'token key', 'token secret'] as const;

/** Registers every part that could be secret before looking at the shape, so nothing can leak later. */
function registerKeyText(text: string): void {
  registerSecret(text);
  registerSecret(text.trim());
  for (const part of text.trim().split(':')) registerSecret(part.trim());
}

/** Every value of the CloudStack form except the address; an item without "=" may be a stray secret. */
function registerSystemUrlText(text: string): void {
  registerSecret(text);
  registerSecret(text.trim());
  for (const item of text.split(';')) {
    const eq = item.indexOf('=');
    if (eq < 0) registerSecret(item.trim());
    else if (item.slice(0, eq).trim().toLowerCase() !== 'maasip') registerSecret(item.slice(eq + 1).trim());
  }
}

export function parseMaasApiKey(text: string): Parsed<MaasApiKey> {
  registerKeyText(text);
  const parts = text.trim().split(':');
  if (parts.length !== 3) {
    return {
      ok: false,
      problem: `has ${parts.length} part${parts.length === 1 ? '' : 's'} separated by ":", a MaaS API key has 3 (consumer:token:secret)`,
    };
  }
  for (const [i, p] of parts.entries()) {
    if (p === '') return { ok: false, problem: `the ${PART_NAMES[i]} (part ${i + 1}) is empty` };
    if (!KEY_PART.test(p)) {
      return {
        ok: false,
        problem: `the ${PART_NAMES[i]} (part ${i + 1}) holds characters other than letters and digits`,
      };
    }
  }
  return { ok: true, value: { consumerKey: parts[0]!, tokenKey: parts[1]!, tokenSecret: parts[2]! } };
}

export interface MaasSystemUrl {
  /** Host (IP address or DNS name), without brackets for IPv6. */
  host: string;
  /** When MaasIP carries one (`MaasIP=10.0.0.5:5240`). */
  port?: number;
  key: MaasApiKey;
}

const SYSTEM_URL_FIELDS = {
  maasip: 'MaasIP',
  maaskey: 'MaasKey',
  maassecret: 'MaasSecret',
  maasconsumerkey: 'MaasConsumerKey',
} as const;
type SystemField = keyof typeof SYSTEM_URL_FIELDS;

const DNS_NAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** `10.0.0.5`, `maas.example.net`, `10.0.0.5:5240`, `[fd00::5]:5240`, `fd00::5`. */
export function parseHostPort(text: string): { host: string; port?: number } | undefined {
  let host = text;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
    if (isIP(host) !== 6) return undefined;
  } else if (isIP(text) === 6) {
    host = text;
  } else {
    const m = /^([^:]+)(?::(\d+))?$/.exec(text);
    if (!m) return undefined;
    host = m[1]!;
    portText = m[2];
    if (isIP(host) !== 4 && (!DNS_NAME.test(host) || /^[\d.]+$/.test(host))) return undefined;
  }
  if (portText === undefined) return { host };
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { host, port };
}

export function parseMaasSystemUrl(text: string): Parsed<MaasSystemUrl> {
  registerSystemUrlText(text);
  const fields = new Map<SystemField, string>();
  // The seed's own example wraps across two lines, so whitespace around items is ignored.
  const items = text.split(';').map((s) => s.trim());
  for (const [i, item] of items.entries()) {
    if (item === '') continue;
    const eq = item.indexOf('=');
    if (eq < 0)
      return { ok: false, problem: `item ${i + 1} has no "=" (items are Name=value, separated by ";")` };
    const name = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    const key = name.toLowerCase() as SystemField;
    if (!(key in SYSTEM_URL_FIELDS)) {
      // A name is echoed only when it looks like one; anything else may be a pasted secret.
      const shown = /^Maas[A-Za-z]{0,20}$/i.test(name) ? `"${name}"` : `of item ${i + 1}`;
      return {
        ok: false,
        problem: `unknown name ${shown} (known: ${Object.values(SYSTEM_URL_FIELDS).join(', ')})`,
      };
    }
    if (fields.has(key)) return { ok: false, problem: `${SYSTEM_URL_FIELDS[key]} is given twice` };
    if (value === '') return { ok: false, problem: `${SYSTEM_URL_FIELDS[key]} is empty` };
    fields.set(key, value);
  }
  const missing = (Object.keys(SYSTEM_URL_FIELDS) as SystemField[]).filter((k) => !fields.has(k));
  if (missing.length > 0) {
    return { ok: false, problem: `${missing.map((k) => SYSTEM_URL_FIELDS[k]).join(', ')} missing` };
  }
  const hp = parseHostPort(fields.get('maasip')!);
  if (!hp) return { ok: false, problem: 'MaasIP is not an IP address or DNS name (optionally with :port)' };
  const keyText = `${fields.get('maasconsumerkey')}:${fields.get('maaskey')}:${fields.get('maassecret')}`;
  const key = parseMaasApiKey(keyText);
  if (!key.ok) {
    const which = ['MaasConsumerKey', 'MaasKey', 'MaasSecret'];
    const part = [
      fields.get('maasconsumerkey')!,
      fields.get('maaskey')!,
      fields.get('maassecret')!,
    ].findIndex((p) => !KEY_PART.test(p));
    return {
      ok: false,
      problem: `${which[part] ?? 'the key'} holds characters other than letters and digits`,
    };
  }
  return { ok: true, value: { ...hp, key: key.value } };
}
