import { NODE_STATUS } from '../gear/maas/node-status.ts';
import type { Lab } from './index.ts';
import type { WorldEvent } from './world.ts';

/**
 * What gets deployments stuck at 3 a.m., reproducible on the lab for training and tests. Each
 * handle puts the lab's gear in that state — most of them at the moment MaaS powers the host on to
 * deploy it, as they happen on real sites — and `clear()` undoes what can be undone (a cable moved
 * back, the BMC answering again, its password restored). Faults already done to the world (a port
 * on a VLAN, a boot device) stay: fixing those is the operator's job, through rackpilot's tasks.
 */
export interface LabTroubles {
  /** The host's ToR ports go (back) on a tenant VLAN once MaaS powers it on to deploy: PXE never reaches MaaS. */
  tenantVlanDuringDeploy(hostname: string, vlan: number): void;
  /** Someone forces the boot device to disk (persistent) and the host reboots mid-deploy: it never PXE-boots. */
  bootDiskDuringDeploy(hostname: string): void;
  /** The BMC stops answering (its network or the BMC itself), now or once the deploy has powered the host on. */
  bmcUnreachable(hostname: string, opts?: { duringDeploy?: boolean }): void;
  /** The BMC's password is changed behind MaaS's and rackpilot's back. */
  bmcPasswordChanged(hostname: string, opts?: { duringDeploy?: boolean; password?: string }): void;
  /**
   * Network boot is off in the host's firmware (PXE option ROM disabled, or a UEFI ignoring the boot
   * override): MaaS powers it on with PXE asked for, and it starts from its disk; no PXE request.
   */
  netbootDisabled(hostname: string): void;
  /** The host is powered off out of band (power button, someone's ipmitool) just after MaaS powered it on. */
  powerOffDuringDeploy(hostname: string): void;
  /** The deploy's netboot initrd arrives corrupt: the ephemeral kernel panics and MaaS hears nothing more. */
  kernelPanicDuringDeploy(hostname: string): void;
  /** curtin fails (block-meta cannot find the disk): Failed deployment, its log in current-installation. */
  curtinFails(hostname: string): void;
  /** The boot loader comes over TFTP, then no kernel or initrd (UEFI/legacy mismatch, image missing on the rack). */
  noKernel(hostname: string): void;
  /** The ephemeral environment loads, then curtin never starts (MaaS's metadata out of reach). */
  noInstaller(hostname: string): void;
  /** curtin installs and the host reboots, then the installed OS never reports back. */
  neverComesBack(hostname: string): void;
  /** Deployed, then cloud-init fails the user data's scripts (scripts_user). */
  userDataFails(hostname: string): void;
  /** MaaS puts the machine in rescue mode (from Ready, Deployed or Broken) and it stays there. */
  rescueMode(hostname: string): void;
  /** The NIC is plugged into `port` of its switch instead of where the rack file says. */
  nicOnAnotherPort(mac: string, port: string): void;
  /** Someone created the machine's bond in MaaS without bond_mode: MaaS stored balance-rr. Needs Ready/Allocated. */
  bondBalanceRr(hostname: string): void;
  /** Undo the faults that can be undone (BMC answering with its password, cables, firmware netboot, curtin). */
  clear(hostname?: string): void;
}

