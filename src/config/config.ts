import { readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { z } from 'zod';
import type { MaasApiKey } from '../gear/maas/oauth.ts';
import { OperatorError } from '../util/errors.ts';
import { redact, registerSecret } from '../util/redact.ts';

/**
 * Settings from the environment and `.env`, checked once at start. Every problem is collected
 * (variable, what is wrong, a right example) so the operator fixes them all in one go; the
 * values of secret variables are never repeated back.
 */

import { ERASE_MODES, type EraseMode } from '../gear/maas/vocabulary.ts';
export { ERASE_MODES, type EraseMode };
import { envSchema, type LabMode } from './env-schema.ts';
export type { LabMode } from './env-schema.ts';

export interface MaasSettings {
  /** Base URL ending in `/MAAS`, no trailing slash: the API is `${url}/api/2.0/`. */
  url: string;
  apiKey: MaasApiKey;
  /** Which variable the key came from. */
  keyFrom: 'MAAS_API_KEY' | 'MAAS_SYSTEM_URL';
}

export interface EtcdSettings {
  endpoints: string[];
  /** Every key of the site lives under it; ends with '/'. */
  prefix: string;
  /** The runner's lease TTL in seconds (its claims and locks go this long after it dies). */
  ttlSeconds: number;
  /** RACKPILOT_ETCD_TIMEOUT: how long one etcd request (and the first connection) may take. */
  timeoutMs?: number;
  /** TLS: CA, client certificate and key files. */
  ca?: string;
  cert?: string;
  key?: string;
  user?: string;
  /** A secret (registered for redaction). */
  password?: string;
}

export interface Config {
  /** Undefined when no MaaS is configured (then the lab runs, unless RACKPILOT_LAB=off refused that). */
  maas: MaasSettings | undefined;
  labMode: LabMode;
  /** Whether to run against the built-in lab: RACKPILOT_LAB=on, or auto with no MaaS configured. */
  lab: boolean;
  /** Multiplier applied to the lab's durations (1 = realistic MaaS timings). */
  timeScale: number;
  /** racks undefined: as many as the hosts need (3 up to 480 hosts, then one per 160). */
  labSpec: {
    racks: number | undefined;
    hosts: number;
    seed: number;
    /** Share of the lab's BMCs that speak Redfish (0–100) and how they serve. */
    redfishPercent: number;
    redfishScheme: 'https' | 'http';
  };
  /** What the lab's MaaS spends per machine on a machine list (ms, unscaled). */
  labListCostMs: number;
  /** Absolute path of the rack file; undefined when not given. */
  rackFile: string | undefined;
  /** Absolute path of the store file (it may not exist yet). */
  store: string;
  /** Absolute path of the known-hosts file for switch host keys without a pinned `hostKey`. */
  knownHosts: string;
  eraseMode: EraseMode;
  /** How long the site's runner stays with no client and no running task before it exits; 0 = never. */
  runnerIdleMs: number;
  /** Runners of several jump hosts coordinate through this etcd; undefined: one jump host (the store file). */
  etcd: EtcdSettings | undefined;
  /** How often a waiting task reads MaaS (deploy, release, power); undefined = the default (5 s). */
  pollMs: number | undefined;
  /** The runner's BMC power sweep period; undefined = paced to the number of BMCs; 0 = off. */
  powerSweepMs: number | undefined;
  /** RACKPILOT_MAAS_TIMEOUT: how long a command (or one task call) waits on MaaS in all, retries included. */
  maasTimeoutMs: number;
  /** RACKPILOT_CONSOLE_SCROLLBACK: bytes of each host's serial console the runner keeps. */
  consoleScrollbackBytes: number;
  /** RACKPILOT_SWITCH_TIMEOUT: how long a switch login (SSH handshake to the first prompt) may take. */
  switchTimeoutMs: number;
  /** RACKPILOT_BMC_TIMEOUT: how long a BMC may take to answer one request, retransmissions included. */
  bmcTimeoutMs: number;
  /** RACKPILOT_RUNNER_START_TIMEOUT: how long a client waits for the runner it started to serve. */
  runnerStartTimeoutMs: number;
  /** RACKPILOT_READ_ONLY: this terminal only looks; the runner refuses its changes. */
  readOnly: boolean;
  /** The environment the settings were read from: `.env` values under the process's own. Rack files'
   *  `passwordEnv` names are looked up here, so they may live in `.env` too. */
  env: Readonly<Record<string, string>>;
  /** The `.env` file that was read, if any. */
  envFile: string | undefined;
  /** Things that work but deserve a look (printed at start, never fatal). */
  warnings: string[];
}

export interface ConfigProblem {
  variable: string;
  problem: string;
  example: string;
}

export class ConfigError extends OperatorError {
  readonly problems: readonly ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    const n = problems.length;
    const lines = [
      `rackpilot cannot start: ${n} setting${n === 1 ? ' is' : 's are'} wrong (environment or .env)`,
    ];
    for (const p of problems) {
      lines.push(`  ${p.variable}: ${p.problem}`);
      lines.push(`      e.g. ${p.variable}=${p.example}`);
    }
    super(lines.join('\n'), { hint: 'every setting is described in .env.example', target: 'config' });
    // A secret pasted into the wrong variable is still a secret.
    this.problems = problems.map((p) => ({ ...p, problem: redact(p.problem) }));
  }
}

