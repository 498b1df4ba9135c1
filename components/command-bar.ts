import { availableActions, VIEW_COMMANDS, type ActionId, type View } from './keys.ts';

/** What a `:` command does: open a view, run a registry action, or quit. */
export type Command = { kind: 'view'; view: View } | { kind: 'action'; id: ActionId } | { kind: 'quit' };

/** Every command this client accepts; read-only mode has no dangerous ones. */
export function commandTable(readOnly: boolean): Map<string, Command> {
  const table = new Map<string, Command>();
  for (const v of VIEW_COMMANDS) table.set(v, { kind: 'view', view: v });
  for (const a of availableActions(readOnly))
    if (a.command) table.set(a.command, { kind: 'action', id: a.id });
  table.set('quit', { kind: 'quit' });
  return table;
}

/**
 * The command typed, or `hidden` for one that exists but read-only mode leaves out (the operator
 * must learn why, not that it does not exist), or null.
 */
export function parseCommand(
  text: string,
  readOnly: boolean,
): Command | { kind: 'hidden'; word: string } | null {
  const word = text.trim().replace(/^:/, '').toLowerCase();
  if (word === 'q') return { kind: 'quit' };
  const cmd = commandTable(readOnly).get(word);
  if (cmd) return cmd;
  return readOnly && commandTable(false).has(word) ? { kind: 'hidden', word } : null;
}

/** Tab: the unique completion, else the longest common prefix of the candidates. */
export function completeCommand(text: string, readOnly: boolean): { value: string; candidates: string[] } {
  const prefix = text.trim().toLowerCase();
  const candidates = [...commandTable(readOnly).keys()].filter((c) => c.startsWith(prefix));
  if (candidates.length === 0) return { value: text, candidates };
  let common = candidates[0]!;
  for (const c of candidates) while (!c.startsWith(common)) common = common.slice(0, -1);
  return { value: common.length > prefix.length ? common : text, candidates };
}

/** The command bar's line: typed text, and where ↑/↓ are in the history (newest last). */
export interface CommandLine {
  text: string;
  /** Index into history while browsing it; history.length when editing a new line. */
  at: number;
}

export function historyStep(history: readonly string[], line: CommandLine, delta: -1 | 1): CommandLine {
  const at = Math.max(0, Math.min(history.length, line.at + delta));
  return { at, text: at === history.length ? '' : history[at]! };
}
