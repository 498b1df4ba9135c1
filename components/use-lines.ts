import { useRef, useState } from 'react';
import type { Key } from 'ink';
import { completeCommand, historyStep, type CommandLine } from './command-bar.ts';

/**
 * The two line editors of the footer: `/` filter and `:` command. Their state lives in a ref as well
 * as in React state, so a burst of keys in one read (tmux, a paste, fast typing) sees each key's
 * effect before the next one.
 */
export interface Lines {
  filter: string | null;
  command: CommandLine | null;
  completions: readonly string[];
  openFilter(initial: string): void;
  openCommand(): void;
  /** Handles a key while a line is open; returns true when it did. */
  edit(
    input: string,
    key: Key,
    on: { filter: (text: string) => void; command: (text: string) => void },
  ): boolean;
}

export function useLines(readOnly: boolean): Lines {
  const [, render] = useState(0);
  const ref = useRef<{ filter: string | null; command: CommandLine | null; completions: string[] }>({
    filter: null,
    command: null,
    completions: [],
  });
  const history = useRef<string[]>([]);
  const set = (next: Partial<typeof ref.current>) => {
    ref.current = { ...ref.current, ...next };
    render((n) => n + 1);
  };
  const typed = (text: string, input: string, key: Key): string | null => {
    if (key.backspace || key.delete) return text.slice(0, -1);
    if (input && !key.ctrl && !key.meta && !key.tab && !key.upArrow && !key.downArrow) return text + input;
    return null;
  };
  return {
    ...ref.current,
    openFilter: (initial) => set({ filter: initial }),
    openCommand: () => set({ command: { text: '', at: history.current.length }, completions: [] }),
    edit(input, key, on) {
      const { filter, command } = ref.current;
      if (filter !== null) {
        if (key.escape) {
          set({ filter: null });
          on.filter('');
        } else if (key.return) {
          set({ filter: null });
          on.filter(filter);
        } else {
          const next = typed(filter, input, key);
          if (next !== null) {
            set({ filter: next });
            on.filter(next);
          }
        }
        return true;
      }
      if (command !== null) {
        if (key.escape) set({ command: null, completions: [] });
        else if (key.return) {
          const text = command.text.trim();
          set({ command: null, completions: [] });
          if (text) {
            history.current = [...history.current.filter((h) => h !== text), text].slice(-50);
            on.command(text);
          }
        } else if (key.tab) {
          const { value, candidates } = completeCommand(command.text, readOnly);
          set({ command: { ...command, text: value }, completions: candidates });
        } else if (key.upArrow || key.downArrow) {
          set({ command: historyStep(history.current, command, key.upArrow ? -1 : 1), completions: [] });
        } else {
          const next = typed(command.text, input, key);
          if (next !== null) set({ command: { text: next, at: history.current.length }, completions: [] });
        }
        return true;
      }
      return false;
    },
  };
}
