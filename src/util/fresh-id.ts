import { randomBytes } from 'node:crypto';

/**
 * A record id of 32 random bits after `prefix-`, drawn again while `taken` says a live record has
 * it. Ids are short because operators read and type them; at 32 bits two live records meet about
 * once in 40 million draws among a hundred, which is rare, not never, so a clash is drawn again
 * instead of refusing the change it belongs to.
 */
export function freshId(
  prefix: string,
  taken: (id: string) => boolean,
  random: () => Buffer = () => randomBytes(4),
): string {
  for (;;) {
    const id = `${prefix}-${random().toString('hex')}`;
    if (!taken(id)) return id;
  }
}
