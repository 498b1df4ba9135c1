import { EventEmitter } from 'node:events';
import type { LabSpec } from './spec.ts';

/**
 * The physical truth the lab's three peers share, as real gear shares a datacenter:
 * the BMC changes power and boot device, the switch changes port VLANs, and the lab MaaS
 * only makes progress when a host is powered on, booting from PXE, on the PXE VLAN.
 */
export type BootDevice = 'none' | 'pxe' | 'disk' | 'cdrom' | 'bios';

export interface HostPhysical {
  power: 'on' | 'off';
  bootDevice: BootDevice;
  bootPersistent: boolean;
  bootEfi: boolean;
  /** Epoch ms of the last power transition; the lab MaaS uses it to time boots. */
  powerChangedAt: number;
  /**
   * What the host booted from at its last power-on (a one-time override is consumed by that boot;
   * with no override the BIOS order starts from the local disk). Undefined while off.
   */
  bootedFrom?: BootDevice;
  /** The running software stopped (a kernel panic): powered, but answering nobody until power changes. */
  halted?: boolean;
  /**
   * Network boot is off in the firmware (the NIC's PXE option ROM disabled, or a UEFI that skips a
   * boot override): a PXE override is consumed and ignored, and the host starts from its disk.
   */
  netbootDisabled?: boolean;
}

export interface PortState {
  untagged: number;
  tagged: Set<number>;
  /** Dell OS9 requires `switchport` before a port joins a VLAN. */
  layer2: boolean;
}

export type WorldEvent =
  | { kind: 'power'; hostname: string; power: 'on' | 'off'; source: string }
  | { kind: 'boot'; hostname: string; bootDevice: BootDevice; persistent: boolean; efi: boolean }
  | { kind: 'port'; switch: string; port: string; state: PortState };

export class LabWorld {
  readonly spec: LabSpec;
  readonly hosts = new Map<string, HostPhysical>();
  readonly ports = new Map<string, PortState>();
  private readonly emitter = new EventEmitter();

  constructor(spec: LabSpec) {
    this.spec = spec;
    this.emitter.setMaxListeners(0);
    const pxeBySwitch = new Map(spec.switches.map((s) => [s.name, s.pxeVlan]));
    for (const sw of spec.switches) {
      for (const port of sw.ports) {
        this.ports.set(portKey(sw.name, port), { untagged: sw.pxeVlan, tagged: new Set(), layer2: true });
      }
    }
    for (const h of spec.hosts) {
      this.hosts.set(h.hostname, {
        power: 'off',
        bootDevice: 'pxe',
        bootPersistent: false,
        bootEfi: false,
        powerChangedAt: Date.now(),
      });
      for (const nic of h.nics) {
        if (!pxeBySwitch.has(nic.switch))
          throw new Error(`host ${h.hostname} cabled to unknown switch ${nic.switch}`);
      }
    }
  }

  on(listener: (e: WorldEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  host(hostname: string): HostPhysical {
    const h = this.hosts.get(hostname);
    if (!h) throw new Error(`no lab host ${hostname}`);
    return h;
  }

  setPower(hostname: string, power: 'on' | 'off', source: string): void {
    const h = this.host(hostname);
    if (h.power === power) return;
    h.power = power;
    h.powerChangedAt = Date.now();
    h.halted = false;
    if (power === 'on') {
      const dev = this.consumeBootOnce(hostname);
      h.bootedFrom = dev === 'none' || dev === 'bios' || (dev === 'pxe' && h.netbootDisabled) ? 'disk' : dev;
    } else {
      h.bootedFrom = undefined;
    }
    this.emitter.emit('event', { kind: 'power', hostname, power, source } satisfies WorldEvent);
  }

  setBoot(hostname: string, bootDevice: BootDevice, persistent: boolean, efi: boolean): void {
    const h = this.host(hostname);
    Object.assign(h, { bootDevice, bootPersistent: persistent, bootEfi: efi });
    this.emitter.emit('event', { kind: 'boot', hostname, bootDevice, persistent, efi } satisfies WorldEvent);
  }

  /** The host's software stops (kernel panic): MaaS hears nothing more from it until power changes. */
  halt(hostname: string): void {
    this.host(hostname).halted = true;
  }

  /** A one-time boot override is consumed by the next boot, as on real BMCs. */
  consumeBootOnce(hostname: string): BootDevice {
    const h = this.host(hostname);
    const dev = h.bootDevice;
    if (!h.bootPersistent && dev !== 'none') {
      h.bootDevice = 'none';
    }
    return dev;
  }

  /** The OS on the host's disk (set by a finished MaaS deployment, cleared by a disk erase). */
  readonly installedOs = new Map<string, string>();

  setInstalledOs(hostname: string, os: string | undefined): void {
    this.host(hostname);
    if (os === undefined) this.installedOs.delete(hostname);
    else this.installedOs.set(hostname, os);
  }

  /** The host's own OS restarts it (no BMC involved): off, then on through the BIOS boot order. */
  reboot(hostname: string, source: string): void {
    this.setPower(hostname, 'off', source);
    this.setPower(hostname, 'on', source);
  }

  /** The tenant's workload is up: powered on, booted from a disk with an OS, on its tenant VLAN. */
  isRunning(hostname: string): boolean {
    const h = this.host(hostname);
    return (
      h.power === 'on' &&
      h.bootedFrom === 'disk' &&
      this.installedOs.has(hostname) &&
      !this.onPxeNetwork(hostname)
    );
  }

  port(switchName: string, port: string): PortState {
    const p = this.ports.get(portKey(switchName, port));
    if (!p) throw new Error(`no port ${port} on lab switch ${switchName}`);
    return p;
  }

  updatePort(switchName: string, port: string, change: (p: PortState) => void): void {
    const p = this.port(switchName, port);
    change(p);
    this.emitter.emit('event', { kind: 'port', switch: switchName, port, state: p } satisfies WorldEvent);
  }

  /** True when every cabled NIC of the host is untagged on its switch's PXE VLAN: MaaS can reach it. */
  onPxeNetwork(hostname: string): boolean {
    const h = this.spec.hosts.find((x) => x.hostname === hostname);
    if (!h) return false;
    return h.nics.every((nic) => {
      const sw = this.spec.switches.find((s) => s.name === nic.switch)!;
      return this.port(nic.switch, nic.port).untagged === sw.pxeVlan;
    });
  }
}

export function portKey(switchName: string, port: string): string {
  return `${switchName}|${port}`;
}
