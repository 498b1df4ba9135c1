import { OperatorError } from '../../util/errors.ts';
import { registerSecret } from '../../util/redact.ts';
import { resolveBmcPassword } from '../../config/rack/passwords.ts';
import { hostBmcFields, type BmcFields } from '../site/bmc-target.ts';
import { maasBmc } from '../site/bmc-resolve.ts';
import type { BmcSource } from '../../protocol/records.ts';
import { imageMatches } from '../workflows/instance-create.ts';
import { planWorkflowLive } from '../workflows/index.ts';
import type { Host } from '../../protocol/records.ts';
import type { Result } from '../../protocol/messages.ts';
import { withDraft } from './draft.ts';
import type { Handlers, ServiceContext } from './context.ts';

/** The store record's fields of a BMC MaaS gave, beside address, port, user and password. */
function maasRecordFields(f: BmcFields) {
  return {
    ...(f.protocol === 'redfish' && { protocol: 'redfish' as const, scheme: f.scheme ?? 'https' }),
    ...(f.systemId !== undefined && { systemId: f.systemId }),
    ...(f.cipherSuite !== undefined && { cipherSuite: f.cipherSuite }),
    ...(f.privilege !== undefined && { privilege: f.privilege }),
  };
}

/** A host record without its IPMI password, with the instance it runs. */
export function publicHost(h: Host, instance: string | null): Result<'hosts.list'>[number] {
  const { password: _password, ...ipmi } = h.ipmi;
  return { ...h, ipmi, instance };
}

function byNameOrId<T extends { id: string; name: string }>(rows: readonly T[], key: string): T | undefined {
  return rows.find((x) => x.name === key || x.id === key);
}

/**
 * Catalog reads and edits: hosts, templates, offerings, networks. Edits that another record still
 * uses are refused naming the user, as the CLI always did; the store is the runner's alone.
 */
