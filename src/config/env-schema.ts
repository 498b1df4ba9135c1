import { z } from 'zod';
import type { MaasApiKey } from '../gear/maas/oauth.ts';
import { ERASE_MODES, type EraseMode } from '../gear/maas/vocabulary.ts';
import { parseMaasApiKey, parseMaasSystemUrl } from './maas-key.ts';
import { quote } from './rack/quote.ts';

/**
 * The settings' variables one by one, as zod schemas: each value is checked and turned into what
 * rackpilot uses, with a message that names what is wrong. config.ts applies the rules across them.
 */

export type LabMode = 'auto' | 'on' | 'off';

// Per-variable zod schemas. Values arrive trimmed and non-empty (an empty value counts as unset).
const custom = (ctx: z.RefinementCtx, message: string) => {
  ctx.addIssue({ code: 'custom', message });
  return z.NEVER;
};

const maasUrl = z.string().transform((s, ctx): string => {
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    return custom(ctx, `${quote(s)} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    return custom(ctx, `must start with http:// or https://, not ${quote(u.protocol + '//')}`);
  }
  // The key goes in MAAS_API_KEY; a password in the URL would end up in logs.
  if (u.username || u.password)
    return custom(ctx, 'must not carry a user name or password (give the key in MAAS_API_KEY)');
  if (u.search || u.hash) return custom(ctx, 'must not have a ?query or #fragment');
  // People paste the API endpoint or the bare host; both mean the same region.
  let path = u.pathname.replace(/\/+$/, '').replace(/\/api\/2\.0$/i, '');
  if (path === '') path = '/MAAS';
  return `${u.protocol}//${u.host}${path}`;
});

const apiKey = z.string().transform((s, ctx): MaasApiKey => {
  const r = parseMaasApiKey(s);
  return r.ok ? r.value : custom(ctx, r.problem);
});

const systemUrl = z.string().transform((s, ctx) => {
  const r = parseMaasSystemUrl(s);
  return r.ok ? r.value : custom(ctx, r.problem);
});

const eraseMode = z.string().transform((s, ctx): EraseMode => {
  const v = s.toLowerCase();
  return (ERASE_MODES as readonly string[]).includes(v)
    ? (v as EraseMode)
    : custom(ctx, `${quote(s)} is not an erase mode (${ERASE_MODES.join(', ')})`);
});

const redfishScheme = z.string().transform((s, ctx): 'https' | 'http' => {
  const v = s.toLowerCase();
  return v === 'https' || v === 'http'
    ? v
    : custom(ctx, `${quote(s)} is not a scheme for the lab's Redfish BMCs (https, or http)`);
});

const LAB_WORDS: Record<string, LabMode> = {
  auto: 'auto',
  on: 'on',
  off: 'off',
  true: 'on',
  false: 'off',
  yes: 'on',
  no: 'off',
  '1': 'on',
  '0': 'off',
};
const labMode = z.string().transform((s, ctx): LabMode => {
  return LAB_WORDS[s.toLowerCase()] ?? custom(ctx, `${quote(s)} is not one of auto, on, off`);
});

/** 0 is allowed: a lab at time scale 0 goes through every state without waiting (tests, benches). */
const scaleNumber = (max: number) =>
  z.string().transform((s, ctx): number => {
    const n = Number(s);
    if (!/^\d*\.?\d+(e-?\d+)?$/i.test(s) || !Number.isFinite(n) || n < 0) {
      return custom(ctx, `${quote(s)} is not a number ≥ 0`);
    }
    if (n > max) return custom(ctx, `${s} is larger than ${max}`);
    return n;
  });

const wholeNumber = (min: number, max: number) =>
  z.string().transform((s, ctx): number => {
    const n = Number(s);
    if (!/^\d+$/.test(s) || n < min || n > max)
      return custom(ctx, `${quote(s)} is not a whole number from ${min} to ${max}`);
    return n;
  });

const pathText = z
  .string()
  .refine((s) => !/[\0\n\r]/.test(s), { error: 'is not a usable path (control characters)' });

