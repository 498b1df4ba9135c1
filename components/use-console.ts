import { useEffect, useRef, useState } from 'react';
import type { ConsoleSource, ConsoleState } from '../state/runner-console.ts';
import { ConsoleScreen } from './console-screen.ts';

export interface ConsolePaneState {
  lines: string[];
  state: ConsoleState | null;
}

/** Redraws at most this often while the host prints (a boot scrolls thousands of lines). */
const FRAME_MS = 50;

/**
 * A host's console on a screen of the pane's size, while `host` is set: the scrollback replayed,
 * then the live bytes; the screen is rebuilt when the size changes.
 */
export function useConsole(
  source: ConsoleSource | undefined,
  host: string | null,
  cols: number,
  rows: number,
): ConsolePaneState {
  const [view, setView] = useState<ConsolePaneState>({ lines: [], state: null });
  const frame = useRef<NodeJS.Timeout | null>(null);
  useEffect(() => {
    if (!source || !host) return;
    const screen = new ConsoleScreen(cols, rows);
    let state: ConsoleState | null = null;
    let live = true;
    const draw = () => {
      if (frame.current || !live) return;
      frame.current = setTimeout(() => {
        frame.current = null;
        if (live) setView({ lines: screen.lines(), state });
      }, FRAME_MS);
    };
    const off = source.watch(host, {
      data: (bytes) => screen.write(bytes, draw),
      state: (s) => {
        state = s;
        draw();
      },
    });
    return () => {
      live = false;
      off();
      if (frame.current) clearTimeout(frame.current);
      frame.current = null;
      screen.dispose();
    };
  }, [source, host, cols, rows]);
  return view;
}
