import { formatSeconds } from '../../util/deadline.ts';
import { OperatorError } from '../../util/errors.ts';
import { redact } from '../../util/redact.ts';
import { ALL_NODE_STATUS_CODES, NODE_STATUS_NAME } from './node-status.ts';

/**
 * Every failure of a MaaS call becomes one of these: what MaaS answered (status + its text,
 * redacted and cut short) and what the operator can do next.
 */
export interface MaasCallContext {
  /** e.g. "deploy", "list machines". */
  op: string;
  method: string;
  /** Path below /MAAS/api/2.0/, no query secrets (there are none in MaaS URLs). */
  path: string;
  /** system_id or hostname when the call is about one machine. */
  target?: string;
}

export const MAAS_BODY_LIMIT = 300;

export class MaasError extends OperatorError {
  readonly status: number | undefined;
  /** MaaS's response text, redacted and truncated; '' when there was no response. */
  readonly body: string;
  readonly op: string;

  constructor(
    message: string,
    ctx: MaasCallContext,
    extra: { status?: number; body?: string; hint?: string; cause?: unknown },
  ) {
    super(message, { hint: extra.hint, target: ctx.target, cause: extra.cause });
    this.status = extra.status;
    this.body = extra.body ?? '';
    this.op = ctx.op;
  }
}

/** 401: the API key is wrong, revoked or malformed. */
export class MaasAuthError extends MaasError {
  override get authFailure(): boolean {
    return true;
  }
}
/** 403: the key's user may not do this (not an admin, or not the machine's owner). */
export class MaasForbiddenError extends MaasError {}
/** 404: no such machine/interface (deleted in MaaS, or a stale id). */
export class MaasNotFoundError extends MaasError {}
/** 400: MaaS refused the parameters. */
export class MaasBadRequestError extends MaasError {}
/** 409: the machine is not in a state that allows the operation. */
export class MaasConflictError extends MaasError {
  /** The state MaaS said the machine is in, when its text names one. */
  readonly currentState: string | undefined;
  constructor(
    message: string,
    ctx: MaasCallContext,
    extra: { status?: number; body?: string; hint?: string; currentState?: string },
  ) {
    super(message, ctx, extra);
    this.currentState = extra.currentState;
  }
}
/** 5xx: MaaS is busy or broken (503: region busy, no free IPs). */
export class MaasUnavailableError extends MaasError {}
/** No HTTP answer at all: refused, DNS, TLS, timeout. */
export class MaasUnreachableError extends MaasError {}
/** MaaS answered 2xx but not with what rackpilot understands (version skew, proxy page). */
export class MaasResponseError extends MaasError {}

/** Which states an op needs, for the 409 hint. Names as MaaS spells them. */
export const OP_REQUIRED_STATES: Readonly<Record<string, readonly string[]>> = {
  allocate: ['Ready'],
  deploy: ['Ready', 'Allocated'],
  release: [
    'Allocated',
    'Deployed',
    'Deploying',
    'Failed deployment',
    'Failed disk erasing',
    'Releasing failed',
    'Broken',
  ],
  abort: ['Commissioning', 'Deploying', 'Disk erasing', 'Testing'],
  commission: [
    'New',
    'Ready',
    'Broken',
    'Failed commissioning',
    'Failed testing',
    'Failed deployment',
    'Failed disk erasing',
    'Releasing failed',
  ],
  mark_broken: [
    'New',
    'Ready',
    'Allocated',
    'Deployed',
    'Deploying',
    'Commissioning',
    'Failed deployment',
    'Failed commissioning',
    'Failed disk erasing',
    'Releasing failed',
    'Failed testing',
  ],
  mark_fixed: ['Broken'],
  // MaaS (api/interfaces.py): Ready, Allocated or Broken; updates also while Deployed.
  'update interface': ['Ready', 'Allocated', 'Broken', 'Deployed'],
  'delete interface': ['Ready', 'Allocated', 'Broken'],
  create_bond: ['Ready', 'Allocated', 'Broken'],
  link_subnet: ['Ready', 'Allocated', 'Broken'],
  unlink_subnet: ['Ready', 'Allocated', 'Broken'],
};