export function labTroubles(lab: Lab): LabTroubles {
  const armed = new Map<string, (() => void)[]>();
  const machine = (hostname: string) => {
    const m = lab.maas.machines.byHostname(hostname);
    if (!m) throw new Error(`no lab MaaS machine ${hostname}`);
    return m;
  };
  // Fires each armed action once, just after the host powers on while MaaS deploys it.
  lab.world.on((e: WorldEvent) => {
    if (e.kind !== 'power' || e.power !== 'on') return;
    const actions = armed.get(e.hostname);
    if (!actions?.length) return;
    if (lab.maas.machines.byHostname(e.hostname)?.status !== NODE_STATUS.DEPLOYING) return;
    armed.delete(e.hostname);
    // After MaaS's own reaction to the power-on (queued first), as a person acts after the fact.
    queueMicrotask(() => {
      for (const a of actions) a();
    });
  });
  const duringDeploy = (hostname: string, action: () => void) => {
    lab.world.host(hostname);
    const list = armed.get(hostname) ?? [];
    list.push(action);
    armed.set(hostname, list);
  };
  const nics = (hostname: string) => {
    const h = lab.spec.hosts.find((x) => x.hostname === hostname);
    if (!h) throw new Error(`no lab host ${hostname}`);
    return h.nics;
  };

  return {
    tenantVlanDuringDeploy(hostname, vlan) {
      duringDeploy(hostname, () => {
        for (const nic of nics(hostname)) {
          lab.world.updatePort(nic.switch, nic.port, (p) => {
            p.untagged = vlan;
          });
        }
      });
    },
    bootDiskDuringDeploy(hostname) {
      duringDeploy(hostname, () => {
        const h = lab.world.host(hostname);
        lab.world.setBoot(hostname, 'disk', true, h.bootEfi);
        lab.world.reboot(hostname, 'boot device forced to disk');
      });
    },
    bmcUnreachable(hostname, opts = {}) {
      const act = () => lab.bmcs.faults.set(hostname, { dead: true });
      if (opts.duringDeploy) duringDeploy(hostname, act);
      else act();
    },
    bmcPasswordChanged(hostname, opts = {}) {
      const act = () => lab.bmcs.faults.changePassword(hostname, opts.password ?? 'changed-by-someone');
      if (opts.duringDeploy) duringDeploy(hostname, act);
      else act();
    },
    netbootDisabled(hostname) {
      lab.world.host(hostname).netbootDisabled = true;
    },
    powerOffDuringDeploy(hostname) {
      duringDeploy(hostname, () => lab.world.setPower(hostname, 'off', 'power button'));
    },
    kernelPanicDuringDeploy(hostname) {
      duringDeploy(hostname, () => lab.consoles.panicNextNetboot(hostname));
    },
    curtinFails(hostname) {
      lab.maas.faults.failDeploy(hostname);
    },
    noKernel(hostname) {
      lab.maas.machines.core.faults.noKernel.add(hostname);
    },
    noInstaller(hostname) {
      lab.maas.machines.core.faults.noInstaller.add(hostname);
    },
    neverComesBack(hostname) {
      lab.maas.machines.core.faults.stickDeploy.add(hostname);
    },
    userDataFails(hostname) {
      lab.maas.machines.core.faults.userDataFails.add(hostname);
    },
    rescueMode(hostname) {
      lab.maas.machines.core.enterRescueMode(machine(hostname));
    },
    nicOnAnotherPort(mac, port) {
      lab.switches.faults.miscable(mac, port);
    },
    bondBalanceRr(hostname) {
      const m = machine(hostname);
      const physical = m.interfaces.filter((i) => i.type === 'physical');
      if (physical.length < 2) throw new Error(`${hostname} has fewer than two NICs to bond`);
      const form = new URLSearchParams({ name: 'bond0', mac_address: physical[0]!.mac });
      for (const p of physical) form.append('parents', String(p.id));
      lab.maas.machines.core.createBond(m, form);
    },
    clear(hostname) {
      if (hostname) armed.delete(hostname);
      else armed.clear();
      const hosts = hostname ? [hostname] : lab.spec.hosts.map((h) => h.hostname);
      for (const h of hosts) lab.world.host(h).netbootDisabled = false;
      for (const h of hosts) {
        if (!lab.bmcs.bmcs.some((b) => b.hostname === h)) continue;
        lab.bmcs.faults.clear(h);
        lab.bmcs.faults.changePassword(h, undefined);
      }
      lab.switches.faults.clear();
      const f = lab.maas.machines.core.faults;
      for (const set of [f.failDeploy, f.noKernel, f.noInstaller, f.stickDeploy, f.userDataFails])
        if (hostname) set.delete(hostname);
        else set.clear();
      lab.consoles.clear(hostname);
    },
  };
}
