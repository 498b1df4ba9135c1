/** MaaS's words that cross into the protocol and the settings, declared once (no I/O here). */

/** How to wipe disks on release; `none` releases without erasing. */
export const ERASE_MODES = ['full', 'quick', 'secure', 'none'] as const;
export type EraseMode = (typeof ERASE_MODES)[number];
