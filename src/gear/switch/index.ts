/**
 * ToR switches over SSH. Workflows use `SwitchService`; everything else is its parts.
 *
 *   const switches = new SwitchService({ knownHostsPath });
 *   await switches.apply(target, [{ port: '1/1/1', op: 'access', vlan: 100 }], { signal });
 *   switches.plan(target, changes);            // exact CLI lines, no connection
 *   await switches.showPort(target, '1/1/1');  // { layer2, untagged, tagged }
 *   await switches.close();
 */
export { SwitchService } from './service.ts';
export type { ApplyResult, PortResult, PortView, SwitchServiceOptions } from './service.ts';
export { SwitchError } from './errors.ts';
export type { SwitchErrorKind } from './errors.ts';
export {
  DIALECTS,
  PortChangeSchema,
  SwitchTargetSchema,
  parseSwitchTarget,
  type DialectName,
  type MacEntry,
  type PortChange,
  type PortOp,
  type PortVlans,
  type SwitchTarget,
  type SwitchTargetInput,
  type VlanEntry,
} from './target.ts';
export { dialectFor, DIALECT_MODULES, type Dialect, type PortStatus } from './dialects/index.ts';
export { SwitchSession, type SessionOptions } from './session.ts';
export { fingerprintOf } from './hostkeys.ts';