/** The variables, each with the example an error shows. */
export const VARIABLES = {
  MAAS_URL: 'http://172.31.0.75:5240/MAAS',
  MAAS_API_KEY: 'AbCdEfGhIjKlMnOpQr:StUvWxYzAbCdEfGhIj:KlMnOpQrStUvWxYzAbCdEfGhIjKlMnOp',
  MAAS_SYSTEM_URL:
    '"MaasIP=172.31.0.75;MaasKey=StUvWxYzAbCdEfGhIj;MaasSecret=KlMnOpQrStUvWxYzAbCdEfGhIjKlMnOp;MaasConsumerKey=AbCdEfGhIjKlMnOpQr"',
  RACKPILOT_RACK_FILE: '/etc/rackpilot/rack.json',
  RACKPILOT_STORE: '~/.local/state/rackpilot/store.json',
  RACKPILOT_KNOWN_HOSTS: '~/.local/state/rackpilot/known_hosts',
  RACKPILOT_ERASE_MODE: 'full',
  RACKPILOT_LAB: 'auto',
  RACKPILOT_TIME_SCALE: '0.05',
  RACKPILOT_LAB_RACKS: '3',
  RACKPILOT_LAB_HOSTS: '40',
  RACKPILOT_LAB_SEED: '1',
  RACKPILOT_LAB_LIST_COST_MS: '2',
  RACKPILOT_LAB_REDFISH: '25',
  RACKPILOT_LAB_REDFISH_SCHEME: 'https',
  RACKPILOT_RUNNER_IDLE: '600',
  RACKPILOT_POLL_MS: '5000',
  RACKPILOT_POWER_SWEEP_MS: '10000',
  RACKPILOT_MAAS_TIMEOUT: '30',
  RACKPILOT_CONSOLE_SCROLLBACK: '256',
  RACKPILOT_SWITCH_TIMEOUT: '15',
  RACKPILOT_BMC_TIMEOUT: '4',
  RACKPILOT_ETCD_TIMEOUT: '5',
  RACKPILOT_RUNNER_START_TIMEOUT: '30',
  RACKPILOT_READ_ONLY: '1',
  RACKPILOT_ENV_FILE: './.env',
  RACKPILOT_ETCD: 'http://10.0.0.11:2379,http://10.0.0.12:2379,http://10.0.0.13:2379',
  RACKPILOT_ETCD_PREFIX: '/rackpilot/dc1/',
  RACKPILOT_ETCD_TTL: '10',
  RACKPILOT_ETCD_CA: '/etc/rackpilot/etcd-ca.pem',
  RACKPILOT_ETCD_CERT: '/etc/rackpilot/etcd-client.pem',
  RACKPILOT_ETCD_KEY: '/etc/rackpilot/etcd-client-key.pem',
  RACKPILOT_ETCD_USER: 'rackpilot',
  RACKPILOT_ETCD_PASSWORD: 'S3cr3tEtcdPassw0rd',
} as const;
export type Variable = keyof typeof VARIABLES;

