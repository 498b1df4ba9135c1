import { createHmac } from 'node:crypto';
import type { Config } from './config.ts';

/**
 * The settings that decide what a runner does to the gear, as a client and its runner compare them.
 * Each setting travels as an HMAC of its value keyed by the runner's cookie (a per-runner secret only
 * its owner can read), so the socket and the logs see which setting differs, never a value, and a
 * hash cannot be looked up in a table of common passwords without the cookie.
 *
 * The password variables a rack file names (one per BMC: 10,000 on a big site) travel as one hash
 * (`PASSWORDS_ID`) until that hash differs; then the client asks again with one hash per variable,
 * so the refusal still names each variable. One per variable on every connection made each
 * command's hello 766 KB and cost both sides 10,000 HMACs at 10,000 hosts.
 */

/** A setting's id (the variable an operator changes) → what the refusal calls it. */
export type SettingsFingerprint = Record<string, string>;

/** The id of the one hash of every password variable the rack file names (see above). */
export const PASSWORDS_ID = 'RACKPILOT_PASSWORDS';
/** The `kind` of a refusal in which that one hash differs: the client then sends one per variable. */
export const PASSWORDS_DIFFER = 'passwords';

export interface SettingsSource {
  config: Config;
  /** The rack file's text as this side sees it: the client reads the file, the runner the one it loaded. */
  rackText: string | undefined;
}

/** What each setting is, in words, for the refusal (keyed by its id). */
export function describeSetting(id: string): string {
  const known: Record<string, string> = {
    MAAS_URL: 'the MaaS URL (MAAS_URL or MAAS_SYSTEM_URL)',
    MAAS_API_KEY: 'the MaaS API key (MAAS_API_KEY or MAAS_SYSTEM_URL)',
    RACKPILOT_RACK_FILE: 'the rack file (RACKPILOT_RACK_FILE: its path or its content)',
    RACKPILOT_ERASE_MODE: 'the erase mode (RACKPILOT_ERASE_MODE)',
    RACKPILOT_MAAS_TIMEOUT: 'the MaaS call timeout (RACKPILOT_MAAS_TIMEOUT)',
    RACKPILOT_SWITCH_TIMEOUT: 'the switch login timeout (RACKPILOT_SWITCH_TIMEOUT)',
    RACKPILOT_BMC_TIMEOUT: 'the BMC answer timeout (RACKPILOT_BMC_TIMEOUT)',
    RACKPILOT_POLL_MS: 'the MaaS poll interval (RACKPILOT_POLL_MS)',
    RACKPILOT_KNOWN_HOSTS: "the switches' known-hosts file (RACKPILOT_KNOWN_HOSTS)",
    RACKPILOT_ETCD: 'the etcd coordination settings (RACKPILOT_ETCD*)',
    RACKPILOT_LAB: 'the lab (RACKPILOT_LAB_SEED, _HOSTS, _RACKS, RACKPILOT_TIME_SCALE)',
    [PASSWORDS_ID]: 'one or more of the password variables the rack file names',
  };
  return known[id] ?? `${id} (a password variable the rack file names)`;
}

/** The passwordEnv names a rack file's text refers to (read without validating: a bad file names none). */
export function passwordVariables(rackText: string | undefined): string[] {
  if (rackText === undefined) return [];
  let root: unknown;
  try {
    root = JSON.parse(rackText);
  } catch {
    return [];
  }
  // A loop over a stack, not a recursive walk over Object.entries: this runs once per command,
  // cold, over every host of the file (at 10,000 hosts 25-31 ms against 35-55 ms).
  const names = new Set<string>();
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const v = stack.pop();
    if (v === null || typeof v !== 'object') continue;
    if (Array.isArray(v)) {
      for (const child of v) stack.push(child);
      continue;
    }
    // JSON.parse makes plain objects: for-in sees their own keys ("__proto__" included), nothing else.
    for (const k in v) {
      const child = (v as Record<string, unknown>)[k];
      if (k === 'passwordEnv' && typeof child === 'string') names.add(child);
      else stack.push(child);
    }
  }
  return [...names].sort();
}

/** Each setting's value in clear, and each password variable's; only ever hashed, never sent or logged. */
function settingValues({ config, rackText }: SettingsSource): {
  settings: Record<string, string>;
  passwords: [name: string, value: string][];
} {
  const settings: Record<string, string> = {
    RACKPILOT_ERASE_MODE: config.eraseMode,
    RACKPILOT_MAAS_TIMEOUT: String(config.maasTimeoutMs),
    // The runner logs in to switches and asks BMCs with its own: a client's must be the same.
    RACKPILOT_SWITCH_TIMEOUT: String(config.switchTimeoutMs),
    RACKPILOT_BMC_TIMEOUT: String(config.bmcTimeoutMs),
    RACKPILOT_POLL_MS: String(config.pollMs ?? 'default'),
    RACKPILOT_KNOWN_HOSTS: config.knownHosts,
    RACKPILOT_ETCD: JSON.stringify(config.etcd ?? null),
  };
  if (config.lab) {
    // The lab brings its own MaaS, rack file and passwords: what makes it is its spec.
    settings.RACKPILOT_LAB = JSON.stringify([config.labSpec, config.timeScale, config.labListCostMs]);
    return { settings, passwords: [] };
  }
  const key = config.maas?.apiKey;
  settings.MAAS_URL = config.maas?.url ?? '';
  settings.MAAS_API_KEY = key ? `${key.consumerKey}:${key.tokenKey}:${key.tokenSecret}` : '';
  settings.RACKPILOT_RACK_FILE = `${config.rackFile ?? ''}\0${rackText ?? ''}`;
  const passwords = passwordVariables(rackText).map((name): [string, string] => [
    name,
    config.env[name] ?? '',
  ]);
  return { settings, passwords };
}

/** The key the hashes are made with, derived from the runner's cookie. */
function fingerprintKey(cookie: string): Buffer {
  return createHmac('sha256', cookie).update('rackpilot settings fingerprint v1').digest();
}

/**
 * The hashes a client sends in its hello, and a runner compares: the password variables as one
 * hash (`PASSWORDS_ID`), or with `perPassword` one hash each, to name those that differ.
 */
export function settingsFingerprint(
  source: SettingsSource,
  cookie: string,
  perPassword = false,
): SettingsFingerprint {
  const key = fingerprintKey(cookie);
  const hash = (id: string, value: string) =>
    createHmac('sha256', key).update(`${id}\0${value}`).digest('base64url');
  const { settings, passwords } = settingValues(source);
  const out: SettingsFingerprint = {};
  for (const [id, value] of Object.entries(settings)) out[id] = hash(id, value);
  if (perPassword) for (const [name, value] of passwords) out[name] = hash(name, value);
  // Neither a name nor a value holds a NUL (the environment cannot), so the joined text is unambiguous.
  else if (passwords.length > 0) out[PASSWORDS_ID] = hash(PASSWORDS_ID, passwords.flat().join('\0'));
  return out;
}

/** The ids of the settings that differ (set on one side only counts), in a stable order. */
export function settingsDrift(client: SettingsFingerprint, runner: SettingsFingerprint): string[] {
  const ids = new Set([...Object.keys(client), ...Object.keys(runner)]);
  return [...ids].filter((id) => client[id] !== runner[id]).sort();
}
