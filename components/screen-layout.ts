import { RACK_PANE_WIDTH } from './RackBar.tsx';
import type { View } from './keys.ts';
import type { PaneLayout } from './task-panes.ts';

/** The views that show the host table (with its task pane on the host list). */
const TABLE_VIEWS: readonly View[] = ['hosts', 'pane', 'detail'];

/**
 * The body's room, once the header, the rack tabs (narrow terminals: the rack pane takes their place
 * at 120 columns and more) and the footer have theirs.
 */
export function screenFrame(o: {
  view: View;
  columns: number;
  rows: number;
  headerLines: number;
  footerLines: number;
}) {
  const wide = o.columns >= 120;
  const tabs = (o.view === 'hosts' || o.view === 'pane') && !wide ? 1 : 0;
  const bodyHeight = Math.max(2, o.rows - o.headerLines - tabs - o.footerLines);
  return { wide, tabs, bodyHeight, besideRacks: wide ? o.columns - RACK_PANE_WIDTH - 1 : o.columns };
}

export type ScreenFrame = ReturnType<typeof screenFrame>;

/** The host table gives the task pane its lines (under) or its columns (beside). */
export function tableRoom(frame: ScreenFrame, pane: PaneLayout, view: View) {
  const hostRows = frame.bodyHeight - 1 - (pane.placement === 'under' ? pane.height : 0);
  return {
    hostRows,
    tableWidth: frame.besideRacks - (pane.placement === 'beside' ? pane.width + 1 : 0),
    /** A page for PgUp/PgDn: the table's rows, or the list's. */
    tableHeight: TABLE_VIEWS.includes(view) ? hostRows : frame.bodyHeight - 1,
  };
}