const STATE_NAMES = ALL_NODE_STATUS_CODES.map((c) => NODE_STATUS_NAME[c]).sort((a, b) => b.length - a.length);

/**
 * The current state when a 409 text names it ("… in the 'Deployed' state", "status is Deploying").
 * Texts that list the *allowed* states ("the machine is not Ready, Allocated, or Broken") name none.
 */
export function stateNamedIn(text: string): string | undefined {
  const find = (s: string) => STATE_NAMES.find((n) => n.toLowerCase() === s.trim().toLowerCase());
  const quoted = /'([^']+)'|"([^"]+)"/g;
  let m: RegExpExecArray | null;
  while ((m = quoted.exec(text)) !== null) {
    const before = text.slice(Math.max(0, m.index - 8), m.index).toLowerCase();
    const hit = find(m[1] ?? m[2] ?? '');
    if (hit && !/\bnot\s*$/.test(before) && !/\bto\s*$/.test(before)) return hit;
  }
  const names = STATE_NAMES.map((n) => n.replace(/ /g, '\\s+')).join('|');
  const inState = new RegExp(
    `\\b(?:is in|in) (?:the )?(${names}) (?:state|status)\\b|\\bstatus is (${names})\\b`,
    'i',
  );
  const u = inState.exec(text);
  return u ? find((u[1] ?? u[2] ?? '').replace(/\s+/g, ' ')) : undefined;
}

export function cleanBody(raw: unknown): string {
  let text: string;
  if (raw === undefined || raw === null) text = '';
  else if (typeof raw === 'string') text = raw;
  else {
    try {
      text = JSON.stringify(raw);
    } catch {
      text = String(raw);
    }
  }
  text = redact(text.replace(/\s+/g, ' ').trim());
  return text.length > MAAS_BODY_LIMIT ? `${text.slice(0, MAAS_BODY_LIMIT)}…` : text;
}

function subject(ctx: MaasCallContext): string {
  return ctx.target ? `MaaS ${ctx.op} on ${ctx.target}` : `MaaS ${ctx.op}`;
}

/** Builds the typed error for an HTTP answer that is not 2xx. */
export function maasHttpError(status: number, rawBody: unknown, ctx: MaasCallContext): MaasError {
  const body = cleanBody(rawBody);
  const said = body ? `: ${body}` : '';
  const base = `${subject(ctx)} failed with HTTP ${status}${said}`;
  const extra = { status, body };
  switch (status) {
    case 400:
      return new MaasBadRequestError(base, ctx, {
        ...extra,
        hint: 'MaaS rejected the parameters; check the values named above (image name, MAC, subnet).',
      });
    case 401:
      return new MaasAuthError(
        `${subject(ctx)} was refused: MaaS did not accept the API key (HTTP 401)${said}`,
        ctx,
        {
          ...extra,
          hint: 'Check the MaaS API key (consumer:token:secret): on the region run `maas apikey --username <user>` and update the configuration.',
        },
      );
    case 403:
      return new MaasForbiddenError(base, ctx, {
        ...extra,
        hint: "The API key's user lacks permission: use an admin key, or the key of the machine's owner.",
      });
    case 404:
      if (!ctx.target)
        return new MaasNotFoundError(base, ctx, {
          ...extra,
          hint: 'No MaaS API at this path: check the MaaS URL (MAAS_URL) ends with /MAAS, e.g. http://HOST:5240/MAAS.',
        });
      return new MaasNotFoundError(base, ctx, {
        ...extra,
        hint: 'The machine (or interface) is gone from MaaS or the id is stale: refresh the inventory; re-add the host if it was deleted.',
      });
    case 409: {
      const current = stateNamedIn(body);
      const needs = OP_REQUIRED_STATES[ctx.op];
      const parts = [
        current ? `The machine is in state '${current}'` : 'The machine is not in a state that allows this',
        needs ? `${ctx.op} needs ${needs.map((s) => `'${s}'`).join(' or ')}` : undefined,
      ].filter(Boolean);
      return new MaasConflictError(base, ctx, {
        ...extra,
        currentState: current,
        hint: `${parts.join('; ')}. Wait for the running operation to finish, or abort/release it first.`,
      });
    }
    default:
      if (status >= 500) {
        return new MaasUnavailableError(base, ctx, {
          ...extra,
          hint:
            status === 503
              ? 'MaaS is busy (or has no free IP in the subnet): retry in a minute; if it persists check the region controller.'
              : 'MaaS had an internal error: retry; if it persists look at regiond.log on the region controller.',
        });
      }
      return new MaasError(base, ctx, {
        ...extra,
        hint: 'Unexpected answer from MaaS; check the MaaS URL points at the region API.',
      });
  }
}