export const DEFAULT_ERASE_MODE: EraseMode = 'full';
export const DEFAULT_TIME_SCALE = 0.05;
const MAAS_DEFAULT_PORT = 5240;

/** Variables whose values are secrets wherever they come from. */
const SECRET_NAME = /PASS|SECRET|TOKEN|API_KEY|SYSTEM_URL/;

export interface LoadConfigOptions {
  /** The process environment (tests pass their own). */
  env?: Readonly<Record<string, string | undefined>>;
  /** A `.env` file to read: a path (must exist), false for none; default `.env` in cwd if present,
   *  or RACKPILOT_ENV_FILE when set. */
  envFile?: string | false;
  cwd?: string;
  /** Home directory for `~` and the default store; default $HOME, else the OS's. */
  home?: string;
}

function expandPath(p: string, cwd: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return resolve(cwd, p);
}

function fileKind(path: string): 'file' | 'dir' | 'other' | 'missing' {
  try {
    const st = statSync(path);
    return st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other';
  } catch {
    return 'missing';
  }
}

/** The nearest existing ancestor of `path` when it is not a directory (a file stands where a directory must). */
export function fileAbove(path: string): string | undefined {
  let dir = dirname(path);
  for (;;) {
    const kind = fileKind(dir);
    if (kind === 'dir') return undefined;
    if (kind !== 'missing') return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

type EnvValues = z.infer<typeof envSchema>;

/** Where each step reports: problems stop the start, warnings are shown. */
interface Findings {
  problem(variable: Variable, text: string): void;
  warnings: string[];
}

/** Where `~` and relative paths point. */
interface Places {
  cwd: string;
  home: string;
}

/** Read the settings; throws ConfigError listing every problem. */
export function loadConfig(opts: LoadConfigOptions = {}): Config {
  const processEnv = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const places: Places = { cwd, home: opts.home ?? (processEnv.HOME || homedir()) };
  const problems: ConfigProblem[] = [];
  const found: Findings = {
    problem: (variable, text) => problems.push({ variable, problem: text, example: VARIABLES[variable] }),
    warnings: [],
  };

  const { env, envFile } = readEnvironment(processEnv, opts.envFile, places, found);
  const { input, good, bad } = parseVariables(env, found);
  const { maas, labMode, lab } = maasAndLab(input, good, found);
  const { rackFile, store, knownHosts } = localPaths(good, bad, env, lab, places, found);
  const etcd = good.RACKPILOT_ETCD
    ? etcdSettings(good, good.RACKPILOT_ETCD, lab, maas, places, found)
    : undefined;

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    maas,
    labMode,
    lab,
    timeScale: good.RACKPILOT_TIME_SCALE ?? DEFAULT_TIME_SCALE,
    labSpec: {
      racks: good.RACKPILOT_LAB_RACKS,
      hosts: good.RACKPILOT_LAB_HOSTS ?? 40,
      seed: good.RACKPILOT_LAB_SEED ?? 1,
      redfishPercent: good.RACKPILOT_LAB_REDFISH ?? 0,
      redfishScheme: good.RACKPILOT_LAB_REDFISH_SCHEME ?? 'https',
    },
    labListCostMs: good.RACKPILOT_LAB_LIST_COST_MS ?? 2,
    rackFile,
    store,
    knownHosts,
    eraseMode: good.RACKPILOT_ERASE_MODE ?? DEFAULT_ERASE_MODE,
    runnerIdleMs: (good.RACKPILOT_RUNNER_IDLE ?? 600) * 1000,
    pollMs: good.RACKPILOT_POLL_MS,
    powerSweepMs: good.RACKPILOT_POWER_SWEEP_MS,
    maasTimeoutMs: (good.RACKPILOT_MAAS_TIMEOUT ?? 30) * 1000,
    consoleScrollbackBytes: (good.RACKPILOT_CONSOLE_SCROLLBACK ?? 256) * 1024,
    switchTimeoutMs: (good.RACKPILOT_SWITCH_TIMEOUT ?? 15) * 1000,
    bmcTimeoutMs: (good.RACKPILOT_BMC_TIMEOUT ?? 4) * 1000,
    runnerStartTimeoutMs: (good.RACKPILOT_RUNNER_START_TIMEOUT ?? 30) * 1000,
    etcd,
    readOnly: good.RACKPILOT_READ_ONLY ?? false,
    env,
    envFile,
    warnings: found.warnings,
  };
}

/** Step 1, the .env file: its values sit under the process's own, as Node's --env-file does. */
function readEnvironment(
  processEnv: Readonly<Record<string, string | undefined>>,
  envFileOption: string | false | undefined,
  { cwd, home }: Places,
  found: Findings,
): { env: Record<string, string>; envFile: string | undefined } {
  let envFile: string | undefined;
  let fileEnv: Record<string, string> = {};
  const explicit = envFileOption ?? (processEnv.RACKPILOT_ENV_FILE?.trim() || undefined);
  if (explicit !== false) {
    const path = explicit === undefined ? join(cwd, '.env') : expandPath(explicit, cwd, home);
    const kind = fileKind(path);
    if (kind === 'file') {
      try {
        fileEnv = parseEnv(readFileSync(path, 'utf8')) as Record<string, string>;
        envFile = path;
        const mode = statSync(path).mode;
        const holdsSecrets = Object.keys(fileEnv).some((k) => SECRET_NAME.test(k));
        if (holdsSecrets && mode & 0o077) {
          found.warnings.push(`${path} holds secrets but other users can read it; run: chmod 600 ${path}`);
        }
      } catch (err) {
        found.problem(
          'RACKPILOT_ENV_FILE',
          `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`,
        );
      }
    } else if (explicit !== undefined) {
      found.problem(
        'RACKPILOT_ENV_FILE',
        kind === 'missing' ? `no such file: ${path}` : `${path} is not a file`,
      );
    }
  }
  const env: Record<string, string> = { ...fileEnv };
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(env)) if (SECRET_NAME.test(k)) registerSecret(v);
  return { env, envFile };
}

