import type { ActionRequest, DashboardActions, DeployRequest, TaskRef } from '../../components/actions.ts';
import type { RunnerClient } from '../client/runner-client.ts';
import { OperatorError } from '../util/errors.ts';
import { readUserData } from './user-data.ts';

/**
 * The dashboard's keys as runner requests: each returns as soon as the runner has journaled the
 * task (or refused it, naming why); progress arrives through the task feed like any task's.
 */
export function runnerActions(runner: RunnerClient): DashboardActions {
  const createRequest = ({ userDataPath, ...r }: DeployRequest) => ({
    ...r,
    ...(userDataPath && { userData: readUserData(userDataPath) }),
  });
  return {
    // async: a user-data file that cannot be read is a refused plan (the form stays), not a throw.
    plan: async (r) => runner.call('instance.plan', createRequest(r)),
    deploy: async (r, confirmed) => {
      const req = { ...createRequest(r), mac: confirmed.mac, plan: confirmed.digest };
      return { taskId: (await runner.call('instance.create', req)).taskId };
    },
    planAction: (req) => runner.call('action.plan', req),
    runAction: (req, digest) => startAction(runner, req, digest),
    doctor: (host) => runner.call('host.doctor', { host }),
    inspect: (host) => runner.call('host.inspect', { host }),
    cabling: (rack) => runner.call('rack.cabling', { rack }),
    triage: () => runner.call('site.triage', {}),
  };
}

/** A confirmed change as the start request the runner takes, carrying its plan's digest. */
async function startAction(runner: RunnerClient, req: ActionRequest, plan: string): Promise<TaskRef> {
  switch (req.action) {
    case 'power':
      return runner.call('host.power', { host: req.host, action: req.op, plan });
    case 'bootdev': {
      const { action: _a, ...rest } = req;
      return runner.call('host.bootdev', { ...rest, plan });
    }
    case 'maas': {
      const { action: _a, ...rest } = req;
      return runner.call('host.maas', { ...rest, plan });
    }
    case 'instance': {
      const { action: _a, ...rest } = req;
      return runner.call('instance.action', { ...rest, plan });
    }
    case 'fix': {
      const { action: _a, ...rest } = req;
      return runner.call('host.fix', { ...rest, plan });
    }
    case 'reconcile':
      return runner.call('host.reconcile', { host: req.host, plan });
    case 'resume':
      return runner.call('task.resume', { id: req.task, plan });
    case 'rollback':
      return runner.call('task.rollback', { id: req.task, plan });
    case 'cancel':
      return { taskId: (await runner.call('task.cancel', { id: req.task, plan })).id };
    case 'host-add': {
      const { action: _a, ...rest } = req;
      const added = await runner.call('host.add', { ...rest, confirmed: plan });
      if (!added.taskId) throw new OperatorError(`${req.hostname}: the runner started no task`);
      return { taskId: added.taskId };
    }
  }
}
