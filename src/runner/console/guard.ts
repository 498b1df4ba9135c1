/**
 * The site-wide guard of a BMC's one SOL session. With several jump hosts, each runner would open
 * its own session and the BMC would refuse the second ("payload already active on another
 * session") or, worse, a forced activation would throw the first viewer out. The guard lets one
 * runner hold a host's console at a time; the others tell their viewers which jump host holds it.
 */
export interface ConsoleGuard {
  /** Claims the host's console for this runner: null when this runner now holds it, else who does. */
  claim(hostname: string): Promise<string | null>;
  /** Gives the claim back (the session is closed). */
  release(hostname: string): Promise<void>;
  /** Another runner's claim of a host went (released, or its lease ended): the host is free. */
  onFreed(fn: (hostname: string) => void): () => void;
  /** This runner's claims are all gone (its lease ended): its sessions must close. */
  onLost(fn: () => void): () => void;
}
