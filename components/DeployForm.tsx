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

/** Deploy: offering, template, networks, instance name, user data; then the plan, then y to deploy. */
export function DeployForm({ hostname, catalog, plan, onSubmit, onCancel, width, height }: DeployFormProps) {
  const color = useColor();
  const [step, setStep] = useState<Step>('offering');
  const [req, setReq] = useState<Partial<DeployRequest>>({ host: hostname });
  const [problem, setProblem] = useState<string | null>(null);
  const [planned, setPlanned] = useState<DeployPlan | 'loading' | { error: string }>('loading');
  useInput((_input, key) => {
    if (key.escape) onCancel();
  });

  useEffect(() => {
    if (step !== 'plan') return;
    let live = true;
    setPlanned('loading');
    plan(req as DeployRequest).then(
      (steps) => live && setPlanned(steps),
      (err: unknown) => {
        if (!live) return;
        // The form stays, its answers kept: back to the last field (a user-data path that does
        // not exist is the usual cause), the reason under it; enter plans again.
        setProblem(`cannot plan: ${err instanceof Error ? err.message : String(err)}`);
        setStep('userData');
      },
    );
    return () => {
      live = false;
    };
  }, [step]);

  // The planner matches an offering exactly against the host: offer only those this host fits
  // (all of them when the host's dimensions are not known to the catalog).
  const host = catalog?.hosts.find((h) => h.hostname === hostname);
  const offerings = (catalog?.offerings ?? []).filter(
    (o) =>
      !host || (o.cpuCores === host.cpuCores && o.cpuMhz === host.cpuMhz && o.memoryMb === host.memoryMb),
  );
  const templates = catalog?.templates ?? [];
  const networks = catalog?.networks ?? [];
  const chosen = (label: string, value: string | undefined) =>
    value === undefined ? null : (
      <Text wrap="truncate">
        <Text color={color('gray')}>{label.padEnd(10)}</Text>
        {value}
      </Text>
    );
  const field = (() => {
    switch (step) {
      case 'offering':
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
            onPick={(offering) => {
              setReq((r) => ({ ...r, offering }));
              setStep('template');
            }}
          />
        );
      case 'template':
        if (templates.length === 0) return <Text color={color('red')}>no templates in the catalog</Text>;
        return (
          <PickList
            options={templates.map((t) => ({ label: `${t.name}  ${t.image}`, value: t.name }))}
            onPick={(template) => {
              setReq((r) => ({ ...r, template }));
              setStep('networks');
            }}
          />
        );
      case 'networks':
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
                  setProblem(null);
                  setReq((r) => ({ ...r, networks: picked }));
                  setStep('name');
                },
              }}
            />
          </Box>
        );
      case 'name':
        return (
          <Box>
            <Text>instance name: </Text>
            <TextInput
              placeholder={`${hostname}-vm`}
              onSubmit={(value) => {
                const name = value.trim() || `${hostname}-vm`;
                if (!INSTANCE_NAME.test(name)) return setProblem('letters, digits and "-", at most 63');
                setProblem(null);
                setReq((r) => ({ ...r, name }));
                setStep('userData');
              }}
            />
          </Box>
        );
      case 'userData':
        return (
          <Box>
            <Text>user-data file (enter for none): </Text>
            <TextInput
              {...(req.userDataPath !== undefined && { defaultValue: req.userDataPath })}
              onSubmit={(value) => {
                const path = value.trim();
                setProblem(null);
                setReq((r) => {
                  const { userDataPath: _old, ...rest } = r;
                  return path ? { ...rest, userDataPath: path } : rest;
                });
                setStep('plan');
              }}
            />
          </Box>
        );
      case 'plan':
        return (
          <PlanView
            planned={planned}
            width={width - 4}
            height={height - 10}
            onSubmit={(p) => onSubmit(req as DeployRequest, p)}
            onCancel={onCancel}
          />
        );
    }
  })();

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

function PlanView({
  planned,
  width,
  height,
  onSubmit,
  onCancel,
}: {
  planned: DeployPlan | 'loading' | { error: string };
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
