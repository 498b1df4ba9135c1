import { BESIDE_COLUMNS, MIN_TABLE_ROWS, type PaneLayout } from './task-panes.ts';

/**
 * Where the console goes when it takes the task pane's place (V): beside the host table on wide
 * terminals, else under it with every line the table can spare (the table keeps MIN_TABLE_ROWS
 * rows). At 80x24 that is the console's status line and ten lines of it.
 */
export function consolePaneLayout(o: { columns: number; width: number; bodyHeight: number }): PaneLayout {
  if (o.columns >= BESIDE_COLUMNS)
    return { placement: 'beside', height: o.bodyHeight, width: Math.floor(o.width * 0.5), card: false };
  const room = o.bodyHeight - 1 - MIN_TABLE_ROWS;
  if (room < 4) return { placement: 'none', height: 0, width: 0, card: false };
  return { placement: 'under', height: room, width: o.width, card: false };
}
