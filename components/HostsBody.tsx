import { Box } from 'ink';
import type { ReactNode } from 'react';
import type { RackSummary } from '../state/live.ts';
import type { Task } from '../src/protocol/records.ts';
import type { StepProgress } from '../state/runner-task-feed.ts';
import { HostTable, type HostTableProps } from './HostTable.tsx';
import { RackPane } from './RackBar.tsx';
import { TaskPane } from './TaskPane.tsx';
import { displayKeys, KEY_ACTIONS, type ActionId } from './keys.ts';
import type { PaneLayout } from './task-panes.ts';

export interface HostsBodyProps {
  table: HostTableProps;
  /** The rack pane on the left (wide terminals), with the current rack. */
  racks: { list: readonly RackSummary[]; current: number } | null;
  height: number;
  pane: {
    layout: PaneLayout;
    tasks: readonly Task[];
    /** The pane has the focus (W): its picked task. */
    focused: boolean;
    selected: number;
    progress?: ReadonlyMap<string, StepProgress> | undefined;
    maasStatus: ReadonlyMap<string, string>;
  };
  /** The host's console, drawn in the task pane's place (V). */
  console?: ReactNode;
}

const key = (id: ActionId) => displayKeys(KEY_ACTIONS.find((a) => a.id === id)!);

/** The host list: the rack pane (wide), the table, and the task pane beside or under it. */
export function HostsBody({ table, racks, height, pane, console }: HostsBodyProps) {
  const { layout } = pane;
  const hint = pane.focused
    ? `j/k pick · ⏎ log · ${key('paneFocus')} back`
    : `${key('paneFocus')} pick · ${key('paneSize')} size · ${key('taskPane')} hide`;
  const taskPane =
    layout.placement === 'none' ? null : console ? (
      <Box flexDirection="column" width={layout.width} height={layout.height}>
        {console}
      </Box>
    ) : (
      <TaskPane
        tasks={pane.tasks}
        layout={layout}
        selected={pane.focused ? pane.selected : -1}
        now={table.now}
        progress={pane.progress}
        maasStatus={pane.maasStatus}
        hint={hint}
      />
    );
  return (
    <Box flexDirection="row" height={height}>
      {racks ? <RackPane racks={racks.list} current={racks.current} height={height} /> : null}
      {racks ? <Box width={1} /> : null}
      <Box flexDirection="column">
        <Box flexDirection="column" height={table.height + 1}>
          <HostTable {...table} />
        </Box>
        {layout.placement === 'under' ? taskPane : null}
      </Box>
      {layout.placement === 'beside' ? <Box width={1} /> : null}
      {layout.placement === 'beside' ? taskPane : null}
    </Box>
  );
}
