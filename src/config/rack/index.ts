export {
  parseRackFile,
  validateRackObject,
  emptyRack,
  loadRackFile,
  loadRackFileOrThrow,
  RackFileError,
  MAX_RACK_FILE_BYTES,
} from './parse.ts';
export { Topology, type CabledNic, type RackHost, type RackSummary } from './topology.ts';
export { resolveSwitchPassword, resolveBmcPassword, missingPasswordEnv } from './passwords.ts';
export { normaliseMac } from './mac.ts';
export { parsePort, switchTypeFor, SWITCH_TYPES, KNOWN_SWITCH_TYPES, type ParsedPort } from './ports.ts';
export { parseVlanList, isVlanId, vlanInRanges, type VlanRange } from './vlans.ts';
export type { Rack, RackEntry, RackSwitch, RackNic, RackBmc, RackError, RackParseResult } from './types.ts';
export { switchTargetInput } from './switch-target.ts';
export type { RackFileInput, BootMethod } from './schema.ts';
export { BOOT_METHODS } from './schema.ts';
