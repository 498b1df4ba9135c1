import { EV } from './catalogue.ts';
import { iso } from './facts.ts';
import {
  failedCheck,
  last,
  opEvents,
  reached,
  statusName,
  stopped,
  stoppedAfter,
  type Rule,
} from './cause.ts';
import { PORTS_PXE, PXE_BOOT, resetFix, resumeFix } from './fixes.ts';
import { line } from './timeline.ts';

/**
 * The causes the live checks confirm or tell: MaaS failing to power a host with its BMC's answer
 * now, a BMC the jump host cannot reach, and the power state, ToR ports, boot device and cabling
 * that explain a stop before the installer.
 */

// ---------- MaaS cannot power the machine ----------

const POWER_FAILURES: readonly string[] = [EV.powerOnFailed, EV.powerCycleFailed, EV.powerQueryFailed];

export const cannotPower: Rule = ({ f, t, checks }) => {
  const failures = opEvents(t, (e) => POWER_FAILURES.includes(e.type));
  const failText = t.failure && /power/i.test(t.failure.text) ? t.failure.text : null;
  if (failures.length === 0 && !failText) return null;
  // A power query failing now and then while the host deploys is noise; only a stopped operation counts.
  if (!stopped(t) && !failures.some((e) => e.type !== EV.powerQueryFailed)) return null;
  const quote = failures[failures.length - 1];
  const bmc = checks.find((c) => c.id === 'bmc');
  const live =
    f.bmc?.answer === 'auth'
      ? "the BMC refuses rackpilot's credentials too"
      : f.bmc?.answer === 'unreachable'
        ? 'the BMC does not answer rackpilot either'
        : f.bmc?.answer === 'ok'
          ? 'the BMC answers rackpilot now, so check the power parameters MaaS holds'
          : 'rackpilot could not read the BMC';
  // The BMC refusing rackpilot too confirms it; one we cannot reach from here confirms nothing.
  const id = f.bmc?.answer === 'auth' ? 'bmc-auth' : 'maas-cannot-power';
  return {
    id,
    title: `MaaS cannot power it: ${quote?.description ?? failText ?? ''}`.slice(0, 120),
    stage: last(t)?.label ?? null,
    sentence: `MaaS cannot power ${f.hostname}: "${quote ? `${quote.type} - ${quote.description}` : failText}"; ${live}.`,
    evidence: [
      ...failures.slice(-2).map(line),
      ...(failText ? [failText] : []),
      ...(bmc ? bmc.evidence.slice(0, 1) : []),
    ],
    fixes: [
      ...resumeFix(f).map((r) => ({
        ...r,
        first: "fix the BMC's address or password (in MaaS and rackpilot's host record)",
      })),
      ...resetFix(f, "fix the BMC's address or password in MaaS's power parameters"),
    ],
    hints: [],
    specificity: 85,
  };
};

// ---------- the live BMC alone (no MaaS story of it) ----------

export const bmcLive: Rule = ({ f, t }) => {
  if (!f.bmc || f.bmc.answer === 'ok' || f.bmc.answer === 'unknown') return null;
  // A BMC the jump host cannot reach is a cause only of what needs it from here: rackpilot's own
  // task that stopped, or a host whose story MaaS does not tell.
  const blocked = f.task !== null && (f.task.state === 'failed' || f.task.state === 'interrupted');
  if (!blocked && t.operation !== null) return null;
  const auth = f.bmc.answer === 'auth';
  return {
    id: auth ? 'bmc-auth' : 'bmc-unreachable',
    title: auth ? 'BMC refuses the credentials' : 'BMC does not answer',
    stage: null,
    sentence: auth
      ? `The BMC refuses the credentials MaaS and rackpilot hold: its password was changed, so nobody can power ${f.hostname}.`
      : `The BMC of ${f.hostname} does not answer: power and boot device cannot be read or set, by MaaS or by rackpilot.`,
    evidence: [`BMC: ${f.bmc.error}`],
    fixes: resumeFix(f).map((r) => ({
      ...r,
      first: auth
        ? "set the BMC's password back (or update it in MaaS and rackpilot's host record)"
        : 'bring the BMC back (its network port, cable or a BMC reset)',
    })),
    hints: [],
    // Below every timeline cause: a BMC the jump host cannot reach says nothing of a deployment
    // whose story MaaS tells; it is the cause only when the story is silent.
    specificity: 30,
  };
};

// ---------- live checks that explain a stop before the installer ----------

export const liveStop: Rule = ({ f, t, checks }) => {
  const early = !reached(t, 'ephemeral') && !reached(t, 'rebooting');
  const s = statusName(f);
  const where = t.operation ? `${stoppedAfter(t, f.now)}: ` : '';
  const powerOff = failedCheck(checks, (c) => c.id === 'power');
  if (powerOff && (early || t.operation === null)) {
    return {
      id: 'powered-off',
      title: 'powered off out of band',
      stage: last(t)?.label ?? null,
      sentence: `${where}${f.hostname} is off while MaaS is ${s}: it was powered off out of band${f.outOfBand ? ` at ${iso(f.outOfBand.at)}` : ''}, and MaaS waits for it until its timeout.`,
      evidence: powerOff.evidence,
      fixes: [PXE_BOOT, ...resumeFix(f)],
      hints: [],
      specificity: 65,
    };
  }
  const port = failedCheck(checks, (c) => c.id.startsWith('port:'));
  if (port) {
    return {
      id: 'tenant-vlan',
      title: 'ToR port off the PXE VLAN',
      stage: last(t)?.label ?? null,
      sentence: `${where}${port.evidence[0]!.replace(/^switch /, '')}: the port is not on the PXE VLAN, so the host's PXE and metadata requests never reach MaaS while it is ${s}.`,
      evidence: port.evidence,
      fixes: [PORTS_PXE, ...resumeFix(f)],
      hints: [],
      specificity: 64,
    };
  }
  const boot = failedCheck(checks, (c) => c.id === 'boot');
  if (boot && (early || t.operation === null)) {
    return {
      id: 'boot-disk',
      title: 'boot device not PXE',
      stage: last(t)?.label ?? null,
      sentence: `${where}the BMC boots ${f.hostname} from ${/override (\S+)/.exec(boot.evidence[0]!)?.[1] ?? 'the BIOS order'}, not PXE: it never reaches MaaS's installer while ${s}.`,
      evidence: boot.evidence,
      fixes: [{ ...PXE_BOOT, label: 'boot from PXE (next boot) and power cycle' }, ...resumeFix(f)],
      hints: [],
      specificity: 63,
    };
  }
  const mac = failedCheck(checks, (c) => c.id.startsWith('mac:'));
  if (mac) {
    return {
      id: 'miscabled',
      title: 'NIC on another port',
      stage: last(t)?.label ?? null,
      sentence: `A NIC is cabled to another port than the rack file says: ${mac.evidence[0]}.`,
      evidence: mac.evidence,
      fixes: resumeFix(f).map((r) => ({
        ...r,
        first: 'move the cable to the port the rack file says (or correct the rack file)',
      })),
      hints: [],
      specificity: 62,
    };
  }
  const bootMac = failedCheck(checks, (c) => c.id === 'boot-mac');
  if (bootMac) {
    return {
      id: 'boot-mac',
      title: 'boots on another interface',
      stage: last(t)?.label ?? null,
      sentence: `MaaS boots ${f.hostname} on another interface than the instance's: ${bootMac.evidence[0]}.`,
      evidence: bootMac.evidence,
      fixes: resumeFix(f),
      hints: [],
      specificity: 61,
    };
  }
  return null;
};
