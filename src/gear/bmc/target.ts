import type { IpmiTarget } from '../ipmi/session.ts';
import type { RedfishTarget } from '../redfish/client.ts';

/** Which BMC to talk to and how, whatever its protocol (resolved from the site by src/runner/site/bmc-target.ts). */
export type BmcTarget =
  | { protocol: 'ipmi'; name: string; key: string; ipmi: IpmiTarget }
  | { protocol: 'redfish'; name: string; key: string; redfish: RedfishTarget };
