/**
 * IPMI v2.0 over LAN (RMCP+, cipher suites 3 and 17) for rackpilot.
 *
 *   const ipmi = new IpmiClient();                       // one UDP socket for every BMC
 *   const t = { host: '10.0.0.5', username: 'admin', password, name: 'r01-n001' };
 *   await ipmi.powerStatus(t);                           // 'on' | 'off'
 *   await ipmi.power(t, 'cycle');                        // on | off | soft | cycle | reset
 *   await ipmi.setBootDevice(t, { device: 'pxe', persistent: false, efi: true });
 *   await ipmi.close();
 *
 * Failures are IpmiError (an OperatorError): kind timeout | auth | session | completion | closed,
 * `target` = the BMC's name.
 */
export {
  IpmiClient,
  type IpmiClientOptions,
  type BootDeviceRequest,
  type PowerCommandEvent,
} from './client.ts';
export { IpmiError, type IpmiErrorKind } from './errors.ts';
export { targetName, type IpmiTarget, type RetryPolicy } from './session.ts';
export { bootDeviceLabel } from './commands.ts';
export { SolConsole, isSolActiveElsewhere, type SolHandlers, type SolOptions } from './sol.ts';
export type {
  PowerAction,
  PowerState,
  BootFlags,
  BootDeviceName,
  DeviceId,
  ChassisStatus,
} from './commands.ts';
