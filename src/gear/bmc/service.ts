/**
 * One BMC interface over both protocols: power status and changes, boot device. IPMI targets go
 * to the IPMI client (one UDP socket, sessions kept), Redfish ones to the Redfish client (keep-alive
 * pools, sessions kept); callers never branch on the protocol.
 */
import type { IpmiClient } from '../ipmi/client.ts';
import type { RedfishClient } from '../redfish/client.ts';
import type { BootReading, BootSetting, PowerAction } from './vocabulary.ts';
import type { BmcTarget } from './target.ts';

export interface BmcPowerEvent {
  /** BmcTarget.key of the BMC the command went to. */
  key: string;
  action: PowerAction;
  at: number;
}

export class BmcService {
  constructor(
    readonly ipmi: IpmiClient,
    readonly redfish: RedfishClient,
  ) {}

  powerStatus(t: BmcTarget, signal?: AbortSignal): Promise<'on' | 'off'> {
    return t.protocol === 'redfish'
      ? this.redfish.powerStatus(t.redfish, signal)
      : this.ipmi.powerStatus(t.ipmi, signal);
  }

  async power(t: BmcTarget, action: PowerAction, signal?: AbortSignal): Promise<void> {
    if (t.protocol === 'redfish') await this.redfish.power(t.redfish, action, signal);
    else await this.ipmi.power(t.ipmi, action, signal);
  }

  async setBootDevice(t: BmcTarget, boot: BootSetting, signal?: AbortSignal): Promise<void> {
    if (t.protocol === 'redfish') await this.redfish.setBootDevice(t.redfish, boot, signal);
    else await this.ipmi.setBootDevice(t.ipmi, boot, signal);
  }

  async getBootDevice(t: BmcTarget, signal?: AbortSignal): Promise<BootReading> {
    if (t.protocol === 'redfish') {
      const b = await this.redfish.getBootDevice(t.redfish, signal);
      return { ...b, device: b.device as BootReading['device'] };
    }
    return this.ipmi.getBootDevice(t.ipmi, signal);
  }

  /** Every power command either client sent, keyed like BmcTarget.key (the power sweep's "ours"). */
  onPowerCommand(listener: (e: BmcPowerEvent) => void): () => void {
    const offIpmi = this.ipmi.onPowerCommand((e) =>
      listener({
        key: `ipmi:${e.target.host.toLowerCase()}:${e.target.port ?? 623}`,
        action: e.action,
        at: e.at,
      }),
    );
    const offRedfish = this.redfish.onPowerCommand((e) =>
      listener({
        key: `redfish:${e.target.host.toLowerCase()}:${e.target.port ?? (e.target.scheme === 'http' ? 80 : 443)}`,
        action: e.action,
        at: e.at,
      }),
    );
    return () => {
      offIpmi();
      offRedfish();
    };
  }

  async close(): Promise<void> {
    await Promise.all([
      this.ipmi.close().catch(() => undefined),
      this.redfish.close().catch(() => undefined),
    ]);
  }
}
