import { useEffect, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { ConfirmInput, TextInput } from '@inkjs/ui';
import { PickList } from './PickList.tsx';
import type { CatalogSnapshot, DeployPlan, DeployRequest } from './actions.ts';
import { planLines, ScrolledLines } from './PlanDialog.tsx';
import { useColor } from './theme.tsx';

export interface DeployFormProps {
  hostname: string;
  catalog: CatalogSnapshot | undefined;
  /** The exact MaaS calls, switch lines and IPMI commands the deploy would issue. */
  plan: (req: DeployRequest) => Promise<DeployPlan>;
  /** The deploy as confirmed: the request and the plan shown (its MAC and digest go with it). */
  onSubmit: (req: DeployRequest, planned: DeployPlan) => void;
  onCancel: () => void;
  width: number;
  height: number;
}

type Step = 'offering' | 'template' | 'networks' | 'name' | 'userData' | 'plan';

const INSTANCE_NAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

type Planned = DeployPlan | 'loading' | { error: string };

/** Deploy: offering, template, networks, instance name, user data; then the plan, then y to deploy. */
export function DeployForm({ hostname, catalog, plan, onSubmit, onCancel, width, height }: DeployFormProps) {
  const color = useColor();
  const [step, setStep] = useState<Step>('offering');
  const [req, setReq] = useState<Partial<DeployRequest>>({ host: hostname });
  const [problem, setProblem] = useState<string | null>(null);
  useInput((_input, key) => {
    if (key.escape) onCancel();
  });
  const planned = usePlanned(step === 'plan', req, plan, (reason) => {
    // The form stays, its answers kept: back to the last field (a user-data path that does
    // not exist is the usual cause), the reason under it; enter plans again.
    setProblem(`cannot plan: ${reason}`);
    setStep('userData');
  });
  const answer = (next: Step, change: (r: Partial<DeployRequest>) => Partial<DeployRequest>) => {
    setProblem(null);
    setReq(change);
    setStep(next);
  };
  const chosen = (label: string, value: string | undefined) =>
    value === undefined ? null : (
      <Text wrap="truncate">
        <Text color={color('gray')}>{label.padEnd(10)}</Text>
        {value}
      </Text>
    );
  const field =
    step === 'plan' ? (
      <PlanView
        planned={planned}
        width={width - 4}
        height={height - 10}
        onSubmit={(p) => onSubmit(req as DeployRequest, p)}
        onCancel={onCancel}
      />
    ) : (
      formField(step, { hostname, catalog, req, answer, setProblem, color })
    );

  return (
    <Box flexDirection="column" width={width} borderStyle="round" paddingX={1}>
      <Text bold color={color('yellow')}>
        Deploy on {hostname}
      </Text>
      {chosen('offering', req.offering)}
      {chosen('template', req.template)}
      {chosen('networks', req.networks?.join(', '))}
      {chosen('name', req.name)}
      {step === 'plan' ? chosen('user data', req.userDataPath ?? 'none') : null}
      {step !== 'plan' ? <Text bold>{step === 'userData' ? 'user data' : step}</Text> : null}
      <Box key={step} flexDirection="column">
        {field}
      </Box>
      {problem ? <Text color={color('red')}>{problem}</Text> : null}
      <Text color={color('gray')}>esc cancels</Text>
    </Box>
  );
}

/** The plan of the request while `active` (made again each time it becomes active); a failure goes to `onFail`. */
function usePlanned(
  active: boolean,
  req: Partial<DeployRequest>,
  plan: DeployFormProps['plan'],
  onFail: (reason: string) => void,
): Planned {
  const [planned, setPlanned] = useState<Planned>('loading');
  useEffect(() => {
    if (!active) return;
    let live = true;
    setPlanned('loading');
    plan(req as DeployRequest).then(
      (steps) => live && setPlanned(steps),
      (err: unknown) => {
        if (!live) return;
        onFail(err instanceof Error ? err.message : String(err));
      },
    );
    return () => {
      live = false;
    };
  }, [active]);
  return planned;
}

interface FieldContext {
  hostname: string;
  catalog: CatalogSnapshot | undefined;
  req: Partial<DeployRequest>;
  /** Takes an answer: the request changed, the problem cleared, on to `next`. */
  answer(next: Step, change: (r: Partial<DeployRequest>) => Partial<DeployRequest>): void;
  setProblem(problem: string | null): void;
  color: ReturnType<typeof useColor>;
}

/** The question the form asks at `step`. */
function formField(step: Exclude<Step, 'plan'>, c: FieldContext) {
  switch (step) {
    case 'offering':
      return offeringField(c);
    case 'template': {
      const templates = c.catalog?.templates ?? [];
      if (templates.length === 0) return <Text color={c.color('red')}>no templates in the catalog</Text>;
      return (
        <PickList
          options={templates.map((t) => ({ label: `${t.name}  ${t.image}`, value: t.name }))}
          onPick={(template) => c.answer('networks', (r) => ({ ...r, template }))}
        />
      );
    }
    case 'networks':
      return networksField(c);
    case 'name':
      return (
        <Box>
          <Text>instance name: </Text>
          <TextInput
            placeholder={`${c.hostname}-vm`}
            onSubmit={(value) => {
              const name = value.trim() || `${c.hostname}-vm`;
              if (!INSTANCE_NAME.test(name)) return c.setProblem('letters, digits and "-", at most 63');
              c.answer('userData', (r) => ({ ...r, name }));
            }}
          />
        </Box>
      );
    case 'userData':
      return (
        <Box>
          <Text>user-data file (enter for none): </Text>
          <TextInput
            {...(c.req.userDataPath !== undefined && { defaultValue: c.req.userDataPath })}
            onSubmit={(value) => {
              const path = value.trim();
              c.answer('plan', (r) => {
                const { userDataPath: _old, ...rest } = r;
                return path ? { ...rest, userDataPath: path } : rest;
              });
            }}
          />
        </Box>
      );
  }
}

function offeringField({ hostname, catalog, answer, color }: FieldContext) {
  // The planner matches an offering exactly against the host: offer only those this host fits
  // (all of them when the host's dimensions are not known to the catalog).
  const host = catalog?.hosts.find((h) => h.hostname === hostname);
  const offerings = (catalog?.offerings ?? []).filter(
    (o) =>
      !host || (o.cpuCores === host.cpuCores && o.cpuMhz === host.cpuMhz && o.memoryMb === host.memoryMb),
  );
  if (offerings.length === 0)
    return (
      <Text color={color('red')}>
        {host
          ? `no offering fits ${hostname} (${host.cpuCores} cores, ${host.cpuMhz} MHz, ${host.memoryMb} MB): add one with \`rackpilot offering add\``
          : 'no offerings in the catalog'}
      </Text>
    );
  return (
    <PickList
      options={offerings.map((o) => ({
        label: `${o.name}  ${o.cpuCores} cores ${o.cpuMhz} MHz ${Math.round(o.memoryMb / 1024)} GiB`,
        value: o.name,
      }))}
      onPick={(offering) => answer('template', (r) => ({ ...r, offering }))}
    />
  );
}

function networksField({ catalog, answer, setProblem, color }: FieldContext) {
  const networks = catalog?.networks ?? [];
  if (networks.length === 0) return <Text color={color('red')}>no networks in the catalog</Text>;
  return (
    <Box flexDirection="column">
      <Text color={color('gray')}>
        space picks (the first picked is the default, untagged), enter goes on
      </Text>
      <PickList
        options={networks.map((n) => ({ label: `${n.name}  VLAN ${n.vlan}`, value: n.name }))}
        multi={{
          onSubmit: (picked) => {
            if (picked.length === 0) return setProblem('pick at least one network');
            answer('name', (r) => ({ ...r, networks: picked }));
          },
        }}
      />
    </Box>
  );
}

function PlanView({
  planned,
  width,
  height,
  onSubmit,
  onCancel,
}: {
  planned: Planned;
  width: number;
  height: number;
  onSubmit: (planned: DeployPlan) => void;
  onCancel: () => void;
}) {
  const color = useColor();
  if (planned === 'loading') return <Text color={color('gray')}>planning…</Text>;
  if ('error' in planned) return <Text color={color('red')}>cannot plan: {planned.error}</Text>;
  const actions = planned.steps.reduce((n, s) => n + s.actions.length, 0);
  return (
    <Box flexDirection="column">
      <Text bold>
        plan: {planned.steps.length} steps, {actions} actions
      </Text>
      {/* Every step with its exact actions, and the state read just before; ↑↓ j/k scroll. */}
      <ScrolledLines lines={planLines([planned])} room={Math.max(3, height - 2)} width={width} keysToo />
      <Box>
        <Text>Deploy? </Text>
        <ConfirmInput defaultChoice="cancel" onConfirm={() => onSubmit(planned)} onCancel={onCancel} />
      </Box>
    </Box>
  );
}
