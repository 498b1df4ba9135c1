import { Box, useApp } from 'ink';
import { Header } from './Header.tsx';
import { Footer } from './Footer.tsx';
import { RackTabs } from './RackBar.tsx';
import { untakenTaskActions } from './launch.ts';
import { crumbFor } from './PaneViews.tsx';
import { ColorScope, noColorFromEnv } from './theme.tsx';
import { heldReason, sortLabel } from './rows.ts';
import { useScreen, type Screen } from './use-screen.ts';
import { useKeyRouting } from './use-key-routing.ts';
import { DashboardBody } from './DashboardBody.tsx';
import type { DashboardProps } from './dashboard-props.ts';

export { matchesFilter } from './rows.ts';
export type { DashboardProps, TaskSource } from './dashboard-props.ts';
export { scrollWindow } from './use-navigation.ts';

export function Dashboard(props: DashboardProps) {
  return (
    <ColorScope noColor={props.noColor ?? noColorFromEnv()}>
      <DashboardScreen {...props} />
    </ColorScope>
  );
}

/**
 * The screen, cut by job: its state (useScreen), where keys go (useKeyRouting, the registry's
 * handlers), the body of the view or dialog on top (DashboardBody), and the frame around it.
 */
function DashboardScreen(props: DashboardProps) {
  const { exit } = useApp();
  const s = useScreen(props);
  useKeyRouting(
    s,
    {
      refreshInventory: () => void props.inventory.refresh(),
      refreshTasks: () => void props.taskFeed?.refresh?.(),
      exit,
    },
    props.console,
  );
  return (
    <Box flexDirection="column" width={s.columns} height={s.rows}>
      <ScreenHeader s={s} props={props} />
      {s.frame.tabs ? <RackTabs racks={s.snapshot.racks} current={s.nav.rackIndex} /> : null}
      <Box flexGrow={1} flexDirection="column" overflowY="hidden">
        <DashboardBody s={s} />
      </Box>
      <ScreenFooter s={s} />
    </Box>
  );
}

function ScreenHeader({ s, props }: { s: Screen; props: DashboardProps }) {
  const crumbs = s.nav.stack.map((v) =>
    crumbFor(v, {
      hostname: s.hosts.selectedRow?.hostname,
      rack: s.hosts.rack?.name,
      taskId: s.panes.openId,
    }),
  );
  return (
    <Header
      snapshot={s.snapshot}
      label={props.label ?? ''}
      width={s.columns}
      now={s.clock.now}
      crumbs={crumbs}
      sort={s.view === 'hosts' ? sortLabel(s.nav.sort) : ''}
      readOnly={s.readOnly}
      slowSince={s.clock.slowSince}
      {...(props.peers && { peers: props.peers })}
    />
  );
}

function ScreenFooter({ s }: { s: Screen }) {
  const { view, nav, lines } = s;
  return (
    <Footer
      width={s.columns}
      view={view}
      readOnly={s.readOnly}
      filterInput={lines.filter}
      appliedFilter={nav.filters[view] ?? ''}
      commandInput={lines.command?.text ?? null}
      completions={lines.completions}
      markedCount={nav.marked.size}
      held={view === 'hosts' || view === 'detail' ? heldReason(s.hosts.selectedRow) : null}
      message={s.message}
      unavailable={untakenTaskActions(s.launch.task?.state)}
    />
  );
}
