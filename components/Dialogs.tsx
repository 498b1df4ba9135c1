import { useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { TextInput } from '@inkjs/ui';
import { PickList } from './PickList.tsx';
import { useColor } from './theme.tsx';
import { DeployForm } from './DeployForm.tsx';
import type { CatalogSnapshot, DeployPlan, DeployRequest } from './actions.ts';
import type { DashboardDialog, Dialog } from './dialog.ts';
import { PlanDialog } from './PlanDialog.tsx';

/** The dialogs that ask a question (a choice, a text); a plan has its own (PlanDialog). */
type Question = Exclude<Dialog, { kind: 'plan' }>;

/** A question's view, from @inkjs/ui: esc cancels it, as it does every dialog. */
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
  deploy,
  onClose,
  width,
  height,
}: {
  dialog: DashboardDialog;
  /** The deploy form's catalog, its planner, and what its confirmed plan starts. */
  deploy: {
    catalog: CatalogSnapshot | undefined;
    plan: (req: DeployRequest) => Promise<DeployPlan>;
    submit: (hostname: string, req: DeployRequest, planned: Pick<DeployPlan, 'digest' | 'mac'>) => void;
  };
  onClose: () => void;
  width: number;
  height: number;
}) {
  if (dialog.kind === 'plan')
    return <PlanDialog {...dialog} width={width} height={height} onClose={onClose} />;
  if (dialog.kind !== 'deploy') return <DialogView dialog={dialog} width={width} onClose={onClose} />;
  return (
    <DeployForm
      hostname={dialog.hostname}
      catalog={deploy.catalog}
      plan={deploy.plan}
      onCancel={onClose}
      onSubmit={(req, planned) => {
        onClose();
        deploy.submit(dialog.hostname, req, planned);
      }}
      width={width}
      height={height}
    />
  );
}
