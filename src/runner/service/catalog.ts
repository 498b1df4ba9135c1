import { OperatorError } from '../../util/errors.ts';
import { imageMatches } from '../workflows/instance-create.ts';
import { addHostRecord, addHostSteps, refuseKnown } from './add-host.ts';
import { actionPlanner } from './plans.ts';
import type { Host } from '../../protocol/records.ts';
import { MISSING_PLAN, type Result } from '../../protocol/messages.ts';
import { startFor, type Handlers, type ServiceContext } from './context.ts';

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
export function catalogHandlers(ctx: ServiceContext): Handlers {
  const { site, wb } = ctx;
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
    ...hostHandlers(ctx),
    ...templateHandlers(ctx),
    ...offeringHandlers(ctx),
    ...networkHandlers(ctx),
  };
}

/** Adding a host (planned, confirmed, then its task) and removing one no task or instance holds. */
function hostHandlers({ site, wb }: ServiceContext): Handlers {
  const { store } = wb;
  return {
    'host.add': async ({ plan, confirmed, follow, ...req }, caller) => {
      const record = await addHostRecord({ site }, req);
      if (plan) return { hostId: 'host-planned', plan: await addHostSteps({ wb }, record) };
      refuseKnown({ wb }, record);
      if (confirmed === undefined)
        throw new OperatorError(`host.add: confirmed: ${MISSING_PLAN}`, { target: req.hostname });
      // The confirmed add: planned again and compared; its lines are journaled with the steps.
      const shown = await actionPlanner({ site, wb }).confirm({ action: 'host-add', ...req }, confirmed);
      const host = await store.hosts.insert(record);
      try {
        const target = { hostId: host.id, hostname: host.hostname };
        const started = await startFor(caller, { follow }, (opts) =>
          wb.engine.start('host.add', target, { hostId: host.id }, { plan: shown.steps, ...opts }),
        );
        return { hostId: host.id, ...started };
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
  };
}

function templateHandlers({ site, wb }: ServiceContext): Handlers {
  const { store } = wb;
  return {
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
  };
}

function offeringHandlers({ wb }: ServiceContext): Handlers {
  const { store } = wb;
  return {
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
  };
}

function networkHandlers({ site, wb }: ServiceContext): Handlers {
  const { store } = wb;
  return {
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
