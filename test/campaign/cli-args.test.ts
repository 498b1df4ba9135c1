import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { readUserData, USER_DATA_LIMIT } from '../../src/cli/user-data.ts';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { bounded, expectClean, KEY } from './clean.ts';
import { capture } from '../cli/capture.ts';

/**
 * CLI arguments, in this process (main() as the binary runs it): each bad line is refused before
 * any runner is asked, naming the flag or argument and what it needs.
 */
const d = mkdtempSync(join(tmpdir(), 'rp-campaign-cli-'));
const store = join(d, 'store.json');
const env = {
  HOME: d,
  RACKPILOT_ENV_FILE: '',
  RACKPILOT_LAB: 'off',
  MAAS_URL: 'http://127.0.0.1:9/MAAS',
  MAAS_API_KEY: KEY,
  RACKPILOT_STORE: store,
};
const dir = join(d, 'user-data-dir');
mkdirSync(dir);
const big = join(d, 'big.yaml');
writeFileSync(big, Buffer.alloc(USER_DATA_LIMIT + 1, 0x61));

type Case = [argv: string[], names: RegExp];
const CASES: Case[] = [
  [['frobnicate'], /unknown command "frobnicate"/],
  [['hosts', '--bogus'], /--bogus/],
  [['hosts', '--json=yes'], /--json/],
  // Required flags: the message names the flag and what it needs.
  [['offering', 'add', 'x', '--cores', '1', '--memory', '1'], /--mhz: is required/],
  [['offering', 'add', 'x', '--mhz', '1', '--memory', '1'], /--cores: is required/],
  [['offering', 'add', 'x', '--cores', '1', '--mhz', '1'], /--memory: is required/],
  [['offering', 'add', 'x', '--cores', 'many', '--mhz', '1', '--memory', '1'], /--cores: .*whole number/],
  [['offering', 'add', 'x', '--cores', '-1', '--mhz', '1', '--memory', '1'], /--cores/],
  [['offering', 'add', 'x', '--cores', '1.5', '--mhz', '1', '--memory', '1'], /--cores/],
  [['offering', 'add', 'x', '--cores', '99999999999', '--mhz', '1', '--memory', '1'], /--cores/],
  [['offering', 'add', '--cores', '1', '--mhz', '1', '--memory', '1'], /NAME|name/],
  [['offering', 'frob'], /offering|usage/],
  [['template', 'add', 'x'], /--image: is required/],
  [['template', 'add', 'x', '--image'], /--image/],
  [['template', 'add', '--image', 'ubuntu/jammy'], /NAME|name/],
  [['template', 'frob'], /template|usage/],
  [['network', 'add', 'n1'], /--vlan: is required/],
  [['network', 'add', 'n1', '--vlan', '0'], /--vlan/],
  [['network', 'add', 'n1', '--vlan', '4095'], /--vlan/],
  [['network', 'add', 'n1', '--vlan', 'ten'], /--vlan/],
  [['network', 'add', 'n1', '--vlan', '-3'], /--vlan/],
  [['network', 'frob'], /network|usage/],
  [['deploy', 'vm1', '--offering', 'o', '--template', 't'], /--network: is required/],
  [['deploy', 'vm1', '--template', 't', '--network', 'n'], /--offering: is required/],
  [['deploy', 'vm1', '--offering', 'o', '--network', 'n'], /--template: is required/],
  [['deploy', '--offering', 'o', '--template', 't', '--network', 'n'], /NAME|name/],
  [['deploy', 'vm1', '--offering', 'o', '--template', 't', '--network', 'n', '--mac', 'zz'], /--mac/],
  [
    ['deploy', 'vm1', '--offering', 'o', '--template', 't', '--network', 'n', '--user-data', dir],
    /--user-data .* is a directory/,
  ],
  [
    ['deploy', 'vm1', '--offering', 'o', '--template', 't', '--network', 'n', '--user-data', big],
    /--user-data .* MiB; at most 1 MiB/,
  ],
  [
    ['deploy', 'vm1', '--offering', 'o', '--template', 't', '--network', 'n', '--user-data', join(d, 'nope')],
    /--user-data .*no such file/,
  ],
  [['host', 'add', '--mac', '52:54:00:00:00:01'], /--hostname/],
  [
    ['host', 'add', '--hostname', 'h1', '--mac', 'nonsense', '--cores', '1', '--mhz', '1', '--memory', '1'],
    /--mac/,
  ],
  [['host', 'add', '--hostname', 'bad name', '--cores', '1', '--mhz', '1', '--memory', '1'], /--hostname/],
  [['host', 'add', '--hostname', 'h1', '--cores', '1', '--mhz', '1'], /--memory/],
  [
    [
      'host',
      'add',
      '--hostname',
      'h1',
      '--ipmi',
      'host:notaport',
      '--cores',
      '1',
      '--mhz',
      '1',
      '--memory',
      '1',
    ],
    /--ipmi/,
  ],
  [['host', 'frob'], /host|usage/],
  [['start'], /NAME|name|usage/],
  [['stop', '--now', 'vm1'], /--now/],
  [['attach', 'vm1'], /NETWORK|network|usage/],
  [['detach'], /NAME|name|usage/],
  [['task', 'show'], /ID|id|usage/],
  [['task', 'frob', 'x'], /task|usage/],
  [['tasks', '--limit', 'x'], /--limit/],
  [['ipmi'], /HOST|usage/],
  [['ipmi', 'h1', 'power', 'explode'], /explode|power|usage/],
  [['ipmi', 'h1', 'bootdev', 'floppy'], /floppy|bootdev|usage/],
  [['ipmi', 'h1', 'dance'], /dance|usage/],
  [['runner', 'frob'], /runner|usage/],
  [['runner', 'logs', '-n', 'many'], /-n|lines|LINES|usage/],
  [['doctor'], /HOST|usage/],
  [['doctor', 'h1', '--fix', 'everything'], /--fix/],
  [['inspect'], /HOST|usage/],
  [['cabling'], /RACK|usage/],
  [['lab', '--hosts', '0'], /--hosts/],
  [['lab', '--hosts', 'lots'], /--hosts/],
  [['lab', '--racks', '100'], /--racks/],
  [['lab', '--time-scale', '-1'], /--time-scale/],
  [['lab', '--time-scale', '1000'], /--time-scale/],
  [['lab', '--seed', 'x'], /--seed/],
  [['lab', '--env-out', '/etc/passwd/x/lab.env'], /--env-out .*\/etc\/passwd is a file/],
  [['lab', '--env-out', d], /--env-out .* is a directory/],
  [['rack', 'validate'], /FILE|usage/],
  [['rack', 'validate', join(d, 'missing.json')], /missing\.json/],
  [['rack', 'frob'], /rack|usage/],
];

