import type { Key } from 'ink';

/**
 * The one key registry. Input dispatch, the `?` help, the footer hints, the `:` command bar,
 * read-only mode and the README's key table are all derived from this list, so none of them can
 * drift from what a key does.
 */
export type View =
  | 'hosts'
  | 'detail'
  | 'racks'
  | 'tasks'
  | 'events'
  | 'networks'
  | 'templates'
  | 'offerings'
  | 'instances'
  | 'commandlog'
  | 'pane'
  | 'task'
  | 'help'
  | 'doctor'
  | 'inspect'
  | 'cabling'
  | 'triage'
  | 'console';

export const LIST_VIEWS: readonly View[] = [
  'hosts',
  'racks',
  'tasks',
  'events',
  'networks',
  'templates',
  'offerings',
  'instances',
  'commandlog',
];
/**
 * The troubleshooting views: the doctor and the inspection of a host, the cabling check of a rack,
 * the site's triage.
 */
export const TROUBLE_VIEWS: readonly View[] = ['doctor', 'inspect', 'cabling', 'triage'];
export const ALL_VIEWS: readonly View[] = [
  ...LIST_VIEWS,
  'detail',
  'pane',
  'task',
  'help',
  ...TROUBLE_VIEWS,
  'console',
];
/**
 * Where the cursor keys move something (help, the task log, the doctor, the inspection and the
 * cabling check scroll; the triage's cursor is on its rows).
 */
export const MOVE_VIEWS: readonly View[] = [...LIST_VIEWS, 'pane', 'task', 'help', ...TROUBLE_VIEWS];
/** The host list with its task pane, focused or not. */
const PANE_VIEWS: readonly View[] = ['hosts', 'pane'];
/** Where a task is at hand: the task list, the task pane (focused) and the full task pane. */
const TASK_VIEWS: readonly View[] = ['tasks', 'pane', 'task'];
const HOST_VIEWS: readonly View[] = ['hosts', 'detail'];

/** One registry entry. Its id names its handler (see KeyHandlers). */
export interface KeyAction<Id extends string = ActionId> {
  id: Id;
  /** Canonical key names as `keyName` produces them: 'j', 'G', 'up', 'enter', 'ctrl-d', 'space'… */
  keys: readonly string[];
  label: string;
  /** Where the key applies. */
  views: readonly View[];
  /** Changes real gear (starts a task): absent in read-only mode. */
  dangerous?: true;
  /** Applies to every marked host when rows are marked (else to the selected one). */
  bulk?: true;
  /** A `:` command that does the same (views are commands too, see VIEW_COMMANDS). */
  command?: string;
  /** Short footer hint; entries without one are listed in help only. */
  footer?: string;
}

type Entry = KeyAction<string>;

/*
 * The registry in sections, one per job; each section's ids are a type (CursorActionId…), and the
 * module that handles a section returns a KeyHandlers of exactly those ids. A new entry without its
 * handler, or a handler for no entry, fails the typecheck.
 */

/** The cursor: rows, pages, ends, and the racks of the host list. */
const CURSOR_KEYS = [
  { id: 'up', keys: ['up', 'k'], label: 'previous row', views: MOVE_VIEWS, footer: '↑↓/jk move' },
  { id: 'down', keys: ['down', 'j'], label: 'next row', views: MOVE_VIEWS },
  { id: 'pageUp', keys: ['pgup', 'ctrl-b'], label: 'page up', views: MOVE_VIEWS },
  { id: 'pageDown', keys: ['pgdn', 'ctrl-f'], label: 'page down', views: MOVE_VIEWS },
  { id: 'top', keys: ['g', 'home'], label: 'first row', views: MOVE_VIEWS },
  { id: 'bottom', keys: ['G', 'end'], label: 'last row', views: MOVE_VIEWS },
  {
    id: 'nextRack',
    keys: ['right', 'l', 'tab'],
    label: 'next rack (all racks first)',
    views: ['hosts'],
  },
  { id: 'prevRack', keys: ['left', 'h', 'shift-tab'], label: 'previous rack', views: ['hosts'] },
] as const satisfies readonly Entry[];

