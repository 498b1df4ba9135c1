import type { Key } from 'ink';
import { actionFor, KEY_ACTIONS, keyName, type ActionId, type KeyHandlers } from './keys.ts';
import { parseCommand } from './command-bar.ts';
import { keysForHost, isConsoleRelease } from './console-keys.ts';
import { useKeyInput } from './use-key-input.ts';
import { hostActionHandlers, taskActionHandlers } from './launch.ts';
import {
  consoleHandlers,
  cursorHandlers,
  goHandlers,
  hostListHandlers,
  openView,
  screenHandlers,
  type ScreenReach,
} from './screen-keys.ts';
import type { ConsoleSource } from '../state/runner-console.ts';
import type { Screen } from './use-screen.ts';

/** Views where an action typed in the command bar acts as its key would; elsewhere it acts from the host list. */
const ACTION_VIEWS = ['hosts', 'detail', 'tasks', 'pane', 'task', 'doctor', 'inspect'];

/** Every registry action's handler: the table must name each id once (KeyHandlers<ActionId>). */
export function keyHandlers(
  s: Screen,
  reach: ScreenReach,
  console: ConsoleSource | undefined,
): KeyHandlers<ActionId> {
  const rack = s.view === 'racks' ? s.lists.model.rows[s.nav.cursor('racks')]?.rack : s.hosts.rack?.name;
  return {
    ...cursorHandlers(s),
    ...goHandlers(s),
    ...hostListHandlers(s),
    ...screenHandlers(s, reach),
    ...hostActionHandlers(s.launch),
    ...s.trouble.handlers(s.view === 'triage' ? triageRow(s) : s.liveRow, rack),
    ...consoleHandlers(s, reach, console),
    ...taskActionHandlers(s.launch),
  };
}

/** The triage's highlighted host, for the keys that act on a host's row (D). */
const triageRow = (s: Screen) => () => {
  const hostname = s.triageHost();
  return hostname ? { hostname, rack: null } : undefined;
};

/**
 * Where a key goes: nowhere while a dialog is open (it has its own), to the host while the
 * operator holds its console keyboard, to the filter or command line while one is open, else to
 * the registry's action for that key in this view.
 */
export function useKeyRouting(s: Screen, reach: ScreenReach, console: ConsoleSource | undefined): void {
  const handlers = keyHandlers(s, reach, console);
  const { nav, say } = s;

  const onCommand = (text: string) => {
    const cmd = parseCommand(text, s.readOnly);
    if (!cmd) return say({ tone: 'error', text: `:${text}: no such command (tab lists them)` });
    if (cmd.kind === 'hidden')
      return say({
        tone: 'error',
        text: `:${cmd.word} is hidden in read-only mode: it changes gear (start rackpilot without --read-only)`,
      });
    if (cmd.kind === 'quit') return reach.exit();
    if (cmd.kind === 'view') return openView(s, reach, cmd.view, 'jump');
    // An action from the bar acts where it would as a key: here if its key is, else (host actions)
    // from the host list.
    const here = KEY_ACTIONS.some((a) => a.id === cmd.id && a.views.includes(s.view));
    if (!here && !ACTION_VIEWS.includes(s.view)) nav.open('hosts');
    handlers[cmd.id]();
  };

  const toConsole = (input: string, key: Key, host: string, source: ConsoleSource) => {
    if (isConsoleRelease(input, key)) return void source.keyboard(host, false).catch(() => undefined);
    const bytes = keysForHost(input, key);
    if (bytes.length)
      source.input(host, bytes).catch((err: unknown) => say({ tone: 'error', text: (err as Error).message }));
  };

  useKeyInput((input, key) => {
    if (s.dialogs.isOpen()) return;
    // The console keyboard taken: every key goes to the host, but the one that gives it back.
    if (s.consoleHost && s.consolePane.state?.keyboard === 'you' && console)
      return toConsole(input, key, s.consoleHost, console);
    if (s.lines.edit(input, key, { filter: (t) => nav.setFilter(nav.view, t), command: onCommand })) return;
    const name = keyName(input, key);
    if (name === null) return;
    const action = actionFor(name, nav.view, s.readOnly);
    if (action) handlers[action.id](name);
  });
}
