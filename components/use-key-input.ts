import { useEffect, useState } from 'react';
import { useInput, type Key } from 'ink';

/** The clock the dashboard shows ages with: fixed in tests, else ticking every second. */
export function useNow(fixed: number | undefined): number {
  const [now, setNow] = useState(() => fixed ?? Date.now());
  useEffect(() => {
    if (fixed !== undefined) return;
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, [fixed]);
  return fixed ?? now;
}

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
