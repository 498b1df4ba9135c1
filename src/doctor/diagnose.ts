import type { Check, Diagnosis, Fix } from './schema.ts';

/**
 * The stuck-deployment doctor's reasoning, without I/O: facts read from MaaS, the BMC and the ToR
 * switches go in; checks with their evidence, the likely cause in one sentence and the fixes come
 * out. The gatherer (gather.ts) reads the facts; this file decides.
 */

export interface DoctorEvent {
  id: number;
  /** Epoch ms (parsed from MaaS's "Fri, 07 Dec. 2018 20:11:08"), NaN when unparsable. */
  at: number;
  created: string;
  level: string;
  type: string;
  description: string;
}

export interface DoctorFacts {
  hostname: string;
  now: number;
  maas:
    | {
        systemId: string;
        status: number;
        statusName: string;
        statusMessage: string;
        powerState: string;
        bootInterfaceMac: string | null;
        /** The bond's MAC when the NICs are bonded: the instance MAC is set there, not on a member. */
        bondMac?: string | null;
      }
    | { error: string }
    | null;
  /** Newest first, level DEBUG (PXE/TFTP requests, power changes, curtin progress included). */
  events: DoctorEvent[];
  curtin: { status: string; lines: string[] } | null;
  bmc:
    | { answer: 'ok'; power: 'on' | 'off'; boot: { device: string; valid: boolean; persistent: boolean } }
    | { answer: 'unreachable' | 'auth'; error: string }
    | null;
  /** The BMC sweep's flag: a change nobody explained, with when. */
  outOfBand: { at: number; from: string; to: string } | null;
  ports: {
    switch: string;
    port: string;
    pxeVlan: number | null;
    untagged?: number | null;
    tagged?: number[];
    error?: string;
  }[];
  macs: { mac: string; switch: string; port: string; learnedOn?: string | null; error?: string }[];
  /** The instance's MAC when an instance is (being) deployed on the host. */
  instanceMac: string | null;
  /** The task holding the host (or the last one that ran on it). */
  task: { id: string; kind: string; state: string; step: string | null; error: string | null } | null;
}

/** MaaS statuses in which the host must PXE-boot from MaaS on its PXE VLAN. */
const NEEDS_PXE = new Set([1, 9, 14, 21, 17]);
/** MaaS's node_timeout (minutes) per monitored status; Releasing is 5. */
const TIMEOUT_MIN: Record<number, number> = { 1: 30, 9: 30, 14: 30, 12: 5, 21: 30, 17: 30, 19: 30 };
const FAILED = new Set([2, 11, 13, 15, 18, 20, 22]);