const reachedRunner: string[] = [];

describe('bad command lines name the flag', () => {
  afterAll(() => stopRunnersUnder(d));

  it.each(CASES.map(([argv, re]) => [argv.join(' ').replace(d, '$D'), argv, re] as const))(
    '%s',
    async (_l, argv, names) => {
      const io = capture();
      const before = existsSync(runnerPaths(store).pidFile);
      const code = await bounded(main(argv, io, env), 10_000, argv.join(' '));
      expect(code).not.toBe(0);
      expectClean(io.err(), names);
      if (!before && existsSync(runnerPaths(store).pidFile)) reachedRunner.push(argv.join(' '));
      expect(
        io
          .err()
          .trim()
          .split('\n')
          .filter((l) => /^rackpilot/.test(l)).length,
      ).toBeLessThanOrEqual(1);
    },
  );

  it('none of them needed the runner (each was refused before any request)', () => {
    expect(reachedRunner).toEqual([]);
  });

  it('--user-data: a directory, a file over 1 MiB and a missing file are refused by name', () => {
    expect(() => readUserData(dir)).toThrow(/--user-data .* is a directory/);
    expect(() => readUserData(big)).toThrow(/--user-data .* is 1\.0 MiB; at most 1 MiB/);
    expect(() => readUserData(join(d, 'nope'))).toThrow(/no such file/);
  });
});

export const CLI_CASES = CASES.length + 3;
