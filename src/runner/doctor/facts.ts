import type { StageHistory } from './history.ts';

/** What the doctor reads of a host, gathered by gather.ts: its input, without I/O. */

export interface DoctorEvent {
  id: number;
  /** Epoch ms (parsed from MaaS's "Fri, 07 Dec. 2018 20:11:08"), NaN when unparsable. */
  at: number;
  created: string;
  level: string;
  type: string;
  description: string;
}

export interface DoctorFacts {
  hostname: string;
  now: number;
  maas:
    | {
        systemId: string;
        status: number;
        statusName: string;
        statusMessage: string;
        powerState: string;
        bootInterfaceMac: string | null;
        /** The bond's MAC when the NICs are bonded: the instance MAC is set there, not on a member. */
        bondMac?: string | null;
        /** The reason an operator or MaaS gave when marking it broken or failed. */
        errorDescription?: string;
        /** Total disk size in bytes (MaaS `storage`), for the erase estimate. */
        diskBytes?: number | null;
      }
    | { error: string }
    | null;
  /** Newest first, level DEBUG (PXE/TFTP requests, power changes, curtin progress included). */
  events: DoctorEvent[];
  curtin: { status: string; lines: string[] } | null;
  /** This site's stage durations (the runner's history), null when none is kept. */
  history?: StageHistory | null;
  /**
   * Lines from further evidence sources (the BMC's serial console, …), each with its source. The
   * rules read curtin's and cloud-init's words in them as they read MaaS's log.
   */
  extra?: { source: string; at: number | null; text: string }[];
  /** Why the host's console was not read (no SOL, held elsewhere with nothing relayed, …). */
  consoleUnread?: string;
  /** 1 for a real region; the lab's RACKPILOT_TIME_SCALE (its MaaS runs durations and timeouts scaled). */
  timeScale?: number;
  /**
   * The BMC's answer; `origin` names it and where its details came from ("IPMI 10.0.0.5, from
   * MaaS"). `unknown`: a BMC is known but its details cannot be used.
   */
  bmc:
    | {
        answer: 'ok';
        origin?: string;
        power: 'on' | 'off';
        boot: { device: string; valid: boolean; persistent: boolean };
      }
    | { answer: 'unreachable' | 'auth'; origin?: string; error: string }
    | { answer: 'unknown'; error: string }
    | null;
  /** The BMC sweep's flag: a change nobody explained, with when. */
  outOfBand: { at: number; from: string; to: string } | null;
  ports: {
    switch: string;
    port: string;
    pxeVlan: number | null;
    untagged?: number | null;
    tagged?: number[];
    error?: string;
  }[];
  macs: { mac: string; switch: string; port: string; learnedOn?: string | null; error?: string }[];
  /** The instance's MAC when an instance is (being) deployed on the host. */
  instanceMac: string | null;
  /** The task holding the host (or the last one that ran on it). */
  task: { id: string; kind: string; state: string; step: string | null; error: string | null } | null;
}

/** An instant as the doctor's text shows it: ISO 8601 to the second. */
export function iso(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
