import { useEffect, useState } from 'react';
import { useInput, type Key } from 'ink';
import type { InventorySnapshot } from '../state/live.ts';
import type { Task } from '../state/schema.ts';

/** Data older than this is shown with its age; fresher is "live". */
export const FRESH_MS = 10_000;

/**
 * Epoch ms of the most recent thing whose age the screen shows: a status change on a row that can
 * be on screen (`shown`: not the 10,000 others), a running task (its elapsed time), or data that is
 * no longer fresh (the header counts its age).
 */
export function youngestChange(
  shown: readonly Pick<InventorySnapshot['rows'][number], 'since' | 'sinceExact'>[],
  snapshot: Pick<InventorySnapshot, 'refreshedAt'>,
  tasks: readonly Task[] | undefined,
): number | null {
  let youngest: number | null = null;
  for (const r of shown) if (r.sinceExact && (youngest === null || r.since > youngest)) youngest = r.since;
  if (tasks?.some((t) => t.state === 'running' || t.state === 'pending' || t.state === 'rolling-back'))
    youngest = Date.now();
  if (snapshot.refreshedAt === null || Date.now() - snapshot.refreshedAt >= FRESH_MS) youngest = Date.now();
  return youngest;
}

/**
 * The clock the dashboard shows ages with: fixed in tests, else ticking only as often as a shown
 * age can change: every second while the youngest age on screen is under a minute (`youngest`:
 * epoch ms of the most recent change shown), every 15 s otherwise. An idle screen of old states
 * costs four renders a minute, not sixty.
 */
export function useNow(fixed: number | undefined, youngest: number | null = null): number {
  const [now, setNow] = useState(() => fixed ?? Date.now());
  const fast = youngest !== null && now - youngest < 60_000;
  useEffect(() => {
    if (fixed !== undefined) return;
    const t = setInterval(() => setNow(Date.now()), fast ? 1000 : 15_000);
    return () => clearInterval(t);
  }, [fixed, fast]);
  return fixed ?? now;
}

/**
 * Ink's input, one key at a time. Keys typed faster than a frame (or sent in one burst by tmux or
 * a paste) arrive as one string: it is split so `jjj` moves three rows. Always listening (a
 * dialog's keys are ignored by the handler): switching the hook off and on with each dialog made
 * Ink drop the first key after a dialog closed.
 */
export function useKeyInput(handleKey: (input: string, key: Key) => void): void {
  useInput((input, key) => {
    if (input.length > 1 && !key.ctrl && !key.meta && !input.startsWith('\u001B')) {
      for (const ch of input) {
        const k = {
          ...key,
          return: ch === '\r',
          backspace: ch === '\u007F' || ch === '\b',
          shift: /[A-Z]/.test(ch),
        };
        handleKey(ch === '\r' ? '' : ch, k);
      }
      return;
    }
    handleKey(input, key);
  });
}
