/**
 * The switch operating systems rackpilot speaks (Force10 OS9, OS10, NX-OS, EOS), declared once:
 * the rack file, the lab, the runner protocol and the switch client take the names from here,
 * without loading the client itself.
 */
export const DIALECTS = ['force10', 'os10', 'nxos', 'eos'] as const;
export type DialectName = (typeof DIALECTS)[number];
