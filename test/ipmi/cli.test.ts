import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ipmiCommand, bmcTargetFromEnv } from '../../src/cli/ipmi.ts';
import type { CommandIo } from '../../src/cli/io.ts';
import { startLab, type Lab } from './helpers.ts';

let lab: Lab;
beforeAll(async () => {
  lab = await startLab(2, { softOffDelayMs: 10 });
});
afterAll(async () => {
  await lab.bmcs.close();
});

async function run(argv: string[]) {
  let stdout = '';
  let stderr = '';
  const io: CommandIo = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
  };
  const code = await ipmiCommand(argv, {
    io,
    resolveTarget: (host) => (host === 'ghost' ? undefined : lab.target(host)),
    clientOptions: { timeoutMs: 200, retries: 2 },
  });
  return { code, stdout, stderr };
}

describe('rackpilot ipmi', () => {
  it('power status, on, off in text and JSON', async () => {
    const h = lab.targets[0]!.name!;
    expect(await run([h, 'power', 'status'])).toMatchObject({ code: 0, stdout: `${h}: power off\n` });
    expect((await run([h, 'power', 'on', '--json'])).stdout).toContain('"ok": true');
    expect(lab.world.host(h).power).toBe('on');
    const st = await run([h, 'power', 'status', '--json']);
    expect(JSON.parse(st.stdout)).toEqual({ host: h, power: 'on' });
    expect((await run([h, 'power', 'cycle'])).code).toBe(0);
    expect((await run([h, 'power', 'off'])).code).toBe(0);
    expect(lab.world.host(h).power).toBe('off');
  });

  it('bootdev pxe, disk --persistent --efi, show', async () => {
    const h = lab.targets[1]!.name!;
    const pxe = await run([h, 'bootdev', 'pxe']);
    expect(pxe).toMatchObject({ code: 0, stdout: `${h}: boot device pxe, next boot only, legacy\n` });
    const disk = await run([h, 'bootdev', 'disk', '--persistent', '--efi', '--json']);
    expect(JSON.parse(disk.stdout)).toEqual({
      host: h,
      bootDevice: 'disk',
      valid: true,
      persistent: true,
      efi: true,
    });
    expect(lab.world.host(h)).toMatchObject({ bootDevice: 'disk', bootPersistent: true, bootEfi: true });
    expect((await run([h, 'bootdev', 'show'])).stdout).toContain('disk, persistent, EFI');
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
      stderr: expect.stringContaining('no BMC known for host ghost'),
    });
    const h = lab.targets[0]!.name!;
    lab.bmcs.faults.set(h, { dead: true });
    const r = await run([h, 'power', 'status', '--json']);
    lab.bmcs.faults.clear(h);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ host: h, kind: 'timeout' });
  });

  it('builds targets from a rack-file BMC entry with the password from the environment', () => {
    const bmc = { address: '10.0.0.5', username: 'admin', passwordEnv: 'RACKPILOT_BMC_PASS_X' };
    expect(bmcTargetFromEnv('x', bmc, {})).toBeUndefined();
    expect(bmcTargetFromEnv('x', bmc, { RACKPILOT_BMC_PASS_X: 'pw-from-env' })).toEqual({
      host: '10.0.0.5',
      port: 623,
      username: 'admin',
      password: 'pw-from-env',
      name: 'x',
    });
  });
});
