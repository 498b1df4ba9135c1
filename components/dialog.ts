import type { ActionPlan } from './actions.ts';

/**
 * The dashboard's dialogs, as the code that opens them describes them (the views are in
 * Dialogs.tsx): a choice, a line of text, a plan to confirm, or the deploy form. While one is open
 * the dashboard's own keys are off, so a dialog never races the table for a key.
 */
export type Dialog =
  | {
      kind: 'choose';
      title: string;
      options: readonly { label: string; value: string }[];
      onPick: (value: string) => void;
    }
  | {
      kind: 'text';
      title: string;
      lines?: readonly string[];
      placeholder?: string;
      /** A string refuses the value: the dialog stays, the input kept, the reason under it. */
      onSubmit: (value: string) => string | void;
    }
  | {
      kind: 'plan';
      title: string;
      plans: readonly ActionPlan[];
      note?: string;
      /** What must be typed to confirm (a host name, a count); null: y/N. */
      expect: string | null;
      onOk: () => void;
    };

/** The dialogs the dashboard shows: the ones above, and the deploy form for a host. */
export type DashboardDialog = Dialog | { kind: 'deploy'; hostname: string };
