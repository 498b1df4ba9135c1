import { LabMaasCore, LabMaasError } from './maas-core.ts';
import { API_PREFIX } from './maas-json.ts';

/**
 * The lab MaaS's API surface: each request (method, path below /api/2.0/, op, query, form) to the
 * core's answer, or MaaS's own refusal of a signature it does not know.
 */

export interface ApiRequest {
  method: string;
  path: string;
  op: string | null;
  q: URLSearchParams;
  form: URLSearchParams;
}

/** The answer: an object or JSON text; undefined answers 204. */
export async function route(core: LabMaasCore, listCostMs: number, r: ApiRequest): Promise<unknown> {
  const { method, path, op, q } = r;
  if (path === 'version/' && method === 'GET') {
    return {
      capabilities: ['networks-management', 'static-ipaddresses', 'authenticate-api', 'devices-management'],
      version: '3.4.0 (rackpilot lab)',
      subversion: 'lab',
    };
  }
  if (path === 'users/' && method === 'GET' && op === 'whoami') {
    return {
      username: core.username,
      email: `${core.username}@example.com`,
      is_local: true,
      is_superuser: true,
    };
  }
  if (path === 'machines/') return machinesRoute(core, listCostMs, r);
  let m: RegExpExecArray | null;
  if ((m = /^machines\/([a-z0-9]+)\/$/.exec(path))) return machineRoute(core, m[1]!, r);
  if ((m = /^nodes\/([a-z0-9]+)\/interfaces\/$/.exec(path))) {
    const machine = core.get(m[1]!);
    if (method === 'GET' && !op) return machine.interfaces.map((i) => core.interfaceObject(machine, i));
    if (method === 'POST' && op === 'create_bond') {
      return core.interfaceObject(machine, core.createBond(machine, r.form));
    }
    throw badOp(method, op);
  }
  if ((m = /^nodes\/([a-z0-9]+)\/interfaces\/(\d+)\/$/.exec(path)))
    return interfaceRoute(core, m[1]!, Number(m[2]), r);
  if ((m = /^nodes\/([a-z0-9]+)\/results\/current-installation\/$/.exec(path))) {
    if (method !== 'GET' || op) throw badOp(method, op);
    const include = /^(1|true|yes|on)$/i.test(q.get('include_output') ?? '');
    return core.installationResults(core.get(m[1]!), include);
  }
  if (path === 'boot-resources/' && method === 'GET' && !op) return core.bootResources();
  if (path === 'subnets/' && method === 'GET' && !op) return core.subnetList();
  if (path === 'events/' && method === 'GET') {
    if (op !== 'query') throw badOp(method, op);
    return core.queryEvents(q);
  }
  throw new LabMaasError(404, `Unknown API endpoint: ${API_PREFIX}${path}`);
}

function badOp(method: string, op: string | null): LabMaasError {
  return new LabMaasError(400, `Unrecognised signature: method=${method} op=${op ?? 'None'}`);
}

/** machines/: the list, a new machine, an allocation. */
async function machinesRoute(
  core: LabMaasCore,
  listCostMs: number,
  { method, op, q, form }: ApiRequest,
): Promise<unknown> {
  if (method === 'GET' && !op) {
    const body = core.listJson(q);
    // What a region spends building the list, per machine in it (a setting: 0 in tests).
    if (listCostMs > 0) await new Promise((r) => setTimeout(r, core.list(q).length * listCostMs));
    return body;
  }
  if (method === 'POST' && !op) return core.machineJson(core.create(form));
  if (method === 'POST' && op === 'allocate') return core.machineJson(core.allocate(form));
  throw badOp(method, op);
}

/** machines/{id}/: read, update, delete, and the machine's actions. */
async function machineRoute(
  core: LabMaasCore,
  systemId: string,
  { method, op, form }: ApiRequest,
): Promise<unknown> {
  const machine = core.get(systemId);
  if (method === 'GET') {
    if (!op) return core.machineJson(machine);
    if (op === 'query_power_state') return { state: await core.queryPowerState(machine) };
    if (op === 'power_parameters') return machine.powerParameters;
    throw badOp(method, op);
  }
  if (method === 'PUT' && !op) return core.machineJson(core.update(machine, form));
  if (method === 'DELETE' && !op) {
    core.delete(machine);
    return undefined;
  }
  if (method !== 'POST') throw new LabMaasError(405, 'Method not allowed');
  const comment = form.get('comment');
  switch (op) {
    case 'deploy':
      return core.machineJson(core.deploy(machine, form));
    case 'set_owner_data':
      return core.machineJson(core.setOwnerData(machine, form));
    case 'release':
      return core.machineJson(core.release(machine, form));
    case 'abort':
      return core.machineJson(core.abort(machine, comment));
    case 'commission':
      return core.machineJson(core.commission(machine));
    case 'mark_broken':
      return core.machineJson(core.markBroken(machine, comment));
    case 'mark_fixed':
      return core.machineJson(core.markFixed(machine, comment));
    case 'power_on':
      return core.machineJson(core.powerOn(machine));
    case 'power_off':
      return core.machineJson(core.powerOff(machine));
    default:
      throw badOp(method, op);
  }
}

/** nodes/{id}/interfaces/{n}/: read, update, delete, link, unlink, disconnect. */
function interfaceRoute(
  core: LabMaasCore,
  systemId: string,
  n: number,
  { method, op, form }: ApiRequest,
): unknown {
  const machine = core.get(systemId);
  const iface = core.iface(machine, n);
  if (method === 'GET' && !op) return core.interfaceObject(machine, iface);
  if (method === 'PUT' && !op)
    return core.interfaceObject(machine, core.updateInterface(machine, iface, form));
  if (method === 'DELETE' && !op) {
    core.deleteInterface(machine, iface);
    return undefined;
  }
  if (method === 'POST' && op === 'link_subnet')
    return core.interfaceObject(machine, core.linkSubnet(machine, iface, form));
  if (method === 'POST' && op === 'unlink_subnet') {
    return core.interfaceObject(machine, core.unlinkSubnet(machine, iface, form));
  }
  if (method === 'POST' && op === 'disconnect')
    return core.interfaceObject(machine, core.disconnect(machine, iface));
  throw badOp(method, op);
}
