import { useRef, useState } from 'react';
import type { DashboardDialog } from './dialog.ts';

/**
 * The open dialog. Kept in a ref as well: a key that arrives in the same burst as the one that
 * opened it must already see it (and be left to it).
 */
export function useDialog() {
  const [dialog, setDialog] = useState<DashboardDialog | null>(null);
  const ref = useRef(dialog);
  ref.current = dialog;
  const set = (d: DashboardDialog | null) => {
    ref.current = d;
    setDialog(d);
  };
  return {
    dialog,
    isOpen: () => ref.current !== null,
    open: (d: DashboardDialog) => set(d),
    close: () => set(null),
  };
}
