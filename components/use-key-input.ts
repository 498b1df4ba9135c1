import { useInput, type Key } from 'ink';

/**
 * Ink's input, one key at a time. Keys typed faster than a frame (or sent in one burst by tmux or
 * a paste) arrive as one string: it is split so `jjj` moves three rows. Always listening (a
 * dialog's keys are ignored by the handler): switching the hook off and on with each dialog made
 * Ink drop the first key after a dialog closed.
 */
export function useKeyInput(handleKey: (input: string, key: Key) => void): void {
  useInput((input, key) => {
    if (input.length > 1 && !key.ctrl && !key.meta && !input.startsWith('\u001B')) {
      for (const ch of input) {
        const k = {
          ...key,
          return: ch === '\r',
          backspace: ch === '\u007F' || ch === '\b',
          shift: /[A-Z]/.test(ch),
        };
        handleKey(ch === '\r' ? '' : ch, k);
      }
      return;
    }
    handleKey(input, key);
  });
}
