import { linkSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { pidAlive } from '../util/pid.ts';

/**
 * The runner's lock: a file holding the owner's pid, created atomically with its content
 * (written to a private file, then hard-linked into place: link fails if the lock exists), so a
 * racing starter never reads a half-written lock and mistakes it for a stale one. A lock whose pid
 * is gone is moved aside and taken over.
 */
export type PidLock =
  { ok: true; release: () => void; takenOverFrom: number | null } | { ok: false; owner: number };

export function acquirePidLock(path: string): PidLock {
  const mine = `${path}.${process.pid}.tmp`;
  writeFileSync(mine, `${process.pid}\n`, { mode: 0o600 });
  let takenOverFrom: number | null = null;
  try {
    for (let tries = 0; tries < 5; tries++) {
      try {
        linkSync(mine, path);
        let released = false;
        return {
          ok: true,
          takenOverFrom,
          release: () => {
            if (released) return;
            released = true;
            try {
              if (readFileSync(path, 'utf8').trim() === String(process.pid)) rmSync(path, { force: true });
            } catch {
              // already gone
            }
          },
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      let owner = Number.NaN;
      try {
        owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      } catch {
        continue; // removed meanwhile: try again
      }
      if (Number.isInteger(owner) && owner > 0 && pidAlive(owner)) return { ok: false, owner };
      // Stale: move it aside under a name of our own; only one starter's rename can succeed.
      try {
        renameSync(path, `${path}.stale.${process.pid}`);
        rmSync(`${path}.stale.${process.pid}`, { force: true });
        takenOverFrom = Number.isInteger(owner) ? owner : null;
      } catch {
        // another starter moved it first
      }
    }
    throw new Error(`cannot take the lock ${path}: it keeps changing`);
  } finally {
    rmSync(mine, { force: true });
  }
}