/** Step 2, each variable on its own. */
function parseVariables(
  env: Record<string, string>,
  found: Findings,
): { input: Record<string, string>; good: EnvValues; bad: Set<string> } {
  const input: Record<string, string> = {};
  for (const name of Object.keys(envSchema.shape)) {
    const v = env[name]?.trim();
    if (v) input[name] = v;
  }
  const parsed = envSchema.safeParse(input);
  const bad = new Set<string>();
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0]) as Variable;
      bad.add(name);
      found.problem(name, issue.message);
    }
  }
  // With some variables bad, the rules across variables still run on the good ones.
  const good = parsed.success
    ? parsed.data
    : envSchema.parse(Object.fromEntries(Object.entries(input).filter(([k]) => !bad.has(k))));
  return { input, good, bad };
}

/** Step 3, rules across variables: which MaaS (URL and key, from one or two variables), or the lab. */
function maasAndLab(
  input: Record<string, string>,
  good: EnvValues,
  found: Findings,
): { maas: MaasSettings | undefined; labMode: LabMode; lab: boolean } {
  const { problem } = found;
  const labMode: LabMode = good.RACKPILOT_LAB ?? 'auto';
  const urlGiven = input.MAAS_URL !== undefined;
  const keyGiven = input.MAAS_API_KEY !== undefined;
  const sysGiven = input.MAAS_SYSTEM_URL !== undefined;
  const sys = good.MAAS_SYSTEM_URL;
  let key: MaasApiKey | undefined = good.MAAS_API_KEY;
  let keyFrom: MaasSettings['keyFrom'] = 'MAAS_API_KEY';
  if (sys) {
    if (key) {
      const same =
        key.consumerKey === sys.key.consumerKey &&
        key.tokenKey === sys.key.tokenKey &&
        key.tokenSecret === sys.key.tokenSecret;
      if (!same) problem('MAAS_SYSTEM_URL', 'holds a different key than MAAS_API_KEY; set only one of them');
    } else if (!keyGiven) {
      key = sys.key;
      keyFrom = 'MAAS_SYSTEM_URL';
    }
  }
  let url = good.MAAS_URL;
  if (url && sys) {
    const host = new URL(url).hostname.replace(/^\[|\]$/g, '');
    if (host.toLowerCase() !== sys.host.toLowerCase()) {
      problem(
        'MAAS_SYSTEM_URL',
        `MaasIP ${sys.host} and the host of MAAS_URL (${host}) differ; set only one of them`,
      );
    }
  }
  if (!url && sys && !urlGiven) {
    const host = sys.host.includes(':') ? `[${sys.host}]` : sys.host;
    url = `http://${host}:${sys.port ?? MAAS_DEFAULT_PORT}/MAAS`;
  }
  if (urlGiven && !keyGiven && !sysGiven) {
    problem(
      'MAAS_API_KEY',
      'not set, but MAAS_URL is: the MaaS API needs a key (run: maas apikey --username=<admin>)',
    );
  }
  if (keyGiven && !urlGiven && !sysGiven)
    problem('MAAS_URL', 'not set, but MAAS_API_KEY is: say where the MaaS region is');
  const maas = url && key ? { url, apiKey: key, keyFrom } : undefined;

  const anyMaas = urlGiven || keyGiven || sysGiven;
  if (labMode === 'off' && !anyMaas) {
    problem(
      'MAAS_URL',
      'not set, and RACKPILOT_LAB=off: without MaaS there is nothing to drive (or set RACKPILOT_LAB=auto)',
    );
  }
  const lab = labMode === 'on' || (labMode === 'auto' && !anyMaas);
  if (labMode === 'on' && anyMaas)
    found.warnings.push('RACKPILOT_LAB=on: the MaaS settings are ignored, the lab runs instead');
  return { maas, labMode, lab };
}

