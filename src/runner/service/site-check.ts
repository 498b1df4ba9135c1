import pLimit from 'p-limit';
import { resolveBmcPassword } from '../../config/rack/passwords.ts';
import { switchTargetInput } from '../../config/rack/switch-target.ts';
import { ipmiTargetFor } from '../site/adapters.ts';
import type { IpmiTarget } from '../../gear/ipmi/index.ts';
import { SwitchError } from '../../gear/switch/errors.ts';
import { describeError } from '../../util/errors.ts';
import { imageMatches } from '../workflows/instance-create.ts';
import {
  failed as fail,
  passed as pass,
  skipped as skip,
  type SiteCheck,
} from '../../protocol/check-result.ts';
import type { Handlers, ServiceContext } from './context.ts';

/**
 * `site.check`: everything a new site needs of its gear, tried in order, read-only: MaaS (reachable,
 * the key, admin rights, boot images), each switch (login, host key, dialect, PXE VLAN), the BMCs
 * (a sample, or all) and etcd. Each result says what to do when it fails. Nothing here changes
 * anything: only reads are sent.
 */

/** BMCs read by default: the first of each rack, at most this many. */
export const BMC_SAMPLE = 8;

async function checkMaas(ctx: ServiceContext): Promise<SiteCheck[]> {
  const { maas } = ctx.site;
  const out: SiteCheck[] = [];
  try {
    const v = await maas.version();
    out.push(pass('maas.reachable', 'MaaS answers', `MaaS ${v.version} at ${ctx.site.label}`));
  } catch (err) {
    out.push(
      fail(
        'maas.reachable',
        'MaaS answers',
        describeError(err),
        'check MAAS_URL (e.g. http://10.0.0.1:5240/MAAS) and that this jump host reaches it',
      ),
    );
    return [...out, skip('maas.key', 'the API key is valid', 'MaaS did not answer')];
  }
  let user;
  try {
    user = await maas.whoami();
    out.push(pass('maas.key', 'the API key is valid', `it belongs to ${user.username}`));
  } catch (err) {
    out.push(
      fail(
        'maas.key',
        'the API key is valid',
        describeError(err),
        'set MAAS_API_KEY to a key of an administrator: `sudo maas apikey --username USER` on the region',
      ),
    );
    return out;
  }
  // Adding machines, setting their power parameters and releasing others' deployments need an admin.
  out.push(
    user.is_superuser
      ? pass('maas.admin', 'the key has admin rights', `${user.username} is an administrator`)
      : fail(
          'maas.admin',
          'the key has admin rights',
          `${user.username} is not an administrator: adding hosts and setting their BMCs would be refused`,
          `make ${user.username} an administrator in MaaS (Settings → Users), or use an administrator's key`,
        ),
  );
  try {
    const names = [...new Set((await maas.listBootResources()).map((r) => r.name))];
    const missing = ctx.wb.store.templates
      .list()
      .filter((t) => !names.some((n) => imageMatches(n, t.image)))
      .map((t) => t.image);
    if (!names.length)
      out.push(
        fail(
          'maas.images',
          'boot images are present',
          'MaaS has no boot images: nothing can commission or deploy',
          'import images in MaaS (Images, or `maas ADMIN boot-resources import`) and wait for the sync',
        ),
      );
    else if (missing.length)
      out.push(
        fail(
          'maas.images',
          'boot images are present',
          `templates name images MaaS does not have: ${missing.join(', ')} (it has ${names.join(', ')})`,
          'import those images in MaaS, or fix the templates (`rackpilot template ls`)',
        ),
      );
    else out.push(pass('maas.images', 'boot images are present', names.join(', ')));
  } catch (err) {
    out.push(fail('maas.images', 'boot images are present', describeError(err), 'see the error above'));
  }
  return out;
}

const SWITCH_FIX: Record<string, string> = {
  unreachable: "check the switch's ip and sshPort in the rack file, and that this jump host reaches it",
  timeout: "check the switch's ip and sshPort in the rack file, and that this jump host reaches it",
  auth: 'check the username and the password variable (passwordEnv) of the switch in the rack file',
  hostkey:
    'if the switch was replaced, check its fingerprint and update RACKPILOT_KNOWN_HOSTS (or hostKey in the rack file)',
  cli: 'check the switch "type" in the rack file (Force10, OS10, NX-OS, EOS): the switch did not take its commands',
  invalid: 'the switch\'s answer was not understood: check its "type" in the rack file',
};