/** Going places: into a row, back, and the two line editors. */
const GO_KEYS = [
  {
    id: 'drill',
    keys: ['enter'],
    label: "drill down: a host's details, a rack's hosts, an instance's host, a task's live log",
    views: ['hosts', 'racks', 'instances', 'tasks', 'pane'],
    footer: '⏎ open',
  },
  {
    id: 'back',
    keys: ['esc'],
    label: 'back one view; on the first view clear the filter and the marks',
    views: ALL_VIEWS,
  },
  {
    id: 'filter',
    keys: ['/'],
    label: 'filter by name, MAC, port, status, rack or system id; !text inverts',
    views: LIST_VIEWS,
    footer: '/ filter',
  },
  {
    id: 'command',
    keys: [':'],
    label: 'command bar: a view (:hosts :racks :tasks …) or an action; tab completes, ↑ history',
    views: ALL_VIEWS,
    footer: ': cmd',
  },
] as const satisfies readonly Entry[];

/** The host list: marks and sort order. */
const HOST_LIST_KEYS = [
  {
    id: 'mark',
    keys: ['space'],
    label: 'mark or unmark the host; actions then apply to every marked host',
    views: ['hosts'],
  },
  { id: 'sortName', keys: ['N'], label: 'sort by name (again: reverse)', views: ['hosts'] },
  { id: 'sortStatus', keys: ['S'], label: 'sort by status (again: reverse)', views: ['hosts'] },
  { id: 'sortPower', keys: ['P'], label: 'sort by power (again: reverse)', views: ['hosts'] },
  { id: 'sortRack', keys: ['R'], label: 'sort by rack (again: reverse)', views: ['hosts'] },
] as const satisfies readonly Entry[];

/** A host's details: the next and previous host. */
const DETAIL_KEYS = [
  { id: 'nextHost', keys: [']', 'n'], label: 'next host, without going back', views: ['detail'] },
  { id: 'prevHost', keys: ['[', 'p'], label: 'previous host', views: ['detail'] },
] as const satisfies readonly Entry[];

/** The screen: refresh, the task list and pane, the command log, help, quit. */
const SCREEN_KEYS = [
  { id: 'refresh', keys: ['r'], label: 'refresh from MaaS now', views: ALL_VIEWS },
  { id: 'tasks', keys: ['t'], label: 'tasks: each task, its steps and its latest log', views: ALL_VIEWS },
  {
    id: 'taskPane',
    keys: ['w'],
    label: 'show or hide the live task pane (running and recent tasks) beside or under the hosts',
    views: PANE_VIEWS,
    footer: 'w tasks',
  },
  { id: 'paneSize', keys: ['='], label: 'task pane size: small, medium, large', views: PANE_VIEWS },
  {
    id: 'paneFocus',
    keys: ['W'],
    label: 'into the task pane and back: j/k pick a task, enter opens its live log',
    views: PANE_VIEWS,
  },
  {
    id: 'commandLog',
    keys: ['@'],
    label: 'command log: every line sent to MaaS, switches and BMCs, newest first; / filters by host',
    views: ALL_VIEWS,
    footer: '@ sent',
  },
  { id: 'help', keys: ['?'], label: 'this help', views: ALL_VIEWS, footer: '? help' },
  { id: 'quit', keys: ['q', 'ctrl-c'], label: 'quit', views: ALL_VIEWS, footer: 'q quit' },
] as const satisfies readonly Entry[];

