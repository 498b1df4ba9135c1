import { useMemo, useRef, useState } from 'react';
import type { LiveTaskSnapshot } from '../state/runner-task-feed.ts';
import type { View } from './keys.ts';
import type { useNavigation } from './use-navigation.ts';
import { taskLogRoom } from './TaskLogView.tsx';
import {
  commandLog,
  commandLogMatches,
  paneLayout,
  paneTasks,
  type PaneLayout,
  type PaneSize,
} from './task-panes.ts';

type Nav = ReturnType<typeof useNavigation>;

/**
 * The task pane beside or under the hosts (w shows/hides it, = cycles its size, W moves the
 * focus into it), the full task pane (enter on a task) and the `@` command log: their state, their
 * lists, and how the cursor keys move in them.
 */
export function useTaskPanes(o: {
  feed: LiveTaskSnapshot | null;
  nav: Nav;
  now: number;
  columns: number;
  /** Width left for the table and the pane, and the body's height. */
  width: number;
  bodyHeight: number;
  /** The host rows, for each host's MaaS status. */
  rows: readonly { hostname: string; statusName: string }[];
}) {
  const { feed, nav, now } = o;
  const [shown, setShown] = useState(true);
  const [size, setSize] = useState<PaneSize>(0);
  const [openId, setOpenId] = useState<string | null>(null);
  // The full pane follows the log (newest at the bottom) until the operator scrolls back.
  const follow = useRef(true);
  const [, render] = useState(0);

  const all = feed?.tasks;
  // Minute resolution: the list changes when a settled task ages out, not every second.
  const minute = Math.floor(now / 60_000);
  const list = useMemo(() => paneTasks(all ?? [], minute * 60_000), [all, minute]);
  const gearAll = useMemo(() => commandLog(all ?? []), [all]);
  const gearFilter = nav.filters.commandlog ?? '';
  const gear = useMemo(
    () => (gearFilter ? gearAll.filter((l) => commandLogMatches(l, gearFilter)) : gearAll),
    [gearAll, gearFilter],
  );
  const maasStatus = useMemo(() => new Map(o.rows.map((r) => [r.hostname, r.statusName])), [o.rows]);
  const openTask = openId === null ? undefined : all?.find((t) => t.id === openId);
  const layout: PaneLayout = paneLayout({
    shown,
    tasks: list.length,
    size,
    columns: o.columns,
    width: o.width,
    bodyHeight: o.bodyHeight,
  });
  const logRoom = taskLogRoom(openTask, o.bodyHeight);
  const maxOffset = Math.max(0, (openTask?.log.length ?? 0) - logRoom);
  const logOffset = follow.current ? maxOffset : Math.min(nav.cursor('task'), maxOffset);
  const paneCursor = Math.min(nav.cursor('pane'), Math.max(0, list.length - 1));
  const gearCursor = Math.min(nav.cursor('commandlog'), Math.max(0, gear.length - 1));

  return {
    shown,
    size,
    layout,
    list,
    gear,
    openId,
    openTask,
    logOffset,
    following: follow.current,
    maasStatus,
    paneCursor,
    gearCursor,
    /** The task a task action (resume, rollback, cancel) applies to in these views. */
    taskIdFor(view: View): string | undefined {
      if (view === 'task') return openId ?? undefined;
      if (view === 'pane') return list[paneCursor]?.id;
      return undefined;
    },
    /** Rows the cursor keys move over in these views, or undefined for the others. */
    length(view: View): number | undefined {
      if (view === 'pane') return list.length;
      if (view === 'commandlog') return gear.length;
      if (view === 'task') return maxOffset + 1;
      return undefined;
    },
    position(view: View): number | undefined {
      if (view === 'pane') return paneCursor;
      if (view === 'commandlog') return gearCursor;
      if (view === 'task') return logOffset;
      return undefined;
    },
    /** Moves the cursor (the scroll position in the task log: at the end it follows again). */
    move(view: View, i: number): boolean {
      if (view === 'task') {
        follow.current = i >= maxOffset;
        nav.setCursor('task', i);
        return true;
      }
      if (view === 'pane' || view === 'commandlog') {
        nav.setCursor(view, i);
        return true;
      }
      return false;
    },
    toggle() {
      if (shown && nav.view === 'pane') nav.back();
      setShown((s) => !s);
    },
    cycleSize: () => setSize((s) => ((s + 1) % 3) as PaneSize),
    /** W: into the pane (showing it) or back to the hosts. */
    focus() {
      if (nav.view === 'pane') return void nav.back();
      if (list.length === 0) return 'no running or recent task';
      setShown(true);
      nav.open('pane');
      return undefined;
    },
    /** Opens the full pane on a task, following its log. */
    openLog(id: string | undefined) {
      if (!id) return;
      setOpenId(id);
      follow.current = true;
      render((n) => n + 1);
      nav.open('task');
    },
  };
}