async function checkSwitches(ctx: ServiceContext): Promise<SiteCheck[]> {
  const out: SiteCheck[] = [];
  for (const sw of ctx.site.topology.switches()) {
    const id = `switch.${sw.name}`;
    const title = `switch ${sw.name}: login, host key, dialect, PXE VLAN`;
    let target;
    try {
      target = switchTargetInput(sw, ctx.site.env);
    } catch (err) {
      out.push(fail(id, title, describeError(err), `fix the rack file at ${sw.path}`));
      continue;
    }
    try {
      const vlans = await ctx.site.switches.showVlans(target);
      if (!vlans.some((v) => v.id === target.pxeVlan))
        out.push(
          fail(
            id,
            title,
            `logged in as ${target.username} (${sw.dialect}), but VLAN ${target.pxeVlan} (PXE) is not on the switch`,
            `create VLAN ${target.pxeVlan} on ${sw.name}, or correct pxeVlan at ${sw.path}`,
          ),
        );
      else
        out.push(
          pass(
            id,
            title,
            `logged in as ${target.username}, ${sw.dialect} answers read, PXE VLAN ${target.pxeVlan} present`,
          ),
        );
    } catch (err) {
      const kind = err instanceof SwitchError ? err.kind : 'unreachable';
      out.push(fail(id, title, describeError(err), SWITCH_FIX[kind] ?? 'see the error above'));
    }
  }
  if (!out.length)
    out.push(
      fail(
        'switches',
        'switches',
        'the rack file names no switch',
        "set RACKPILOT_RACK_FILE to the site's rack file",
      ),
    );
  return out;
}

interface Bmc {
  hostname: string;
  rack: string;
  target: () => IpmiTarget;
}

/** The BMCs the runner knows: the store's hosts first, then the rack file's bmc entries. */
function knownBmcs(ctx: ServiceContext): Bmc[] {
  const seen = new Set<string>();
  const out: Bmc[] = [];
  const rackOf = new Map<string, string>();
  for (const [i, rack] of ctx.site.topology.rack.racks.entries())
    for (const nic of rack.nics) if (nic.hostname) rackOf.set(nic.hostname, rack.name ?? `racks[${i}]`);
  for (const h of ctx.wb.store.hosts.list()) {
    seen.add(h.hostname);
    out.push({
      hostname: h.hostname,
      rack: h.rack ?? rackOf.get(h.hostname) ?? '',
      target: () => ipmiTargetFor(h),
    });
  }
  for (const [i, rack] of ctx.site.topology.rack.racks.entries())
    for (const nic of rack.nics) {
      const bmc = nic.bmc;
      const name = nic.hostname;
      if (!bmc?.username || !name || seen.has(name)) continue;
      seen.add(name);
      out.push({
        hostname: name,
        rack: rack.name ?? `racks[${i}]`,
        target: () => ({
          host: bmc.address,
          port: bmc.port,
          username: bmc.username!,
          password: resolveBmcPassword(bmc, name, ctx.site.env) ?? '',
          name: `BMC of ${name}`,
        }),
      });
    }
  return out;
}

function sample(bmcs: Bmc[]): Bmc[] {
  const firsts = new Map<string, Bmc>();
  for (const b of bmcs) if (!firsts.has(b.rack)) firsts.set(b.rack, b);
  return [...firsts.values()].slice(0, BMC_SAMPLE);
}

async function checkBmcs(ctx: ServiceContext, all: boolean): Promise<SiteCheck[]> {
  const known = knownBmcs(ctx);
  if (!known.length)
    return [
      skip('bmc', 'BMCs', 'no BMC known yet (neither `rackpilot host add` nor the rack file gives one)'),
    ];
  const chosen = all ? known : sample(known);
  const limit = pLimit(8);
  return Promise.all(
    chosen.map((b) =>
      limit(async () => {
        const title = `BMC of ${b.hostname} answers`;
        try {
          const power = await ctx.site.ipmi.powerStatus(b.target());
          return pass(
            `bmc.${b.hostname}`,
            title,
            `power ${power}${all ? '' : ` (a sample: ${chosen.length} of ${known.length}; --all reads every one)`}`,
          );
        } catch (err) {
          return fail(
            `bmc.${b.hostname}`,
            title,
            describeError(err),
            "check the BMC's address, user and password (rack file bmc entry, or `rackpilot host add`), and that UDP 623 reaches it",
          );
        }
      }),
    ),
  );
}

function checkEtcd(ctx: ServiceContext): SiteCheck[] {
  const etcd = ctx.wb.etcd;
  if (!etcd) return [skip('etcd', 'etcd', 'not configured (one jump host)')];
  const d = etcd.describe();
  return [
    d.available
      ? pass('etcd', 'etcd answers', `${d.endpoints.join(', ')}: ${d.runners.length} runner(s)`)
      : fail(
          'etcd',
          'etcd answers',
          `${d.endpoints.join(', ')} unreachable${d.error ? `: ${d.error}` : ''}`,
          'check RACKPILOT_ETCD and the certificates (RACKPILOT_ETCD_CA, _CERT, _KEY)',
        ),
  ];
}

export function siteCheckHandlers(ctx: ServiceContext): Handlers {
  return {
    'site.check': async ({ allBmcs }) => ({
      checks: [
        ...(await checkMaas(ctx)),
        ...(await checkSwitches(ctx)),
        ...(await checkBmcs(ctx, allBmcs)),
        ...checkEtcd(ctx),
      ],
    }),
  };
}
