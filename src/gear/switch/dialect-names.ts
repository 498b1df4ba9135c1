/**
 * The switch dialects rackpilot speaks, declared once: the rack file, the lab and the switch
 * client all take the names from here.
 */
export const DIALECTS = ['force10', 'os10', 'nxos', 'eos'] as const;
export type DialectName = (typeof DIALECTS)[number];