export function catalogHandlers({ site, wb }: ServiceContext): Handlers {
  const { store } = wb;
  // One pass over the instances per read, not one search per host.
  const publicHosts = () => {
    const on = new Map(store.instances.list().map((i) => [i.hostId, i.name]));
    return store.hosts.list().map((h) => publicHost(h, on.get(h.id) ?? null));
  };
  return {
    'hosts.list': async () => publicHosts(),
    'catalog.snapshot': async () => ({
      hosts: publicHosts(),
      templates: store.templates.list(),
      offerings: store.offerings.list(),
      networks: store.networks.list(),
      instances: store.instances.list().map(({ userData: _u, ...i }) => i),
      eraseMode: site.config.eraseMode,
    }),

    'host.add': async (p) => {
      const hostname = p.hostname.toLowerCase();
      const rackHost = site.topology.host(hostname);
      const rackMacs = rackHost?.nics.map((n) => n.mac) ?? [];
      const mac = p.mac ?? rackMacs[0];
      if (!mac) {
        throw new OperatorError(
          `no MAC given for ${hostname}, and the rack file has no entry with that hostname`,
          {
            hint: 'pass --mac MAC (the host MAC, as the seed asks)',
          },
        );
      }
      if (rackHost && !rackMacs.includes(mac)) {
        throw new OperatorError(
          `MAC ${mac} is not a NIC of ${hostname} in the rack file (it lists ${rackMacs.join(', ')})`,
          {
            hint: "give one of the rack file's MACs for this host, or correct the rack file",
            target: hostname,
          },
        );
      }
      const macs = [...new Set([mac, ...site.topology.nicsForMacs([mac]).map((n) => n.mac), ...rackMacs])];
      const bmc = rackHost?.bmc;
      // No BMC in the rack file and none given: MaaS's power parameters, when it knows the machine.
      const maas = !p.ipmi && !bmc ? await maasBmc(site, hostname) : undefined;
      if (maas && 'error' in maas)
        throw new OperatorError(
          `no bmc for ${hostname} in the rack file, and MaaS's cannot be used: ${maas.error}`,
          {
            target: hostname,
            hint: 'add a bmc entry to the rack file, or pass --ipmi HOST[:PORT] and --ipmi-user USER',
          },
        );
      const fromMaas = maas?.fields;
      const address = p.ipmi?.address ?? bmc?.address ?? fromMaas?.address;
      const port = p.ipmi ? p.ipmi.port : (bmc?.port ?? fromMaas?.port);
      if (!address)
        throw new OperatorError(`no BMC address for ${hostname}`, {
          hint: 'pass --ipmi HOST[:PORT] or add a bmc entry to the rack file (MaaS has no machine of that name)',
        });
      const username = p.ipmiUser ?? bmc?.username ?? fromMaas?.username;
      if (username === undefined)
        throw new OperatorError(`no IPMI user for ${hostname}`, { hint: 'pass --ipmi-user USER' });
      const password =
        p.ipmiPassword ??
        (bmc ? resolveBmcPassword(bmc, hostname, site.env) : undefined) ??
        fromMaas?.password;
      if (!password) {
        throw new OperatorError(`no IPMI password for ${hostname}`, {
          hint: 'set RACKPILOT_IPMI_PASSWORD, pipe it with --ipmi-password-stdin, or reference it from the rack file (bmc.passwordEnv); never on the command line',
        });
      }
      registerSecret(password);
      const source: BmcSource = p.ipmi ? 'command line' : bmc ? 'rack file' : 'MaaS';
      const record = {
        hostname,
        mac,
        macs,
        ipmi: {
          address,
          ...(port !== undefined && { port }),
          username,
          password,
          // The rack file's protocol and its Redfish fields, unless --ipmi named another BMC.
          ...(!p.ipmi && bmc && hostBmcFields(bmc)),
          // MaaS's protocol, Redfish fields and IPMI session settings.
          ...(fromMaas && maasRecordFields(fromMaas)),
          source,
        },
        cpuCores: p.cores,
        cpuMhz: p.mhz,
        memoryMb: p.memory,
        ...(p.rack && { rack: p.rack }),
      };
      if (p.plan) {
        const draft = { ...record, id: 'host-planned', addedAt: new Date().toISOString() };
        const plan = await planWorkflowLive(withDraft(wb.deps, 'hosts', draft), 'host.add', {
          hostId: draft.id,
        });
        return { hostId: draft.id, plan };
      }
      if (store.hosts.find((h) => h.hostname === hostname || h.mac === mac)) {
        throw new OperatorError(`host ${hostname} (or MAC ${mac}) is already in the local store`, {
          hint: '`rackpilot host ls`',
        });
      }
      const host = await store.hosts.insert(record);
      try {
        const taskId = await wb.engine.start('host.add', { hostId: host.id, hostname }, { hostId: host.id });
        return { hostId: host.id, taskId };
      } catch (err) {
        await store.hosts.remove(host.id);
        throw err;
      }
    },

    'host.remove': async ({ host: key }) => {
      const host = store.hosts.find((h) => h.hostname === key || h.id === key);
      if (!host)
        throw new OperatorError(`no host ${key} in the local store`, { hint: '`rackpilot host ls`' });
      const inst = store.instances.find((i) => i.hostId === host.id);
      if (inst) {
        throw new OperatorError(`host ${host.hostname} runs instance ${inst.name}`, {
          target: host.hostname,
          hint: `destroy it first: \`rackpilot destroy ${inst.name}\``,
        });
      }
      const busy = wb.engine.holderOf({ hostId: host.id });
      if (busy)
        throw new OperatorError(`task ${busy} is working on ${host.hostname}`, { target: host.hostname });
      await store.hosts.remove(host.id);
      return { removed: host.hostname, maasSystemId: host.maasSystemId ?? null };
    },

    'templates.list': async () => store.templates.list(),
    'template.add': async (p) => {
      if (byNameOrId(store.templates.list(), p.name))
        throw new OperatorError(`a template named ${p.name} exists`, { hint: '`rackpilot template ls`' });
      const images = await site.maas.listBootResources();
      if (!images.some((r) => imageMatches(r.name, p.image))) {
        throw new OperatorError(`MaaS has no boot image ${p.image}`, {
          hint: `MaaS has: ${[...new Set(images.map((r) => r.name))].join(', ')}; import the image in MaaS first`,
        });
      }
      return store.templates.insert({
        name: p.name,
        image: p.image,
        ...(p.description && { description: p.description }),
      });
    },
    'template.remove': async ({ name }) => {
      const t = byNameOrId(store.templates.list(), name);
      if (!t) throw new OperatorError(`no template ${name}`, { hint: '`rackpilot template ls`' });
      const user = store.instances.find((i) => i.templateId === t.id);
      if (user)
        throw new OperatorError(`template ${name} is used by instance ${user.name}`, {
          hint: 'destroy the instance first',
        });
      await store.templates.remove(t.id);
      return {};
    },

    'offerings.list': async () => store.offerings.list(),
    'offering.add': async (p) => {
      if (byNameOrId(store.offerings.list(), p.name))
        throw new OperatorError(`an offering named ${p.name} exists`, { hint: '`rackpilot offering ls`' });
      return store.offerings.insert({ name: p.name, cpuCores: p.cores, cpuMhz: p.mhz, memoryMb: p.memory });
    },
    'offering.remove': async ({ name }) => {
      const o = byNameOrId(store.offerings.list(), name);
      if (!o) throw new OperatorError(`no offering ${name}`, { hint: '`rackpilot offering ls`' });
      const user = store.instances.find((i) => i.offeringId === o.id);
      if (user)
        throw new OperatorError(`offering ${name} is used by instance ${user.name}`, {
          hint: 'destroy the instance first',
        });
      await store.offerings.remove(o.id);
      return {};
    },

    'networks.list': async () => ({
      networks: store.networks.list(),
      pxeVlans: site.topology.switches().map((s) => ({ switch: s.name, pxeVlan: s.pxeVlan ?? null })),
    }),
    'network.add': async (p) => {
      if (byNameOrId(store.networks.list(), p.name))
        throw new OperatorError(`a network named ${p.name} exists`, { hint: '`rackpilot network ls`' });
      const pxe = site.topology.switches().filter((s) => s.pxeVlan === p.vlan);
      if (pxe.length) {
        throw new OperatorError(`VLAN ${p.vlan} is the PXE VLAN of ${pxe.map((s) => s.name).join(', ')}`, {
          hint: "a tenant network on MaaS's PXE VLAN would put instances on the provisioning network",
        });
      }
      return store.networks.insert({
        name: p.name,
        vlan: p.vlan,
        ...(p.description && { description: p.description }),
      });
    },
    'network.remove': async ({ name }) => {
      const n = byNameOrId(store.networks.list(), name);
      if (!n) throw new OperatorError(`no network ${name}`, { hint: '`rackpilot network ls`' });
      const user = store.instances.find((i) => i.networkIds.includes(n.id));
      if (user)
        throw new OperatorError(`network ${name} is used by instance ${user.name}`, {
          hint: `detach it first: \`rackpilot detach ${user.name} ${name}\``,
        });
      await store.networks.remove(n.id);
      return {};
    },
  };
}