export function diagnose(f: DoctorFacts): Diagnosis {
  const maas = f.maas && 'systemId' in f.maas ? f.maas : null;
  const status = maas?.status ?? null;
  const needsPxe = status !== null && NEEDS_PXE.has(status);
  const checks: Check[] = [];

  // ---- time in state against MaaS's timeout ----
  const changed = f.events.find((e) => e.type === 'Node changed status');
  const enteredAt = changed && Number.isFinite(changed.at) ? changed.at : null;
  // MaaS pushes status_expires out each time the node reports progress (its DEBUG events).
  const progress = f.events.find((e) => e.type === 'Node installation' || e.type === 'PXE Request');
  const timeoutS = status !== null && TIMEOUT_MIN[status] ? TIMEOUT_MIN[status]! * 60 : null;
  const clockFrom =
    Math.max(enteredAt ?? 0, progress && Number.isFinite(progress.at) ? progress.at : 0) || null;
  const timer =
    maas === null
      ? null
      : {
          enteredAt,
          inStateS: enteredAt === null ? null : Math.max(0, Math.round((f.now - enteredAt) / 1000)),
          timeoutS,
          remainingS:
            timeoutS === null || clockFrom === null
              ? null
              : Math.round(timeoutS - (f.now - clockFrom) / 1000),
        };

  // ---- BMC ----
  const bmc = f.bmc;
  if (!bmc)
    checks.push({
      id: 'bmc',
      title: 'BMC reachable',
      state: 'unknown',
      evidence: ['no BMC known for the host'],
    });
  else if (bmc.answer === 'ok')
    checks.push({
      id: 'bmc',
      title: 'BMC reachable',
      state: 'pass',
      evidence: [`BMC: Get Chassis Status answered, power ${bmc.power}`],
    });
  else
    checks.push({
      id: 'bmc',
      title: 'BMC reachable',
      state: 'fail',
      evidence: [
        bmc.answer === 'auth'
          ? `BMC: refused the credentials (RAKP): ${bmc.error}`
          : `BMC: no answer: ${bmc.error}`,
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

  // ---- curtin ----
  const curtin =
    f.curtin && f.curtin.lines.length > 0
      ? { status: f.curtin.status, tail: f.curtin.lines.slice(-8) }
      : null;
  const installFailure = f.events.find((e) => e.type === 'Node installation failure');
  if (curtin || installFailure) {
    checks.push({
      id: 'curtin',
      title: 'curtin installation',
      state: curtin?.status === 'Failed' || installFailure ? 'fail' : 'pass',
      evidence: [
        ...(curtin ? [`MaaS current-installation: ${curtin.status}`] : []),
        ...(installFailure
          ? [`MaaS event ${installFailure.created}: ${installFailure.type} - ${installFailure.description}`]
          : []),
        ...(curtin?.status === 'Failed' ? [lastErrorLine(curtin.tail)] : []),
      ],
    });
  }

  const { cause, fixes } = decide(f, checks, status, needsPxe);
  return {
    hostname: f.hostname,
    systemId: maas?.systemId ?? null,
    statusName:
      maas?.statusName ?? (f.maas && 'error' in f.maas ? `unknown (${f.maas.error})` : 'Not in MaaS'),
    status,
    timer,
    events: f.events
      .slice(0, 15)
      .map(({ id, created, level, type, description }) => ({ id, created, level, type, description })),
    curtin,
    checks,
    cause,
    fixes,
    task: f.task,
    readAt: f.now,
  };
}

function decide(
  f: DoctorFacts,
  checks: Check[],
  status: number | null,
  needsPxe: boolean,
): { cause: Diagnosis['cause']; fixes: Fix[] } {
  const failed = (id: string) => checks.find((c) => c.id === id && c.state === 'fail');
  const task = f.task;
  const resumable = task && (task.state === 'failed' || task.state === 'interrupted');
  const resume: Fix[] = resumable
    ? [
        {
          id: 'resume',
          label: `resume task ${task.id} (${task.kind}) from its first unfinished step`,
          kind: 'task.resume',
          taskId: task.id,
        },
      ]
    : [];
  const statusName = f.maas && 'statusName' in f.maas ? f.maas.statusName : 'unknown';

  if (f.bmc && f.bmc.answer === 'auth') {
    return {
      cause: {
        id: 'bmc-auth',
        sentence: `The BMC refuses the credentials MaaS and rackpilot hold: its password was changed, so nobody can power ${f.hostname}.`,
      },
      fixes: resume.map((r) => ({
        ...r,
        first: "set the BMC's password back (or update it in MaaS and rackpilot's host record)",
      })),
    };
  }
  if (f.bmc && f.bmc.answer === 'unreachable') {
    return {
      cause: {
        id: 'bmc-unreachable',
        sentence: `The BMC of ${f.hostname} does not answer: power and boot device cannot be read or set, by MaaS or by rackpilot.`,
      },
      fixes: resume.map((r) => ({
        ...r,
        first: 'bring the BMC back (its network port, cable or a BMC reset)',
      })),
    };
  }
  if (failed('curtin')) {
    const curtin = checks.find((c) => c.id === 'curtin')!;
    return {
      cause: {
        id: 'curtin-failed',
        sentence: `curtin failed to install the OS: ${curtin.evidence[curtin.evidence.length - 1]}`,
      },
      fixes: [
        ...(status === 11
          ? [
              {
                id: 'reset-failed' as const,
                label: 'reset the Failed deployment to Ready (mark broken, mark fixed)',
                kind: 'host.reset-failed',
                first: 'fix what curtin refused (storage layout, user data, the disk)',
              },
            ]
          : []),
        ...resume,
      ],
    };
  }
  if (needsPxe && failed('power')) {
    return {
      cause: {
        id: 'powered-off',
        sentence: `${f.hostname} is off while MaaS is ${statusName}: it was powered off out of band${f.outOfBand ? ` at ${iso(f.outOfBand.at)}` : ''}, and MaaS waits for it until its timeout.`,
      },
      fixes: [
        { id: 'pxe-boot', label: 'boot from PXE (next boot) and power on', kind: 'host.pxe-boot' },
        ...resume,
      ],
    };
  }
  const port = checks.find((c) => c.id.startsWith('port:') && c.state === 'fail');
  if (needsPxe && port) {
    return {
      cause: {
        id: 'tenant-vlan',
        sentence: `${port.evidence[0]!.replace(/^switch /, '')}: the port is not on the PXE VLAN, so the host's PXE and metadata requests never reach MaaS while it is ${statusName}.`,
      },
      fixes: [
        { id: 'ports-pxe', label: 'ToR ports back to the PXE VLAN', kind: 'host.ports-pxe' },
        ...resume,
      ],
    };
  }
  if (needsPxe && failed('boot')) {
    const boot = checks.find((c) => c.id === 'boot')!;
    return {
      cause: {
        id: 'boot-disk',
        sentence: `The BMC boots ${f.hostname} from ${/override (\S+)/.exec(boot.evidence[0]!)?.[1] ?? 'the BIOS order'}, not PXE: it never reaches MaaS's installer while ${statusName}.`,
      },
      fixes: [
        { id: 'pxe-boot', label: 'boot from PXE (next boot) and power cycle', kind: 'host.pxe-boot' },
        ...resume,
      ],
    };
  }
  const mac = checks.find((c) => c.id.startsWith('mac:') && c.state === 'fail');
  if (mac) {
    return {
      cause: {
        id: 'miscabled',
        sentence: `A NIC is cabled to another port than the rack file says: ${mac.evidence[0]}.`,
      },
      fixes: resume.map((r) => ({
        ...r,
        first: 'move the cable to the port the rack file says (or correct the rack file)',
      })),
    };
  }
  if (failed('boot-mac')) {
    return {
      cause: {
        id: 'boot-mac',
        sentence: `MaaS boots ${f.hostname} on another interface than the instance's: ${checks.find((c) => c.id === 'boot-mac')!.evidence[0]}.`,
      },
      fixes: resume,
    };
  }
  if (status !== null && FAILED.has(status)) {
    const timedOut = f.maas && 'statusMessage' in f.maas && /timed out/.test(f.maas.statusMessage);
    return {
      cause: {
        id: timedOut ? 'timed-out' : 'maas-failed',
        sentence: `MaaS marked ${f.hostname} ${statusName}${f.maas && 'statusMessage' in f.maas && f.maas.statusMessage ? `: ${f.maas.statusMessage}` : ''}; every live check passes now.`,
      },
      fixes: [
        {
          id: 'reset-failed',
          label: `reset ${statusName} to Ready (mark broken, mark fixed)`,
          kind: 'host.reset-failed',
        },
        ...resume,
      ],
    };
  }
  if (resumable) {
    return {
      cause: {
        id: 'task-failed',
        sentence: `Task ${task.id} (${task.kind}) ${task.state}${task.step ? ` at "${task.step}"` : ''}: ${task.error ?? 'no error recorded'}.`,
      },
      fixes: resume,
    };
  }
  return { cause: null, fixes: [] };
}

function samePort(learned: string, rackPort: string): boolean {
  const num = (s: string) => /(\d+(?:\/\d+)*)\s*$/.exec(s)?.[1] ?? s;
  return num(learned) === num(rackPort);
}

function lastErrorLine(lines: readonly string[]): string {
  return [...lines].reverse().find((l) => /error|fail|exception/i.test(l)) ?? lines[lines.length - 1] ?? '';
}

function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
