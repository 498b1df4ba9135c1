import type { RelayPos } from './relay-chunks.ts';

/**
 * The site-wide guard of a BMC's one SOL session. With several jump hosts, each runner would open
 * its own session and the BMC would refuse the second ("payload already active on another
 * session") or, worse, a forced activation would throw the first viewer out. The guard lets one
 * runner hold a host's console at a time; the others follow it read-only through the relay: the
 * holder publishes what the console prints while another jump host follows it.
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
  /** What the console this runner holds printed (relayed while another jump host follows it). */
  publish(hostname: string, data: Buffer): void;
  /** Follow (or stop following) the console another jump host holds: its output is relayed here. */
  follow(hostname: string, on: boolean): void;
  /** Relayed output came for a host (read it with relayedSince). */
  onRelayed(fn: (hostname: string) => void): () => void;
  /** The relayed bytes after a position, and the new position. */
  relayedSince(hostname: string, pos: RelayPos | undefined): { data: Buffer; pos: RelayPos | undefined };
  close?(): void;
}
