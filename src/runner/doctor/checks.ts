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
  const needsPxe = status !== null && NEEDS_PXE.has(status);
  const checks: Check[] = [];
  // ---- BMC ----
  const bmc = f.bmc;
  const via = bmc && 'origin' in bmc && bmc.origin ? ` (${bmc.origin})` : '';
  if (!bmc)
    checks.push({
      id: 'bmc',
      title: 'BMC reachable',
      state: 'unknown',
      evidence: ['no BMC known for the host (rack file, store or MaaS)'],
    });
  else if (bmc.answer === 'unknown')
    checks.push({ id: 'bmc', title: 'BMC reachable', state: 'unknown', evidence: [`BMC: ${bmc.error}`] });
  else if (bmc.answer === 'ok')
    checks.push({
      id: 'bmc',
      title: 'BMC reachable',
      state: 'pass',
      evidence: [`BMC${via}: Get Chassis Status answered, power ${bmc.power}`],
    });
  else
    checks.push({
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
    });

  // ---- power ----
  const power = bmc?.answer === 'ok' ? bmc.power : null;
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
  checks.push({
    id: 'power',
    title: needsPxe ? `Powered on while MaaS is ${maas!.statusName}` : 'Power state',
    state: power === null ? 'unknown' : needsPxe && power === 'off' ? 'fail' : 'pass',
    evidence: powerEvidence,
  });

  // ---- boot device ----
  if (bmc?.answer === 'ok') {
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
    checks.push({
      id: 'boot',
      title: needsPxe ? 'Boot device: PXE while MaaS needs the host' : 'Boot device',
      state,
      evidence,
    });
  } else
    checks.push({ id: 'boot', title: 'Boot device', state: 'unknown', evidence: ['the BMC was not read'] });

  // ---- ports ----
  for (const p of f.ports) {
    const name = `${p.switch} ${p.port}`;
    if (p.error !== undefined) {
      checks.push({
        id: `port:${name}`,
        title: `${name} untagged VLAN`,
        state: 'unknown',
        evidence: [`switch: ${p.error}`],
      });
      continue;
    }
    const read = `switch ${name}: untagged ${p.untagged ?? 'none'}, tagged ${p.tagged?.length ? p.tagged.join(' ') : 'none'}`;
    const wrong = needsPxe && p.pxeVlan !== null && p.untagged !== p.pxeVlan;
    checks.push({
      id: `port:${name}`,
      title: needsPxe ? `${name} untagged on the PXE VLAN ${p.pxeVlan ?? '?'}` : `${name} VLANs`,
      state: wrong ? 'fail' : 'pass',
      evidence: [
        read,
        ...(needsPxe ? [`MaaS needs the host on the PXE VLAN while ${maas!.statusName}`] : []),
      ],
    });
  }

  // ---- MACs learned where the rack file says ----
  for (const m of f.macs) {
    const id = `mac:${m.mac}`;
    if (m.error !== undefined || m.learnedOn === undefined)
      checks.push({
        id,
        title: `${m.mac} learned on ${m.switch} ${m.port}`,
        state: 'unknown',
        evidence: [`switch: ${m.error ?? 'not read'}`],
      });
    else if (m.learnedOn === null)
      checks.push({
        id,
        title: `${m.mac} learned on ${m.switch} ${m.port}`,
        state: 'unknown',
        evidence: [`${m.switch} has not learned ${m.mac} (host off, or the link is down)`],
      });
    else
      checks.push({
        id,
        title: `${m.mac} learned on ${m.switch} ${m.port}`,
        state: samePort(m.learnedOn, m.port) ? 'pass' : 'fail',
        evidence: [
          `${m.switch} show mac address-table: ${m.mac} on ${m.learnedOn}; the rack file says ${m.port}`,
        ],
      });
  }

  // ---- boot interface MAC = instance MAC (on the bond when the NICs are bonded) ----
  if (f.instanceMac && maas) {
    const carrier = maas.bondMac ?? maas.bootInterfaceMac;
    const ok = carrier?.toLowerCase() === f.instanceMac;
    checks.push({
      id: 'boot-mac',
      title: maas.bondMac ? "The bond's MAC is the instance MAC" : "Boot interface's MAC is the instance MAC",
      state: carrier === null ? 'unknown' : ok ? 'pass' : 'fail',
      evidence: [
        maas.bondMac
          ? `MaaS bond ${maas.bondMac} (boot_interface ${maas.bootInterfaceMac ?? 'none'}); instance MAC ${f.instanceMac}`
          : `MaaS boot_interface ${maas.bootInterfaceMac ?? 'none'}; instance MAC ${f.instanceMac}`,
      ],
    });
  }

  return checks;
}

function samePort(learned: string, rackPort: string): boolean {
  const num = (s: string) => /(\d+(?:\/\d+)*)\s*$/.exec(s)?.[1] ?? s;
  return num(learned) === num(rackPort);
}
