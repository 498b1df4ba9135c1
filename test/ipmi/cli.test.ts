import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipmiCommand, type BmcReader, type IpmiChange } from '../../src/cli/ipmi.ts';
import type { CommandIo } from '../../src/cli/io.ts';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { startLab, type Lab } from './helpers.ts';

/**
 * The command's parsing, text and JSON over a reader that asks the lab BMCs with the IPMI client,
 * as the runner's reads do (test/runner/gear-reads.test.ts runs the command through a runner).
 * Changes are handed on as tasks: here they are recorded.
 */
let lab: Lab;
let client: IpmiClient;
const changes: IpmiChange[] = [];
beforeAll(async () => {
  lab = await startLab(2, { softOffDelayMs: 10 });
  client = new IpmiClient({ timeoutMs: 200, retries: 2 });
});
afterAll(async () => {
  await client.close();
  await lab.bmcs.close();
});

const reader: BmcReader = {
  power: (host) => client.powerStatus(targetOf(host)),
  bootdev: (host) => client.getBootDevice(targetOf(host)),
  info: (host) => client.deviceId(targetOf(host)),
};

function targetOf(host: string) {
  if (host === 'ghost') throw new OperatorError("host ghost is not in rackpilot's store");
  return lab.target(host);
}

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  };
  const code = await ipmiCommand(argv, {
    io,
    reader,
    change: async (c) => {
      changes.push(c);
      return 0;
    },
  });
  return { code, stdout, stderr };
}

describe('rackpilot ipmi', () => {
  it('power status in text and JSON', async () => {
    const h = lab.targets[0]!.name!;
    expect(await run([h, 'power', 'status'])).toMatchObject({ code: 0, stdout: `${h}: power off\n` });
    lab.world.setPower(h, 'on', 'test');
    const st = await run([h, 'power', 'status', '--json']);
    expect(JSON.parse(st.stdout)).toEqual({ host: h, power: 'on' });
  });

  it('changes are handed on as tasks, never sent from here', async () => {
    const h = lab.targets[1]!.name!;
    changes.length = 0;
    const before = lab.world.host(h).power;
    expect((await run([h, 'power', 'cycle'])).code).toBe(0);
    expect((await run([h, 'bootdev', 'disk', '--persistent', '--efi'])).code).toBe(0);
    expect(changes).toEqual([
      { host: h, verb: 'power', action: 'cycle' },
      { host: h, verb: 'bootdev', device: 'disk', persistent: true, efi: true },
    ]);
    expect(lab.world.host(h).power).toBe(before);
  });

  it('bootdev show and info in text and JSON', async () => {
    const h = lab.targets[1]!.name!;
    const show = await run([h, 'bootdev', 'show']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(
      new RegExp(`^${h}: boot device \\S+.*, (persistent|next boot only), (EFI|legacy)\n$`),
    );
    const json = JSON.parse((await run([h, 'bootdev', 'show', '--json'])).stdout);
    expect(Object.keys(json)).toEqual(['host', 'bootDevice', 'valid', 'persistent', 'efi']);
    const info = await run([h, 'info', '--json']);
    expect(JSON.parse(info.stdout)).toMatchObject({ host: h, ipmiVersion: '2.0' });
    expect((await run([h, 'info'])).stdout).toMatch(new RegExp(`^${h}: IPMI 2\\.0, firmware `));
  });

  it('refuses passwords on the command line', async () => {
    const r = await run([lab.targets[0]!.name!, 'power', 'status', '-P']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/never taken from the command line/);
  });

  it('validates host names and verbs', async () => {
    expect((await run(['r01;reboot', 'power', 'status'])).code).toBe(2);
    expect((await run([lab.targets[0]!.name!, 'power', 'explode'])).code).toBe(2);
    expect((await run([lab.targets[0]!.name!, 'power', 'on', '--efi'])).code).toBe(2);
    expect((await run([])).stderr).toContain('usage: rackpilot ipmi');
  });

  it('unknown host and unreachable BMC are operator errors with exit code 1', async () => {
    expect(await run(['ghost', 'power', 'status'])).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("host ghost is not in rackpilot's store"),
    });
    const h = lab.targets[0]!.name!;
    lab.bmcs.faults.set(h, { dead: true });
    const r = await run([h, 'power', 'status', '--json']);
    lab.bmcs.faults.clear(h);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ host: h, kind: 'timeout' });
  });
});
