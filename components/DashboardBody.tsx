import { TasksView } from './TasksView.tsx';
import { HostDetail } from './HostDetail.tsx';
import { HelpView } from './HelpView.tsx';
import { ListView } from './ListView.tsx';
import { DialogBody } from './Dialogs.tsx';
import { PaneView } from './PaneViews.tsx';
import { HostsBody } from './HostsBody.tsx';
import { ConsoleView } from './ConsoleView.tsx';
import { submitDeploy } from './launch.ts';
import { heldReason } from './rows.ts';
import type { DashboardDialog } from './dialog.ts';
import type { DeployPlan, DeployRequest } from './actions.ts';
import type { Screen } from './use-screen.ts';

/** The body between the header and the footer: the open dialog, else the view on top. */
export function DashboardBody({ s }: { s: Screen }) {
  const { dialog } = s.dialogs;
  return dialog ? <DashboardDialogBody s={s} dialog={dialog} /> : <ViewBody s={s} />;
}

function DashboardDialogBody({ s, dialog }: { s: Screen; dialog: DashboardDialog }) {
  const { launch } = s;
  const deploy = {
    catalog: launch.catalog,
    plan: (req: DeployRequest) => launch.actions!.plan(req),
    // A host gone from the list meanwhile is not deployed.
    submit: (hostname: string, req: DeployRequest, planned: Pick<DeployPlan, 'digest' | 'mac'>) => {
      if (s.hosts.all.some((r) => r.hostname === hostname)) submitDeploy(launch, hostname, req, planned);
    },
  };
  return (
    <DialogBody
      {...{ dialog, deploy, onClose: s.dialogs.close, width: s.columns, height: s.frame.bodyHeight }}
    />
  );
}

function ViewBody({ s }: { s: Screen }) {
  const { view, nav, columns: width, frame, clock, hosts } = s;
  const height = frame.bodyHeight;
  switch (view) {
    case 'help':
      return (
        <HelpView
          {...{ width, height, offset: nav.cursor('help'), readOnly: s.readOnly }}
          held={heldReason(hosts.selectedRow)}
        />
      );
    case 'tasks': {
      const feed = s.tasks ? { ...s.tasks, tasks: s.lists.visibleTasks } : null;
      return <TasksView {...{ feed, width, height, now: clock.now }} selected={s.lists.taskCursor} />;
    }
    case 'detail':
      return hosts.selectedRow ? (
        <HostDetail row={hosts.selectedRow} width={width} now={clock.now} probe={s.probe} />
      ) : null;
    case 'hosts':
    case 'pane':
      return <HostsView s={s} />;
    case 'doctor':
    case 'inspect':
    case 'cabling':
    case 'triage':
      return s.trouble.body(view, {
        offset: nav.cursor(view),
        width,
        rows: {
          selected: s.cursor.position,
          windowStart: (room, total) => nav.windowStart(view, s.cursor.position, room, total),
        },
      });
    case 'console':
      return s.consoleHost ? (
        <ConsoleView
          {...{ width, height, readOnly: s.readOnly }}
          host={s.consoleHost}
          console={s.consolePane}
        />
      ) : null;
    case 'task':
    case 'commandlog':
      return <PaneView {...{ view, nav, width, height, now: clock.now }} panes={s.panes} feed={s.tasks} />;
    default: {
      const { model } = s.lists;
      const cursor = nav.cursor(view);
      const rows = s.room.tableHeight;
      return (
        <ListView
          {...{ model, width, height: rows, selected: cursor }}
          offset={nav.windowStart(view, cursor, rows, model.rows.length)}
        />
      );
    }
  }
}

/** The host list: the rack pane (wide), the table, and the task pane beside or under it. */
function HostsView({ s }: { s: Screen }) {
  const { nav, hosts, snapshot, room, panes, frame } = s;
  return (
    <HostsBody
      height={frame.bodyHeight}
      racks={frame.wide ? { list: snapshot.racks, current: nav.rackIndex } : null}
      table={{
        rows: hosts.visible,
        selected: hosts.selected,
        offset: nav.windowStart('hosts', hosts.selected, room.hostRows, hosts.visible.length),
        height: room.hostRows,
        width: room.tableWidth,
        now: s.clock.now,
        marked: nav.marked,
        stale: snapshot.error !== null && snapshot.rows.length > 0,
        loading: snapshot.refreshedAt === null && snapshot.error === null,
        wide: frame.wide,
      }}
      pane={{
        layout: s.layout,
        tasks: panes.list,
        focused: s.view === 'pane',
        selected: panes.paneCursor,
        progress: s.tasks?.progress,
        maasStatus: panes.maasStatus,
      }}
      {...(s.paneConsole &&
        s.consoleHost && {
          console: (
            <ConsoleView
              host={s.consoleHost}
              console={s.consolePane}
              width={s.layout.width}
              height={s.layout.height}
              readOnly={s.readOnly}
              inPane
            />
          ),
        })}
    />
  );
}
