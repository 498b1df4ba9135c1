import type { DialectName } from '../target.ts';
import { eos, nxos } from './cisco.ts';
import { force10 } from './force10.ts';
import { os10 } from './os10.ts';
import type { Dialect } from './types.ts';

export type { Dialect, PortStatus } from './types.ts';

export const DIALECT_MODULES: Record<DialectName, Dialect> = { force10, os10, nxos, eos };

export function dialectFor(name: DialectName): Dialect {
  return DIALECT_MODULES[name];
}
