import type { Check } from '../../protocol/doctor.ts';
import type { DoctorFacts } from './facts.ts';
import { iso } from './facts.ts';

/**
 * The live checks: what the BMC, the ToR switches and MaaS's machine record say now, each a
 * check with the lines read as evidence. They confirm or override what the timeline tells; a read
 * that failed is 'unknown', never a failure.
 */

/** MaaS statuses in which the host must PXE-boot from MaaS on its PXE VLAN. */
export const NEEDS_PXE = new Set([1, 9, 14, 21, 17]);

export function liveChecks(f: DoctorFacts): Check[] {
  const maas = f.maas && 'systemId' in f.maas ? f.maas : null;
  const status = maas?.status ?? null;
  const host: HostNow = {
    maas,
    needsPxe: status !== null && NEEDS_PXE.has(status),
    power: f.bmc?.answer === 'ok' ? f.bmc.power : null,
  };
  return [
    bmcCheck(f),
    powerCheck(f, host),
    bootCheck(f, host),
    ...portChecks(f, host),
    ...f.macs.map(macCheck),
    ...bootMacCheck(f, maas),
  ];
}

type MaasMachine = Extract<NonNullable<DoctorFacts['maas']>, { systemId: string }>;

/** What several checks read: MaaS's record, whether MaaS needs the host on PXE now, its power. */
interface HostNow {
  maas: MaasMachine | null;
  needsPxe: boolean;
  /** As the BMC answered; null: not read. */
  power: string | null;
}

