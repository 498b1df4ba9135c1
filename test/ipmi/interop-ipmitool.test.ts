/**
 * ipmitool (the reference console) against the lab BMC, cipher suites 3 and 17. The password goes
 * through IPMI_PASSWORD with -E, never -P. ipmitool runs asynchronously: the lab BMC answers from
 * this very process.
 */
import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { interopProgram, startLab, type Lab } from './helpers.ts';
import { IPMITOOL, ipmitoolArgs, ipmitoolEnv } from './peers.ts';

const { run } = interopProgram(IPMITOOL);

function ipmitool(
  lab: Lab,
  hostname: string,
  suite: 3 | 17,
  args: string[],
  password?: string,
): Promise<{ code: number; out: string }> {
  const t = lab.target(hostname);
  return new Promise((resolve) => {
    execFile(
      IPMITOOL,
      [...ipmitoolArgs(t, suite), '-N', '1', '-R', '3', ...args],
      { env: ipmitoolEnv(password ?? t.password), timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, out: `${stdout}${stderr}` });
      },
    );
  });
}

describe.runIf(run).each([3, 17] as const)('ipmitool -I lanplus -C %i against the lab BMC', (suite) => {
  let lab: Lab;
  let host: string;
  beforeAll(async () => {
    lab = await startLab(2);
    host = lab.targets[suite === 3 ? 0 : 1]!.name!;
  });
  afterAll(async () => {
    await lab.bmcs.close();
  });

  it('power status, on, off', async () => {
    expect(await ipmitool(lab, host, suite, ['power', 'status'])).toEqual({
      code: 0,
      out: 'Chassis Power is off\n',
    });
    const on = await ipmitool(lab, host, suite, ['power', 'on']);
    expect(on).toMatchObject({ code: 0, out: expect.stringContaining('Up/On') });
    expect(lab.world.host(host).power).toBe('on');
    expect((await ipmitool(lab, host, suite, ['power', 'status'])).out).toBe('Chassis Power is on\n');
    expect((await ipmitool(lab, host, suite, ['power', 'off'])).code).toBe(0);
    expect(lab.world.host(host).power).toBe('off');
    expect((await ipmitool(lab, host, suite, ['power', 'status'])).out).toBe('Chassis Power is off\n');
  });

  it('chassis bootdev pxe and disk, read back with bootparam get 5', async () => {
    const pxe = await ipmitool(lab, host, suite, ['chassis', 'bootdev', 'pxe']);
    expect(pxe).toEqual({ code: 0, out: 'Set Boot Device to pxe\n' });
    expect(lab.world.host(host)).toMatchObject({ bootDevice: 'pxe', bootPersistent: false, bootEfi: false });
    const get1 = await ipmitool(lab, host, suite, ['chassis', 'bootparam', 'get', '5']);
    expect(get1.code).toBe(0);
    expect(get1.out).toContain('Boot parameter data: 8004000000');
    expect(get1.out).toContain('Boot Device Selector : Force PXE');
    expect(get1.out).toContain('Options apply to only next boot');

    const disk = await ipmitool(lab, host, suite, [
      'chassis',
      'bootdev',
      'disk',
      'options=persistent,efiboot',
    ]);
    expect(disk.code).toBe(0);
    expect(lab.world.host(host)).toMatchObject({ bootDevice: 'disk', bootPersistent: true, bootEfi: true });
    const get2 = await ipmitool(lab, host, suite, ['chassis', 'bootparam', 'get', '5']);
    expect(get2.out).toContain('Boot Device Selector : Force Boot from default Hard-Drive');
    expect(get2.out).toContain('Options apply to all future boots');
    expect(get2.out).toContain('BIOS EFI boot');
  });

  it('mc info reports what the lab BMC holds', async () => {
    const r = await ipmitool(lab, host, suite, ['mc', 'info']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/IPMI Version\s+: 2\.0/);
    expect(r.out).toMatch(/Firmware Revision\s+: 1\.42/);
    expect(r.out).toMatch(/Device Available\s+: yes/);
  });

  it('a wrong password cannot open a session', async () => {
    const r = await ipmitool(lab, host, suite, ['power', 'status'], 'wrong-password');
    expect(r.code).not.toBe(0);
    expect(r.out).toContain('Unable to establish IPMI v2 / RMCP+ session');
  });
});