/** Where the region URL came from, for the messages: "MAAS_URL", or undefined for the lab. */
export interface MaasUrlOrigin {
  url?: string;
  urlSource?: string | undefined;
  /** The call's deadline, for "did not answer within N s". */
  deadlineMs?: number;
  /** The setting that sets that deadline (RACKPILOT_MAAS_TIMEOUT). */
  deadlineSetting?: string;
}

export function maasUnreachableError(
  url: string,
  ctx: MaasCallContext,
  cause: unknown,
  timedOut: boolean,
  origin: MaasUrlOrigin = {},
): MaasError {
  const named = origin.urlSource ? ` (${origin.urlSource})` : '';
  const detail = cause instanceof Error && cause.message ? ` (${redact(cause.message)})` : '';
  const message = timedOut
    ? origin.deadlineMs !== undefined
      ? `MaaS at ${url}${named} did not answer within ${formatSeconds(origin.deadlineMs)}${origin.deadlineSetting ? ` (${origin.deadlineSetting})` : ''}: ${ctx.op}${ctx.target ? ` on ${ctx.target}` : ''}`
      : `${subject(ctx)} timed out waiting for an answer to ${url}`
    : `${subject(ctx)} could not connect to ${url}${named}${detail}`;
  return new MaasUnreachableError(message, ctx, {
    hint: !timedOut
      ? `The MaaS URL is unreachable: check ${origin.urlSource ?? 'the URL'} (http://HOST:5240/MAAS), that regiond runs, and the route from this jump host.`
      : ctx.method === 'POST' || ctx.method === 'DELETE'
        ? `MaaS may still have carried out ${ctx.op}: read the machine's state before trying again; if MaaS stays slow check regiond.`
        : `MaaS is slow or overloaded (or ${origin.urlSource ?? 'the URL'} names a server that accepts connections but is not MaaS): retry; if it persists check the region controller (regiond) and the network to it.`,
    cause: safeCause(cause),
  });
}

export function maasResponseError(
  ctx: MaasCallContext,
  problem: string,
  origin: MaasUrlOrigin = {},
): MaasError {
  const at = origin.url ? ` (MaaS at ${origin.url}${origin.urlSource ? `, ${origin.urlSource}` : ''})` : '';
  return new MaasResponseError(
    `${subject(ctx)} returned data rackpilot does not understand: ${problem}${at}`,
    ctx,
    {
      hint: `Check ${origin.urlSource ?? 'the MaaS URL'} points at a MaaS 2.x/3.x region API (not a proxy page) and that the MaaS version is supported.`,
    },
  );
}

/**
 * The server at the region URL answered, but not as a MaaS API does (a web server's page, a wrong
 * path): its page is not shown, the setting is named.
 */
export function maasNotApiError(
  url: string,
  ctx: MaasCallContext,
  html: boolean,
  urlSource: string | undefined,
  status?: number,
): MaasError {
  const what = html ? 'a web page' : 'text that is not JSON';
  const http = status !== undefined ? ` (HTTP ${status})` : '';
  return new MaasResponseError(
    `${urlSource ?? 'the MaaS URL'} ${url} does not look like a MaaS API: ${subject(ctx)} got ${what}${http}`,
    ctx,
    {
      ...(status !== undefined && { status }),
      hint: `Check ${urlSource ?? 'the URL'} names the region API and ends with /MAAS, e.g. http://HOST:5240/MAAS.`,
    },
  );
}

/**
 * The HTTP library's errors hold the request, Authorization header included; an error that
 * `console.error` or a crash dump may print keeps only a redacted message and the errno code.
 */
function safeCause(cause: unknown): Error | undefined {
  if (!(cause instanceof Error)) return undefined;
  const e = new Error(redact(cause.message));
  e.name = cause.name;
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string') (e as Error & { code: string }).code = code;
  return e;
}