/** Actions on hosts: each starts a task through the site's runner. */
const HOST_ACTION_KEYS = [
  {
    id: 'addHost',
    keys: ['a'],
    label: 'add a host Not in MaaS: adopt or create it and commission it to Ready',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'add',
  },
  {
    id: 'deploy',
    keys: ['d'],
    label: 'deploy an instance: offering, template, networks, user data; plan, then confirm',
    views: HOST_VIEWS,
    dangerous: true,
    command: 'deploy',
    footer: 'd deploy',
  },
  {
    id: 'start',
    keys: ['s'],
    label: "start the host's instance (power on, no redeploy)",
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'start',
  },
  {
    id: 'stop',
    keys: ['x'],
    label: 'stop the instance (ACPI soft-off, then hard off)',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'stop',
  },
  {
    id: 'destroy',
    keys: ['ctrl-d'],
    label: 'destroy the instance and release the host with disk erase (type the host name)',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'destroy',
  },
  {
    id: 'attach',
    keys: ['+'],
    label: 'attach a network (tagged VLAN on every ToR port)',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'attach',
  },
  {
    id: 'detach',
    keys: ['-'],
    label: 'detach a network',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'detach',
  },
  {
    id: 'powerOn',
    keys: ['o'],
    label: 'power on (IPMI): the plan of every target, then confirm',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'power-on',
  },
  {
    id: 'powerOff',
    keys: ['O'],
    label: 'power off (IPMI): the plan, then confirm (the name typed on a Deployed host)',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'power-off',
  },
  {
    id: 'powerCycle',
    keys: ['c'],
    label: 'power cycle (IPMI): the plan, then confirm (the name typed on a Deployed host)',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'power-cycle',
  },
  {
    id: 'bootDevice',
    keys: ['b'],
    label: 'boot device: PXE or disk, persistent (IPMI)',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'boot',
  },
  {
    id: 'abort',
    keys: ['X'],
    label: 'abort the deployment in MaaS (confirm)',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'abort',
  },
  {
    id: 'markBroken',
    keys: ['B'],
    label: 'mark broken in MaaS, with a reason',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'broken',
  },
  {
    id: 'markFixed',
    keys: ['F'],
    label: 'mark fixed in MaaS',
    views: HOST_VIEWS,
    dangerous: true,
    bulk: true,
    command: 'fixed',
  },
] as const satisfies readonly Entry[];

/** Troubleshooting: reads through the runner; the fixes and the reconcile start tasks. */
const TROUBLE_KEYS = [
  {
    id: 'doctor',
    keys: ['D'],
    label:
      "the stuck-deployment doctor: time against MaaS's timeout, checks with evidence, likely cause, fixes",
    views: [...HOST_VIEWS, 'triage'],
    command: 'doctor',
  },
  {
    id: 'inspect',
    keys: ['I'],
    label: 'bond and VLAN inspection: machine → bond → NIC → ToR port → VLANs, drift marked',
    views: HOST_VIEWS,
    command: 'inspect',
  },
  {
    id: 'cabling',
    keys: ['C'],
    label: 'cabling check of the rack: each rack-file NIC ok, on another port, or not seen',
    views: ['racks', 'hosts'],
    command: 'cabling',
  },
  {
    id: 'triage',
    keys: ['T'],
    label: 'triage: hosts in transition or failed, with stage, cause and time left, most urgent first',
    views: ['hosts', 'racks'],
    command: 'triage',
  },
  // Enter as D in the triage; no footer hint, as the view's own last line says it.
  {
    id: 'triageDoctor',
    keys: ['enter'],
    label: "the highlighted host's doctor (as D)",
    views: ['triage'],
  },
  {
    id: 'fix',
    keys: ['1', '2', '3', '4', '5', '6'],
    label: "run the doctor's fix with that number as a task (confirm)",
    views: ['doctor'],
    dangerous: true,
    footer: '1-6 fix',
  },
  {
    id: 'reconcile',
    keys: ['R'],
    label: 'reconcile the drift through a task: the plan first, then confirm',
    views: ['inspect'],
    dangerous: true,
    command: 'reconcile',
    footer: 'R reconcile',
  },
] as const satisfies readonly Entry[];

/** The host's serial console (IPMI Serial-over-LAN), through the runner's one session per BMC. */
const CONSOLE_KEYS = [
  {
    id: 'console',
    keys: ['v'],
    label: "the host's serial console (SOL): live, shared with every viewer, its scrollback first",
    views: HOST_VIEWS,
    command: 'console',
  },
  {
    id: 'consolePane',
    keys: ['V'],
    label:
      "the selected host's console in the task pane's place, under or beside the hosts (again: the tasks)",
    views: PANE_VIEWS,
  },
  {
    id: 'consoleKeyboard',
    keys: ['K'],
    label: 'take the console keyboard: keys go to the host until ctrl-] gives it back',
    views: ['console'],
    dangerous: true,
    footer: 'K keyboard',
  },
] as const satisfies readonly Entry[];