function bmcCheck(f: DoctorFacts): Check {
  const bmc = f.bmc;
  const via = bmc && 'origin' in bmc && bmc.origin ? ` (${bmc.origin})` : '';
  if (!bmc)
    return {
      id: 'bmc',
      title: 'BMC reachable',
      state: 'unknown',
      evidence: ['no BMC known for the host (rack file, store or MaaS)'],
    };
  if (bmc.answer === 'unknown')
    return { id: 'bmc', title: 'BMC reachable', state: 'unknown', evidence: [`BMC: ${bmc.error}`] };
  if (bmc.answer === 'ok')
    return {
      id: 'bmc',
      title: 'BMC reachable',
      state: 'pass',
      evidence: [`BMC${via}: Get Chassis Status answered, power ${bmc.power}`],
    };
  return {
    id: 'bmc',
    title: 'BMC reachable',
    state: 'fail',
    evidence: [
      bmc.answer === 'auth'
        ? `BMC${via}: refused the credentials (RAKP): ${bmc.error}`
        : `BMC${via}: no answer: ${bmc.error}`,
      ...f.events
        .filter((e) => /Failed to (query node's BMC|power)/.test(e.type))
        .slice(0, 2)
        .map((e) => `MaaS event ${e.created}: ${e.type} - ${e.description}`),
    ],
  };
}

function powerCheck(f: DoctorFacts, { maas, needsPxe, power }: HostNow): Check {
  const powerEvidence = [
    power ? `BMC: power ${power}` : 'BMC: power unknown',
    maas ? `MaaS: power_state ${maas.powerState}, status ${maas.statusName}` : 'MaaS: not read',
    ...(f.outOfBand
      ? [
          `BMC sweep: ${f.outOfBand.from} → ${f.outOfBand.to} at ${iso(f.outOfBand.at)} with no task command and no MaaS action`,
        ]
      : []),
    ...f.events
      .filter((e) => e.type === 'Node powered off' || e.type === 'Node powered on')
      .slice(0, 2)
      .map((e) => `MaaS event ${e.created}: ${e.type}`),
  ];
  return {
    id: 'power',
    title: needsPxe ? `Powered on while MaaS is ${maas!.statusName}` : 'Power state',
    state: power === null ? 'unknown' : needsPxe && power === 'off' ? 'fail' : 'pass',
    evidence: powerEvidence,
  };
}

function bootCheck(f: DoctorFacts, { needsPxe, power }: HostNow): Check {
  const bmc = f.bmc;
  if (bmc?.answer !== 'ok')
    return { id: 'boot', title: 'Boot device', state: 'unknown', evidence: ['the BMC was not read'] };
  const b = bmc.boot;
  const lastOn = f.events.find((e) => e.type === 'Node powered on');
  const pxeSince = f.events.find((e) => e.type === 'PXE Request' && (!lastOn || e.id > lastOn.id));
  const desc = b.valid
    ? `override ${b.device}, ${b.persistent ? 'persistent' : 'next boot only'}`
    : 'no override (BIOS boot order)';
  let state: Check['state'] = 'pass';
  const evidence = [`BMC: Get System Boot Options param 5: ${desc}`];
  if (needsPxe) {
    if (b.valid && b.device !== 'pxe') state = 'fail';
    else if (!b.valid) {
      if (pxeSince)
        evidence.push(
          `MaaS event ${pxeSince.created}: PXE Request - ${pxeSince.description} (the host PXE-booted)`,
        );
      else {
        state = power === 'off' ? 'fail' : 'unknown';
        evidence.push('no PXE Request from the host since it last powered on');
      }
    }
  }
  return {
    id: 'boot',
    title: needsPxe ? 'Boot device: PXE while MaaS needs the host' : 'Boot device',
    state,
    evidence,
  };
}

function portChecks(f: DoctorFacts, { maas, needsPxe }: HostNow): Check[] {
  return f.ports.map((p): Check => {
    const name = `${p.switch} ${p.port}`;
    if (p.error !== undefined)
      return {
        id: `port:${name}`,
        title: `${name} untagged VLAN`,
        state: 'unknown',
        evidence: [`switch: ${p.error}`],
      };
    const read = `switch ${name}: untagged ${p.untagged ?? 'none'}, tagged ${p.tagged?.length ? p.tagged.join(' ') : 'none'}`;
    const wrong = needsPxe && p.pxeVlan !== null && p.untagged !== p.pxeVlan;
    return {
      id: `port:${name}`,
      title: needsPxe ? `${name} untagged on the PXE VLAN ${p.pxeVlan ?? '?'}` : `${name} VLANs`,
      state: wrong ? 'fail' : 'pass',
      evidence: [
        read,
        ...(needsPxe ? [`MaaS needs the host on the PXE VLAN while ${maas!.statusName}`] : []),
      ],
    };
  });
}

/** A MAC learned where the rack file says. */
function macCheck(m: DoctorFacts['macs'][number]): Check {
  const id = `mac:${m.mac}`;
  const title = `${m.mac} learned on ${m.switch} ${m.port}`;
  if (m.error !== undefined || m.learnedOn === undefined)
    return { id, title, state: 'unknown', evidence: [`switch: ${m.error ?? 'not read'}`] };
  if (m.learnedOn === null)
    return {
      id,
      title,
      state: 'unknown',
      evidence: [`${m.switch} has not learned ${m.mac} (host off, or the link is down)`],
    };
  return {
    id,
    title,
    state: samePort(m.learnedOn, m.port) ? 'pass' : 'fail',
    evidence: [
      `${m.switch} show mac address-table: ${m.mac} on ${m.learnedOn}; the rack file says ${m.port}`,
    ],
  };
}

/** The boot interface's MAC (the bond's when the NICs are bonded) is the instance's. */
function bootMacCheck(f: DoctorFacts, maas: MaasMachine | null): Check[] {
  if (!f.instanceMac || !maas) return [];
  const carrier = maas.bondMac ?? maas.bootInterfaceMac;
  const ok = carrier?.toLowerCase() === f.instanceMac;
  return [
    {
      id: 'boot-mac',
      title: maas.bondMac ? "The bond's MAC is the instance MAC" : "Boot interface's MAC is the instance MAC",
      state: carrier === null ? 'unknown' : ok ? 'pass' : 'fail',
      evidence: [
        maas.bondMac
          ? `MaaS bond ${maas.bondMac} (boot_interface ${maas.bootInterfaceMac ?? 'none'}); instance MAC ${f.instanceMac}`
          : `MaaS boot_interface ${maas.bootInterfaceMac ?? 'none'}; instance MAC ${f.instanceMac}`,
      ],
    },
  ];
}

function samePort(learned: string, rackPort: string): boolean {
  const num = (s: string) => /(\d+(?:\/\d+)*)\s*$/.exec(s)?.[1] ?? s;
  return num(learned) === num(rackPort);
}
