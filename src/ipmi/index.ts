export {
  IpmiClient,
  type IpmiClientOptions,
  type BootDeviceRequest,
  type PowerCommandEvent,
} from './client.ts';
export { IpmiError, type IpmiErrorKind } from './errors.ts';
export { targetName, type IpmiTarget, type RetryPolicy } from './session.ts';
export {
  sweepPower,
  mapLimit,
  PowerWatcher,
  type PowerResult,
  type PowerChange,
  type PowerWatcherOptions,
  type SweepOptions,
  type WatchedPower,
} from './sweep.ts';
export type {
  PowerAction,
  PowerState,
  BootFlags,
  BootDeviceName,
  DeviceId,
  ChassisStatus,
} from './commands.ts';