/** Actions on tasks. */
const TASK_ACTION_KEYS = [
  {
    id: 'resume',
    keys: ['c'],
    label: 'continue (resume) the task from its first unfinished step',
    views: TASK_VIEWS,
    dangerous: true,
    command: 'resume',
    footer: 'c resume',
  },
  {
    id: 'rollback',
    keys: ['u'],
    label: 'roll the task back: the undo plan, then confirm (the name typed when it releases the host)',
    views: TASK_VIEWS,
    dangerous: true,
    command: 'rollback',
    footer: 'u rollback',
  },
  {
    id: 'cancel',
    keys: ['x'],
    label: 'cancel the task: its running step is stopped at once (confirm)',
    views: TASK_VIEWS,
    dangerous: true,
    command: 'cancel',
    footer: 'x cancel',
  },
] as const satisfies readonly Entry[];

/** Every entry, in the order of the help, the footer hints and the README's table. */
const REGISTRY = [
  ...CURSOR_KEYS,
  ...GO_KEYS,
  ...HOST_LIST_KEYS,
  ...DETAIL_KEYS,
  ...SCREEN_KEYS,
  ...HOST_ACTION_KEYS,
  ...TROUBLE_KEYS,
  ...CONSOLE_KEYS,
  ...TASK_ACTION_KEYS,
] as const;

type IdOf<S extends readonly Entry[]> = S[number]['id'];
export type ActionId = IdOf<typeof REGISTRY>;
export type CursorActionId = IdOf<typeof CURSOR_KEYS>;
export type GoActionId = IdOf<typeof GO_KEYS>;
export type HostListActionId = IdOf<typeof HOST_LIST_KEYS>;
export type DetailActionId = IdOf<typeof DETAIL_KEYS>;
export type ScreenActionId = IdOf<typeof SCREEN_KEYS>;
export type HostActionId = IdOf<typeof HOST_ACTION_KEYS>;
export type TroubleActionId = IdOf<typeof TROUBLE_KEYS>;
export type ConsoleActionId = IdOf<typeof CONSOLE_KEYS>;
export type TaskActionId = IdOf<typeof TASK_ACTION_KEYS>;

export const KEY_ACTIONS: readonly KeyAction[] = REGISTRY;

/** What a key does; `key` is the key pressed (the fix keys 1-6 say which fix), none from the `:` bar. */
export type KeyHandler = (key?: string) => void;
/** The handlers of some actions: exactly one per id, no more, no fewer. */
export type KeyHandlers<Id extends ActionId> = { readonly [K in Id]: KeyHandler };

/** Views the command bar opens, in completion order: every list, then help. */
export const VIEW_COMMANDS: readonly View[] = [...LIST_VIEWS, 'help'];

/** The actions that exist for this client: read-only mode removes every dangerous one. */
export function availableActions(readOnly: boolean): readonly KeyAction[] {
  return readOnly ? KEY_ACTIONS.filter((a) => !a.dangerous) : KEY_ACTIONS;
}

/** Ink's (input, key) as one canonical key name, or null for keys that have none. */
export function keyName(input: string, key: Key): string | null {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.leftArrow) return 'left';
  if (key.rightArrow) return 'right';
  if (key.pageUp) return 'pgup';
  if (key.pageDown) return 'pgdn';
  if (key.home) return 'home';
  if (key.end) return 'end';
  if (key.return) return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return key.shift ? 'shift-tab' : 'tab';
  if (key.backspace) return 'backspace';
  if (key.delete) return 'delete';
  if (key.meta) return input ? `alt-${input}` : null;
  if (key.ctrl) return input === ' ' ? 'ctrl-space' : input ? `ctrl-${input.toLowerCase()}` : null;
  if (input === ' ') return 'space';
  return [...input].length === 1 ? input : null;
}

/** The action a key does in a view, in this client's mode. */
export function actionFor(name: string, view: View, readOnly: boolean): KeyAction | undefined {
  return availableActions(readOnly).find((a) => a.views.includes(view) && a.keys.includes(name));
}
