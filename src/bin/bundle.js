// The command line as one bundle in dist/: built by `npm run build` (and by `npm install`, through
// `prepare`), run by bin/rackpilot.js while it is fresh. Plain JavaScript: the entry point reads it
// before any TypeScript loader exists.
import { readFileSync, statSync } from 'node:fs';

export const ROOT = new URL('../../', import.meta.url);
export const DIST = new URL('dist/', ROOT);
export const ENTRY = new URL('cli.js', DIST);
export const INPUTS = new URL('inputs.json', DIST);

/**
 * True when the bundle was built after every file it was built from last changed: any source
 * edited, moved or deleted since (a checkout being worked on) makes it stale, and the sources run
 * instead. Both readers are injectable for tests.
 *
 * @param {() => string} read the build's record (dist/inputs.json)
 * @param {(url: URL) => { mtimeMs: number }} stat
 */
export function bundleIsFresh(read = () => readFileSync(INPUTS, 'utf8'), stat = (url) => statSync(url)) {
  let record;
  try {
    record = JSON.parse(read());
  } catch {
    return false;
  }
  if (typeof record?.builtAt !== 'number' || !Array.isArray(record.inputs) || record.inputs.length === 0)
    return false;
  try {
    return record.inputs.every((input) => stat(new URL(input, ROOT)).mtimeMs <= record.builtAt);
  } catch {
    return false;
  }
}
