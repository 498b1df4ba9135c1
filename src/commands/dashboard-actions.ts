import type { DashboardActions, DeployRequest, InstanceTarget } from '../../components/actions.ts';
import type { RunnerClient } from '../runner/client.ts';
import { OperatorError } from '../util/errors.ts';
import { readUserData } from './user-data.ts';

/**
 * The dashboard's keys as runner requests: each returns as soon as the runner has journaled the
 * task (or refused it, naming why); progress arrives through the task feed like any task's.
 */
export function runnerActions(runner: RunnerClient): DashboardActions {
  const createRequest = (r: DeployRequest) => ({
    name: r.instanceName,
    offering: r.offering,
    template: r.template,
    networks: r.networks,
    host: r.hostname,
    ...(r.userDataPath && { userData: readUserData(r.userDataPath) }),
  });
  const instanceOf = (t: InstanceTarget): string => {
    if (!t.instance) throw new OperatorError(`no instance runs on ${t.hostname}`);
    return t.instance;
  };
  const action = async (
    verb: 'start' | 'stop' | 'destroy' | 'attach' | 'detach',
    t: InstanceTarget,
    network?: string,
  ) => runner.call('instance.action', { verb, instance: instanceOf(t), ...(network && { network }) });
  return {
    addHost: async (r) => {
      if (r.cpuCores === undefined || r.cpuMhz === undefined || r.memoryMb === undefined)
        throw new OperatorError(`${r.hostname}: give its cores, MHz and memory (MaaS does not know it yet)`);
      const added = await runner.call('host.add', {
        hostname: r.hostname,
        ...(r.macs[0] && { mac: r.macs[0] }),
        cores: r.cpuCores,
        mhz: r.cpuMhz,
        memory: r.memoryMb,
        ...(r.rack && { rack: r.rack }),
      });
      return { taskId: added.taskId! };
    },
    plan: async (r) => (await runner.call('instance.plan', createRequest(r))).plan,
    deploy: async (r) => ({ taskId: (await runner.call('instance.create', createRequest(r))).taskId }),
    start: (t) => action('start', t),
    stop: (t) => action('stop', t),
    destroy: (t) => action('destroy', t),
    attachNetwork: (t, n) => action('attach', t, n),
    detachNetwork: (t, n) => action('detach', t, n),
    power: (t, op) => runner.call('host.power', { host: t.hostname, action: op }),
    bootDevice: (t, device) => runner.call('host.bootdev', { host: t.hostname, device, persistent: true }),
    abortDeployment: (t) => runner.call('host.maas', { host: t.hostname, op: 'abort' }),
    markBroken: (t, reason) =>
      runner.call('host.maas', { host: t.hostname, op: 'mark-broken', ...(reason && { comment: reason }) }),
    markFixed: (t) => runner.call('host.maas', { host: t.hostname, op: 'mark-fixed' }),
    resumeTask: (id) => runner.call('task.resume', { id }),
    rollbackTask: (id) => runner.call('task.rollback', { id }),
    cancelTask: async (id) => ({ taskId: (await runner.call('task.cancel', { id })).id }),
    doctor: (host) => runner.call('host.doctor', { host }),
    fix: (host, fix, taskId) => runner.call('host.fix', { host, fix, ...(taskId && { taskId }) }),
    inspect: (host) => runner.call('host.inspect', { host }),
    reconcile: (host) => runner.call('host.reconcile', { host }),
    cabling: (rack) => runner.call('rack.cabling', { rack }),
  };
}
