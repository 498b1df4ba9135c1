import { createHmac } from 'node:crypto';
import type { Config } from './config.ts';

/**
 * The settings that decide what a runner does to the gear, as a client and its runner compare them.
 * Each setting travels as an HMAC of its value keyed by the runner's cookie (a per-runner secret only
 * its owner can read), so the socket and the logs see which setting differs, never a value, and a
 * hash cannot be looked up in a table of common passwords without the cookie.
 */

/** A setting's id (the variable an operator changes) → what the refusal calls it. */
export type SettingsFingerprint = Record<string, string>;

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
  const names = new Set<string>();
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (k === 'passwordEnv' && typeof child === 'string') names.add(child);
        else walk(child);
      }
    }
  };
  walk(root);
  return [...names].sort();
}

/** Each setting's value in clear; only ever hashed, never sent or logged. */
function settingValues({ config, rackText }: SettingsSource): Record<string, string> {
  const values: Record<string, string> = {
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
    values.RACKPILOT_LAB = JSON.stringify([config.labSpec, config.timeScale, config.labListCostMs]);
    return values;
  }
  const key = config.maas?.apiKey;
  values.MAAS_URL = config.maas?.url ?? '';
  values.MAAS_API_KEY = key ? `${key.consumerKey}:${key.tokenKey}:${key.tokenSecret}` : '';
  values.RACKPILOT_RACK_FILE = `${config.rackFile ?? ''}\0${rackText ?? ''}`;
  for (const name of passwordVariables(rackText)) values[name] = config.env[name] ?? '';
  return values;
}

/** The key the hashes are made with, derived from the runner's cookie. */
function fingerprintKey(cookie: string): Buffer {
  return createHmac('sha256', cookie).update('rackpilot settings fingerprint v1').digest();
}

export function settingsFingerprint(source: SettingsSource, cookie: string): SettingsFingerprint {
  const key = fingerprintKey(cookie);
  const out: SettingsFingerprint = {};
  for (const [id, value] of Object.entries(settingValues(source))) {
    out[id] = createHmac('sha256', key).update(`${id}\0${value}`).digest('base64url');
  }
  return out;
}

/** The ids of the settings that differ (set on one side only counts), in a stable order. */
export function settingsDrift(client: SettingsFingerprint, runner: SettingsFingerprint): string[] {
  const ids = new Set([...Object.keys(client), ...Object.keys(runner)]);
  return [...ids].filter((id) => client[id] !== runner[id]).sort();
}