/** Step 4, the files on this jump host: the rack file (must exist), the store and known hosts (must be creatable). */
function localPaths(
  good: EnvValues,
  bad: Set<string>,
  env: Record<string, string>,
  lab: boolean,
  { cwd, home }: Places,
  found: Findings,
): { rackFile: string | undefined; store: string; knownHosts: string } {
  const { problem } = found;
  let rackFile: string | undefined;
  if (good.RACKPILOT_RACK_FILE) {
    rackFile = expandPath(good.RACKPILOT_RACK_FILE, cwd, home);
    const kind = fileKind(rackFile);
    if (kind === 'missing') problem('RACKPILOT_RACK_FILE', `no such file: ${rackFile}`);
    else if (kind !== 'file') problem('RACKPILOT_RACK_FILE', `${rackFile} is not a file`);
  } else if (!lab && !bad.has('RACKPILOT_RACK_FILE')) {
    found.warnings.push(
      'RACKPILOT_RACK_FILE is not set: hosts can be deployed but no switch VLAN will be configured',
    );
  }
  const xdg = env.XDG_STATE_HOME?.trim();
  // XDG says a relative XDG_STATE_HOME is invalid and must be ignored.
  const stateDir =
    xdg && isAbsolute(xdg) ? join(xdg, 'rackpilot') : join(home, '.local', 'state', 'rackpilot');
  const store = good.RACKPILOT_STORE
    ? expandPath(good.RACKPILOT_STORE, cwd, home)
    : join(stateDir, 'store.json');
  const storeKind = fileKind(store);
  const storeBlocker = storeKind === 'missing' ? fileAbove(store) : undefined;
  if (storeKind === 'dir' || storeKind === 'other') {
    problem('RACKPILOT_STORE', `${store} exists and is not a file (name the file, e.g. .../store.json)`);
  } else if (storeBlocker) {
    problem(
      'RACKPILOT_STORE',
      `${store} cannot be created: ${storeBlocker} is a file, not a directory (name a path under a directory)`,
    );
  }
  const knownHosts = good.RACKPILOT_KNOWN_HOSTS
    ? expandPath(good.RACKPILOT_KNOWN_HOSTS, cwd, home)
    : join(stateDir, 'known_hosts');
  const khKind = fileKind(knownHosts);
  if (khKind === 'dir' || khKind === 'other')
    problem('RACKPILOT_KNOWN_HOSTS', `${knownHosts} exists and is not a file`);
  else if (khKind === 'missing' && fileAbove(knownHosts))
    problem(
      'RACKPILOT_KNOWN_HOSTS',
      `${knownHosts} cannot be created: ${fileAbove(knownHosts)} is a file, not a directory`,
    );
  return { rackFile, store, knownHosts };
}

