/**
 * Key bindings as data: the footer and the help screen are generated from the same list the
 * dashboard dispatches on, so help can never drift from behaviour.
 */
export interface KeyBinding {
  keys: string;
  action: DashboardAction;
  help: string;
  /** Shown in the footer at 80 columns. */
  footer?: string;
}

export type DashboardAction =
  | 'up'
  | 'down'
  | 'pageUp'
  | 'pageDown'
  | 'top'
  | 'bottom'
  | 'nextRack'
  | 'prevRack'
  | 'details'
  | 'tasks'
  | 'back'
  | 'filter'
  | 'refresh'
  | 'help'
  | 'quit';

export const DASHBOARD_KEYS: readonly KeyBinding[] = [
  { keys: '↑/k', action: 'up', help: 'previous host', footer: '↑↓/jk move' },
  { keys: '↓/j', action: 'down', help: 'next host' },
  { keys: 'PgUp/ctrl-b', action: 'pageUp', help: 'page up' },
  { keys: 'PgDn/ctrl-f', action: 'pageDown', help: 'page down' },
  { keys: 'g/Home', action: 'top', help: 'first host' },
  { keys: 'G/End', action: 'bottom', help: 'last host' },
  { keys: '→/l/tab', action: 'nextRack', help: 'next rack (all racks first)', footer: '←→ rack' },
  { keys: '←/h/shift-tab', action: 'prevRack', help: 'previous rack' },
  { keys: 'enter', action: 'details', help: 'host details', footer: '⏎ details' },
  {
    keys: 't',
    action: 'tasks',
    help: 'task journal: each task, its steps and its latest log',
    footer: 't tasks',
  },
  { keys: 'esc', action: 'back', help: 'close details/help, clear filter' },
  { keys: '/', action: 'filter', help: 'filter by hostname, MAC, port or status', footer: '/ filter' },
  { keys: 'r', action: 'refresh', help: 'refresh from MaaS now', footer: 'r refresh' },
  { keys: '?', action: 'help', help: 'this help', footer: '? help' },
  { keys: 'q/ctrl-c', action: 'quit', help: 'quit', footer: 'q quit' },
];
