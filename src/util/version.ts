import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * rackpilot's version, commit and build date. A build (src/bin/build.js) writes them into the
 * bundle; from sources they are read from package.json and git, and the date says so.
 */
declare const __RACKPILOT_BUILD__: { version: string; commit: string; date: string } | undefined;

export interface BuildInfo {
  version: string;
  commit: string;
  date: string;
}

export function buildInfo(): BuildInfo {
  if (typeof __RACKPILOT_BUILD__ !== 'undefined') return __RACKPILOT_BUILD__;
  const root = new URL('../../', import.meta.url);
  let version = 'unknown';
  try {
    version = (JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string })
      .version;
  } catch {
    // a copy of the sources without package.json: the version stays unknown
  }
  let commit = 'unknown';
  try {
    commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 2000,
    }).trim();
  } catch {
    // not a git checkout
  }
  return { version, commit, date: '' };
}

export function versionText(info: BuildInfo = buildInfo()): string {
  return `rackpilot ${info.version} (commit ${info.commit}, ${info.date ? `built ${info.date}` : 'running from the sources'})`;
}
