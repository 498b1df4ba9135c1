/**
 * The rackpilot client against OpenIPMI's BMC simulator. The test writes ipmi_sim's configuration
 * and a chassis-control program into a temporary directory; the program records every call, which
 * is how we see the simulator's chassis state change.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import type { IpmiTarget } from '../../src/gear/ipmi/session.ts';
import { interopProgram, until } from './helpers.ts';
import { IPMI_SIM, startIpmiSim, type IpmiSim } from './peers.ts';

const { run } = interopProgram(IPMI_SIM);

const CHASSIS_CONTROL = `#!/bin/sh
# ipmi_sim chassis control: PROG ADDR get power boot | PROG ADDR set NAME VALUE ...
dir=$(dirname "$0")
echo "$*" >> "$dir/calls.log"
shift
op=$1; shift
if [ "$op" = get ]; then
  for k in "$@"; do
    case $k in
      power) echo "power:$(cat "$dir/power" 2>/dev/null || echo 0)";;
      boot) echo "boot:$(cat "$dir/boot" 2>/dev/null || echo none)";;
    esac
  done
else
  while [ $# -ge 2 ]; do
    case $1 in
      power) echo "$2" > "$dir/power";;
      boot) echo "$2" > "$dir/boot";;
    esac
    shift 2
  done
fi
`;

describe.runIf(run)('IpmiClient against ipmi_sim', () => {
  let dir: string;
  let sim: IpmiSim;
  let client: IpmiClient;
  let target: IpmiTarget;
  const calls = () =>
    existsSync(join(dir, 'calls.log')) ? readFileSync(join(dir, 'calls.log'), 'utf8').trim().split('\n') : [];
  /** Calls recorded since `mark` (an index into calls()). */
  const since = (mark: number) => calls().slice(mark);

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rackpilot-ipmisim-'));
    writeFileSync(join(dir, 'chassis.sh'), CHASSIS_CONTROL);
    chmodSync(join(dir, 'chassis.sh'), 0o755);
    const password = 'sim-pass-4tests';
    sim = await startIpmiSim({
      dir,
      name: 'bmc1',
      password,
      emu: ['sel_enable 0x20 1000 0x0a'],
      lan: ['callback', 'user', 'operator'].map((l) => `allowed_auths_${l} none md2 md5 straight`),
      mc: [`chassis_control "${join(dir, 'chassis.sh')} 0x20"`],
    });
    client = new IpmiClient({ timeoutMs: 300, retries: 3 });
    target = { host: '127.0.0.1', port: sim.port, username: 'admin', password, name: 'ipmi_sim' };
    await until(
      () =>
        client.powerStatus(target).then(
          () => true,
          () => false,
        ),
      'ipmi_sim to answer',
      20_000,
    );
  });

  afterAll(async () => {
    await client?.close();
    sim?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('power on and off change the simulated chassis', async () => {
    let mark = calls().length;
    await client.power(target, 'on');
    expect(since(mark)).toContain('0x20 set power 1');
    expect(await client.powerStatus(target)).toBe('on');
    mark = calls().length;
    await client.power(target, 'off');
    expect(since(mark)).toContain('0x20 set power 0');
    expect(await client.powerStatus(target)).toBe('off');
  });

  it('power cycle turns the chassis off, then on again', async () => {
    await client.power(target, 'on');
    const mark = calls().length;
    await client.power(target, 'cycle');
    await until(() => {
      const c = since(mark);
      const off = c.indexOf('0x20 set power 0');
      return off >= 0 && c.indexOf('0x20 set power 1', off) > off;
    }, 'power cycle to complete');
    expect(await client.powerStatus(target)).toBe('on');
  });

  it('soft asks for an ACPI shutdown, reset for a hard reset', async () => {
    let mark = calls().length;
    await client.power(target, 'soft');
    expect(since(mark)).toContain('0x20 set shutdown 1');
    mark = calls().length;
    await client.power(target, 'reset');
    expect(since(mark)).toContain('0x20 set reset 1');
  });

  it('bootdev pxe and disk set the simulator boot device', async () => {
    let mark = calls().length;
    await client.setBootDevice(target, { device: 'pxe' });
    expect(since(mark)).toContain('0x20 set boot pxe');
    expect(readFileSync(join(dir, 'boot'), 'utf8').trim()).toBe('pxe');
    expect((await client.getBootDevice(target)).device).toBe('pxe');
    mark = calls().length;
    await client.setBootDevice(target, { device: 'disk' });
    expect(since(mark)).toContain('0x20 set boot default');
    expect((await client.getBootDevice(target)).device).toBe('disk');
  });

  it('reads Get Device ID as configured by mc_add', async () => {
    expect(await client.deviceId(target)).toMatchObject({
      manufacturerId: 0x1291,
      productId: 0x0f02,
      firmware: '9.08',
    });
  });

  it('a wrong password is refused', async () => {
    const c = new IpmiClient({ timeoutMs: 300, retries: 1 });
    await expect(c.powerStatus({ ...target, password: 'not-it' })).rejects.toMatchObject({ kind: 'auth' });
    await c.close();
  });
});