/** Comma-separated etcd client URLs (http:// or https://). */
const etcdEndpoints = z.string().transform((s, ctx): string[] => {
  const urls = s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  for (const u of urls) {
    let url: URL;
    try {
      url = new URL(u);
    } catch {
      return custom(ctx, `${quote(u)} is not a URL`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      return custom(ctx, `${quote(u)} must start with http:// or https://`);
    if (url.username || url.password)
      return custom(ctx, `${quote(u)}: put the user in RACKPILOT_ETCD_USER, not the URL`);
  }
  if (urls.length === 0) return custom(ctx, 'names no endpoint');
  return urls.map((u) => u.replace(/\/+$/, ''));
});

/** Every variable on its own; the rules across variables are loadConfig's. */
export const envSchema = z.object({
  MAAS_URL: maasUrl.optional(),
  MAAS_API_KEY: apiKey.optional(),
  MAAS_SYSTEM_URL: systemUrl.optional(),
  RACKPILOT_RACK_FILE: pathText.optional(),
  RACKPILOT_STORE: pathText.optional(),
  RACKPILOT_KNOWN_HOSTS: pathText.optional(),
  RACKPILOT_ERASE_MODE: eraseMode.optional(),
  RACKPILOT_LAB: labMode.optional(),
  RACKPILOT_TIME_SCALE: scaleNumber(100).optional(),
  RACKPILOT_LAB_RACKS: wholeNumber(1, 64).optional(),
  RACKPILOT_LAB_HOSTS: wholeNumber(1, 20_000).optional(),
  RACKPILOT_LAB_SEED: wholeNumber(0, 2 ** 32 - 1).optional(),
  RACKPILOT_LAB_LIST_COST_MS: scaleNumber(1000).optional(),
  RACKPILOT_LAB_REDFISH: wholeNumber(0, 100).optional(),
  RACKPILOT_LAB_REDFISH_SCHEME: redfishScheme.optional(),
  RACKPILOT_RUNNER_IDLE: wholeNumber(0, 7 * 24 * 3600).optional(),
  RACKPILOT_POLL_MS: wholeNumber(20, 600_000).optional(),
  RACKPILOT_POWER_SWEEP_MS: wholeNumber(0, 3_600_000).optional(),
  RACKPILOT_MAAS_TIMEOUT: wholeNumber(1, 600).optional(),
  RACKPILOT_CONSOLE_SCROLLBACK: wholeNumber(4, 65_536).optional(),
  RACKPILOT_SWITCH_TIMEOUT: wholeNumber(1, 600).optional(),
  RACKPILOT_BMC_TIMEOUT: wholeNumber(1, 600).optional(),
  RACKPILOT_ETCD_TIMEOUT: wholeNumber(1, 600).optional(),
  RACKPILOT_RUNNER_START_TIMEOUT: wholeNumber(1, 600).optional(),
  RACKPILOT_ETCD: etcdEndpoints.optional(),
  RACKPILOT_ETCD_PREFIX: z
    .string()
    .refine((s) => s.startsWith('/') && !/[\0\n\r\s]/.test(s), {
      error: 'must start with / and hold no spaces or control characters',
    })
    .transform((s) => (s.endsWith('/') ? s : `${s}/`))
    .optional(),
  RACKPILOT_ETCD_TTL: wholeNumber(1, 600).optional(),
  RACKPILOT_ETCD_CA: pathText.optional(),
  RACKPILOT_ETCD_CERT: pathText.optional(),
  RACKPILOT_ETCD_KEY: pathText.optional(),
  RACKPILOT_ETCD_USER: z.string().optional(),
  RACKPILOT_ETCD_PASSWORD: z.string().optional(),
  RACKPILOT_READ_ONLY: z
    .string()
    .transform((s, ctx): boolean => {
      if (/^(1|true|yes|on)$/i.test(s)) return true;
      if (/^(0|false|no|off|)$/i.test(s)) return false;
      return custom(ctx, `${quote(s)} is not 1 or 0`);
    })
    .optional(),
});
