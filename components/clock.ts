import { useEffect, useRef, useState } from 'react';
import type { Task } from '../src/protocol/records.ts';
import { inFlight } from '../src/protocol/task-states.ts';
import { RECENT_MS } from './task-panes.ts';

/** Data older than this is shown with its age; fresher is "live". */
export const FRESH_MS = 10_000;
/** A MaaS refresh running longer than this is shown as slow. */
export const SLOW_MS = 10_000;
/** Ages at minute resolution are redrawn at most this often (they may lag by as much). */
export const COARSE_MS = 15_000;

/** When the dashboard must draw again for its ages: at `at`; `coarse` when only minute-resolution text changes. */
export interface Due {
  at: number;
  coarse: boolean;
}

/** Epoch ms after `now` at which formatAge(now - since) shows something else: 45s, 3m, 2h05m, 3d04h. */
export function nextAgeChange(since: number, now: number): number {
  const age = Math.max(0, now - since);
  const step = age < 60_000 ? 1_000 : age < 86_400_000 ? 60_000 : 3_600_000;
  return since + (Math.floor(age / step) + 1) * step;
}

/** What the screen shows that ages with the clock. */
export interface Aging {
  /** Epoch ms whose age is on screen (the rows around the cursor, the tasks view's tasks). */
  ages: Iterable<number>;
  tasks?: readonly Task[] | undefined;
  /** The data's freshness ("live", then "updated 12s ago"). */
  refreshedAt: number | null;
  /** Since when a MaaS refresh has been running. */
  slowSince?: number | null;
  /** A view that counts seconds of its own (a doctor's countdown). */
  everySecond?: boolean;
}

/**
 * The next moment any text on screen changes with time alone, or null when none can (then only
 * new data redraws). A running task's elapsed time counts seconds; a settled one leaves the task
 * pane on the minute its 15 minutes are up.
 */
export function nextRedraw(now: number, s: Aging): Due | null {
  // Seconds and minutes apart: a minute-resolution change due first must not hold back a seconds
  // text (a running task's elapsed time) until the coarse pace allows a frame.
  let fine: number | null = null;
  let coarse: number | null = null;
  const consider = (at: number, isCoarse: boolean) => {
    if (isCoarse) coarse = coarse === null ? at : Math.min(coarse, at);
    else fine = fine === null ? at : Math.min(fine, at);
  };
  const age = (since: number) => consider(nextAgeChange(since, now), now - since >= 60_000);
  if (s.everySecond) consider(now + 1_000, false);
  for (const t of s.tasks ?? []) {
    // A running task's elapsed time shows seconds: it changes on each second of its own.
    if (inFlight(t)) consider(nextSecond(Date.parse(t.createdAt), now), false);
  }
  for (const since of s.ages) age(since);
  for (const t of s.tasks ?? []) {
    const leaves = Date.parse(t.updatedAt) + RECENT_MS;
    if (!inFlight(t) && leaves > now) consider(Math.ceil(leaves / 60_000) * 60_000, true);
  }
  if (s.refreshedAt !== null) {
    if (now - s.refreshedAt < FRESH_MS) consider(s.refreshedAt + FRESH_MS, false);
    else age(s.refreshedAt);
  }
  if (s.slowSince != null) {
    if (now - s.slowSince < SLOW_MS) consider(s.slowSince + SLOW_MS, false);
    else age(s.slowSince);
  }
  return earliest(now, fine, coarse);
}

/** The first moment after `now` at which whole seconds since `since` tick over. */
function nextSecond(since: number, now: number): number {
  if (!Number.isFinite(since)) return now + 1_000;
  return since + (Math.floor(Math.max(0, now - since) / 1_000) + 1) * 1_000;
}

/** The redraw to wait for: a coarse one happens no sooner than COARSE_MS from now. */
function earliest(now: number, fine: number | null, coarse: number | null): Due | null {
  if (fine === null) return coarse === null ? null : { at: coarse, coarse: true };
  if (coarse === null || fine <= Math.max(coarse, now + COARSE_MS)) return { at: fine, coarse: false };
  return { at: coarse, coarse: true };
}

/**
 * The clock the dashboard shows ages with: fixed in tests; else it moves only when some text on
 * screen changes (`due`, asked at each render and again when its timer fires, as data such as
 * the runner's heartbeat moves on without a render). An idle screen of old states draws nothing
 * for minutes: a frame at 200×50 costs Ink tens of milliseconds even when nothing in it changed.
 */
export function useNow(fixed: number | undefined, due: (now: number) => Due | null): number {
  const [now, setNow] = useState(() => fixed ?? Date.now());
  const dueRef = useRef(due);
  dueRef.current = due;
  const next = fixed === undefined ? due(now) : null;
  const at = next === null ? null : next.coarse ? Math.max(next.at, now + COARSE_MS) : next.at;
  useEffect(() => {
    if (at === null) return;
    let timer: NodeJS.Timeout | undefined;
    const wait = (until: number) => {
      timer = setTimeout(() => {
        const again = dueRef.current(now);
        const t = Date.now();
        if (again !== null && again.at > t) wait(again.at);
        else if (again !== null) setNow(t);
      }, until - Date.now());
    };
    wait(at);
    return () => clearTimeout(timer);
  }, [now, at]);
  return fixed ?? now;
}