/** Step 5, etcd when RACKPILOT_ETCD names endpoints: TLS files and credentials come in pairs. */
function etcdSettings(
  good: EnvValues,
  endpoints: string[],
  lab: boolean,
  maas: MaasSettings | undefined,
  { cwd, home }: Places,
  { problem }: Findings,
): EtcdSettings {
  const siteName = lab ? 'lab' : (maas?.url ?? 'none');
  const slug = siteName
    .replace(/^https?:\/\//, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^_|_$/g, '');
  // The files are read when the runner connects (an error there names the file).
  const file = (p: string | undefined) => (p === undefined ? undefined : expandPath(p, cwd, home));
  const ca = file(good.RACKPILOT_ETCD_CA);
  const cert = file(good.RACKPILOT_ETCD_CERT);
  const key = file(good.RACKPILOT_ETCD_KEY);
  if ((cert === undefined) !== (key === undefined))
    problem(
      cert ? 'RACKPILOT_ETCD_KEY' : 'RACKPILOT_ETCD_CERT',
      'a client certificate needs its key, and a key its certificate',
    );
  if ((cert || key) && !ca)
    problem('RACKPILOT_ETCD_CA', "TLS client certificates need the CA that signed etcd's certificate");
  if ((good.RACKPILOT_ETCD_USER === undefined) !== (good.RACKPILOT_ETCD_PASSWORD === undefined))
    problem(
      good.RACKPILOT_ETCD_USER ? 'RACKPILOT_ETCD_PASSWORD' : 'RACKPILOT_ETCD_USER',
      'etcd authentication needs both the user and the password',
    );
  if (good.RACKPILOT_ETCD_PASSWORD) registerSecret(good.RACKPILOT_ETCD_PASSWORD);
  return {
    endpoints,
    prefix: good.RACKPILOT_ETCD_PREFIX ?? `/rackpilot/${slug}/`,
    ttlSeconds: good.RACKPILOT_ETCD_TTL ?? 10,
    timeoutMs: (good.RACKPILOT_ETCD_TIMEOUT ?? 5) * 1000,
    ...(ca && { ca }),
    ...(cert && { cert }),
    ...(key && { key }),
    ...(good.RACKPILOT_ETCD_USER && { user: good.RACKPILOT_ETCD_USER }),
    ...(good.RACKPILOT_ETCD_PASSWORD && { password: good.RACKPILOT_ETCD_PASSWORD }),
  };
}

/** The `release` parameters MaaS takes for an erase mode. */
export function eraseParams(mode: EraseMode): {
  erase: boolean;
  quick_erase?: boolean;
  secure_erase?: boolean;
} {
  switch (mode) {
    case 'full':
      return { erase: true };
    case 'quick':
      return { erase: true, quick_erase: true };
    // Without quick_erase, MaaS falls back to a full overwrite when a drive cannot secure-erase
    // itself: slower, but never weaker than what the operator asked for.
    case 'secure':
      return { erase: true, secure_erase: true };
    case 'none':
      return { erase: false };
  }
}
