import {
  ALL_VIEWS,
  KEY_ACTIONS,
  LIST_VIEWS,
  MOVE_VIEWS,
  VIEW_COMMANDS,
  type KeyAction,
  type View,
} from './keys.ts';

/** The registry as text: key glyphs, where a key applies, and the README's key table. */

const KEY_GLYPH: Record<string, string> = {
  up: '↑',
  down: '↓',
  left: '←',
  right: '→',
  pgup: 'PgUp',
  pgdn: 'PgDn',
  home: 'Home',
  end: 'End',
};

export function displayKeys(a: KeyAction): string {
  return a.keys.map((k) => KEY_GLYPH[k] ?? k).join('/');
}

const VIEW_LABEL: Record<View, string> = {
  hosts: 'hosts',
  detail: 'details',
  racks: 'racks',
  tasks: 'tasks',
  events: 'events',
  networks: 'networks',
  templates: 'templates',
  offerings: 'offerings',
  instances: 'instances',
  commandlog: 'command log',
  pane: 'task pane',
  task: 'task log',
  help: 'help',
  doctor: 'doctor',
  inspect: 'inspection',
  cabling: 'cabling',
  triage: 'triage',
  console: 'console',
};

export function viewsText(views: readonly View[]): string {
  if (views.length === ALL_VIEWS.length) return 'everywhere';
  if (views === LIST_VIEWS) return 'lists';
  if (views === MOVE_VIEWS) return 'lists, task panes, help, doctor, inspection, cabling, triage';
  return views.map((v) => VIEW_LABEL[v]).join(', ');
}

/** The README's "## Dashboard keys" table, generated from the registry. */
export function keyTableMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = ['| key | command | where | action |', '| --- | --- | --- | --- |'];
  for (const a of KEY_ACTIONS) {
    const keys = a.keys.map((k) => '`' + cell(KEY_GLYPH[k] ?? k) + '`').join(', ');
    const cmd = a.command ? '`:' + a.command + '`' : '';
    const label = a.dangerous ? `${a.label} **(hidden in read-only)**` : a.label;
    lines.push(`| ${keys} | ${cmd} | ${viewsText(a.views)} | ${cell(label)} |`);
  }
  const views = VIEW_COMMANDS.map((v) => '`:' + v + '`').join(', ');
  lines.push(`| | ${views}, \`:quit\`/\`:q\` | everywhere | open that view (esc comes back); quit |`);
  return lines.join('\n') + '\n';
}
