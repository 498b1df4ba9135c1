import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { TextInput } from '@inkjs/ui';
import { PickList } from './PickList.tsx';
import { useColor } from './theme.tsx';
import { DeployForm } from './DeployForm.tsx';
import { submitDeploy, type LaunchContext } from './launch.ts';
import type { DashboardRow } from './rows.ts';
import type { ActionPlan } from './actions.ts';
import { PlanDialog } from './PlanDialog.tsx';

/**
 * The dashboard's dialogs, all from @inkjs/ui: esc cancels every one of them. While a dialog is open
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

/** The dialogs that ask a question (a choice, a text); a plan has its own (PlanDialog). */
type Question = Exclude<Dialog, { kind: 'plan' }>;

export function DialogView({
  dialog,
  width,
  onClose,
}: {
  dialog: Question;
  width: number;
  onClose: () => void;
}) {
  const color = useColor();
  useInput((_input, key) => {
    if (key.escape) onClose();
  });
  return (
    <Box flexDirection="column" width={width} borderStyle="round" paddingX={1}>
      <Text bold color={color('yellow')} wrap="wrap">
        {dialog.title}
      </Text>
      {'lines' in dialog && dialog.lines
        ? dialog.lines.map((l, i) => (
            <Text key={i} wrap="truncate">
              {l}
            </Text>
          ))
        : null}
      <DialogInput dialog={dialog} onClose={onClose} />
      <Text color={color('gray')}>esc cancels</Text>
    </Box>
  );
}

function DialogInput({ dialog, onClose }: { dialog: Question; onClose: () => void }) {
  const color = useColor();
  // Why the text typed was refused: the dialog stays, with the input, and says it under it.
  const [mismatch, setMismatch] = useState<string | null>(null);
  switch (dialog.kind) {
    case 'choose':
      return (
        <PickList
          options={dialog.options}
          onPick={(value) => {
            onClose();
            dialog.onPick(value);
          }}
        />
      );
    case 'text':
      return (
        <Box flexDirection="column">
          <TextInput
            {...(dialog.placeholder !== undefined && { placeholder: dialog.placeholder })}
            onSubmit={(value) => {
              const refused = dialog.onSubmit(value);
              if (typeof refused === 'string') return setMismatch(refused);
              onClose();
            }}
          />
          {mismatch ? <Text color={color('red')}>{mismatch}</Text> : null}
        </Box>
      );
  }
}

/** The open dialog in the body: the deploy form, or one of the dialogs above. */
export function DialogBody({
  dialog,
  ctx,
  rows,
  onClose,
  width,
  height,
}: {
  dialog: Dialog | { kind: 'deploy'; hostname: string };
  ctx: LaunchContext;
  rows: readonly DashboardRow[];
  onClose: () => void;
  width: number;
  height: number;
}) {
  if (dialog.kind === 'plan')
    return <PlanDialog {...dialog} width={width} height={height} onClose={onClose} />;
  if (dialog.kind !== 'deploy') return <DialogView dialog={dialog} width={width} onClose={onClose} />;
  const row = rows.find((r) => r.hostname === dialog.hostname);
  return (
    <DeployForm
      hostname={dialog.hostname}
      catalog={ctx.catalog}
      plan={(req) => ctx.actions!.plan(req)}
      onCancel={onClose}
      onSubmit={(req, planned) => {
        onClose();
        if (row) submitDeploy(ctx, row, req, planned);
      }}
      width={width}
      height={height}
    />
  );
}
