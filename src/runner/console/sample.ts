import { formatSeconds } from '../../util/deadline.ts';
import { describeError } from '../../util/errors.ts';
import type { ConsoleState } from '../../protocol/console.ts';
import type { ConsoleHub } from './hub.ts';

/**
 * The doctor's read of a host's console. The runner may not have it open: then the doctor opens
 * it (a silent viewer: never counted, never typing) and takes what the console prints within a
 * short window, or what the jump host holding it relays. A host that only waits prints nothing
 * until something happens, and the doctor never sends it a key, so an empty read says so. The
 * session stays open a few seconds after the read (the doctor's view reads again every 5 s), then
 * closes unless a viewer or a task holds it.
 */
export interface ConsoleSample {
  lines: string[];
  /** Why the console could not be read (or read only in part), for the doctor's "unchecked". */
  unread?: string;
}

export interface SampleOptions {
  /** The longest wait for the console's output after opening it. */
  windowMs?: number;
  /** Output that stops for this long is taken as all there is to read now. */
  quietMs?: number;
  /** How long the session stays open after the read without a viewer. */
  keepMs?: number;
  signal?: AbortSignal;
}

let nextId = -1;

export async function sampleConsole(
  hub: ConsoleHub,
  hostname: string,
  opts: SampleOptions = {},
): Promise<ConsoleSample> {
  const { windowMs = 2_000, quietMs = 300, keepMs = 6_000, signal } = opts;
  let noSol: string | null;
  try {
    noSol = hub.whyNoSol(hostname);
  } catch (err) {
    return { lines: [], unread: describeError(err).split('\n')[0]! };
  }
  if (noSol) return { lines: [], unread: noSol };
  if (signal?.aborted) return { lines: [], unread: "not read: the request's deadline came first" };

  let wake: () => void = () => undefined;
  let state: ConsoleState | undefined;
  let lastData = 0;
  const viewer = {
    id: nextId--,
    silent: true,
    onData: () => {
      lastData = Date.now();
      wake();
    },
    // Caught up with the holder's relay, even when it held nothing this runner had not had.
    onRelayed: () => {
      lastData = Date.now();
      wake();
    },
    onState: (s: ConsoleState) => {
      state = s;
      wake();
    },
  };
  const started = Date.now();
  let ready = false;
  state = hub.watch(hostname, viewer).state;
  const onAbort = () => wake();
  signal?.addEventListener('abort', onAbort);
  try {
    ready =
      state.state === 'open' || (state.state === 'elsewhere' && hub.evidence(hostname).lines.length > 0);
    while (!ready && !signal?.aborted && state.state !== 'unavailable') {
      const now = Date.now();
      if (now - started >= windowMs) break;
      if (lastData > 0 && now - lastData >= quietMs) break;
      const wait = lastData > 0 ? quietMs - (now - lastData) : windowMs - (now - started);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(1, wait));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    hub.unwatch(hostname, viewer.id);
    hub.keepOpen(hostname, keepMs);
  }
  const lines = hub.evidence(hostname).lines;
  const read = {
    hasLines: lines.length > 0,
    fresh: ready || lastData > 0,
    aborted: signal?.aborted === true,
  };
  const unread = unreadReason(state, read, windowMs);
  return { lines, ...(unread && { unread }) };
}

/**
 * Why the read is short: nothing read, or only lines from before (the scrollback of an earlier
 * session) while the console printed nothing now. Null when the lines are the console's own now.
 */
function unreadReason(
  s: ConsoleState,
  r: { hasLines: boolean; fresh: boolean; aborted: boolean },
  windowMs: number,
): string | undefined {
  const window = formatSeconds(windowMs);
  const older = r.hasLines ? ' (the lines shown are older scrollback)' : '';
  if (s.state === 'unavailable') return `not read now: ${s.error ?? 'the SOL session failed'}${older}`;
  const waiting = '(a waiting host prints nothing until something happens, and the doctor sends it no key)';
  if (r.fresh && r.hasLines) return undefined;
  if (r.fresh)
    return s.state === 'elsewhere'
      ? `${s.error ?? 'held by another jump host'}: it has relayed nothing yet`
      : `open, and it has printed nothing yet ${waiting}`;
  if (r.aborted) return `not read: the request's deadline came first${older}`;
  if (s.state === 'connecting') return `its SOL session did not open within ${window}${older}`;
  if (s.state === 'elsewhere')
    return `${s.error ?? 'held by another jump host'}: it relayed nothing within ${window}${older}`;
  return `opened for ${window}: it printed nothing${r.hasLines ? ' new' : ''} ${waiting}${older}`;
}
