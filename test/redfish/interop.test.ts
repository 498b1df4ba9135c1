import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { RedfishClient } from '../../src/gear/redfish/client.ts';
import { interopProgram } from '../ipmi/helpers.ts';
import { labCert, startRedfishLab, type RedfishLab } from './helpers.ts';

/**
 * Debian's Redfish peers against a lab Redfish BMC over HTTPS: Ironic's library (python3-sushy)
 * and DMTF's redfishtool read the system, power it on and off, set and read the boot override;
 * rackpilot's client passes the same checks and sees what they did, and they see what it did.
 */
const run = promisify(execFile);
const PYTHON = '/usr/bin/python3';
const sushy = interopProgram('/usr/lib/python3/dist-packages/sushy/__init__.py');
const redfishtool = interopProgram('/usr/bin/redfishtool');
const SCRIPT = new URL('./interop/sushy_check.py', import.meta.url).pathname;

let lab: RedfishLab | undefined;
const clients: RedfishClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close();
  await lab?.close();
  lab = undefined;
});

async function oneBmc() {
  lab = await startRedfishLab(1, { quirks: { systemId: 'System.Embedded.1' } });
  const t = lab.targets[0]!;
  const hostname = lab.world.spec.hosts[0]!.hostname;
  const rf = new RedfishClient({ knownCertsPath: join(lab.dir, 'known_bmc_certs') });
  clients.push(rf);
  return { lab, t, hostname, rf };
}

describe.runIf(sushy.run)('python3-sushy (Ironic) drives a lab Redfish BMC', () => {
  it('reads the system, powers on and off, sets and reads the boot override; rackpilot agrees', async () => {
    const { lab, t, hostname, rf } = await oneBmc();
    const ca = join(lab.dir, 'bmc.pem');
    writeFileSync(ca, (await labCert()).cert);
    const { stdout } = await run(PYTHON, [SCRIPT, `https://${t.host}:${t.port}`, t.username], {
      env: sushyEnv(t.password, ca),
      timeout: 60_000,
    });
    const steps = stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(steps.map((s) => s['step'])).toEqual(['read', 'on', 'boot', 'off']);
    expect(steps[0]).toMatchObject({ identity: 'System.Embedded.1', power: 'Off' });
    expect(steps[0]!['resets']).toEqual(
      expect.arrayContaining(['On', 'ForceOff', 'GracefulShutdown', 'PowerCycle']),
    );
    expect(steps[1]).toMatchObject({ power: 'On' });
    expect(steps[2]).toMatchObject({ target: 'Pxe', enabled: 'Continuous', mode: 'UEFI' });
    expect(steps[3]).toMatchObject({ power: 'Off' });
    // The world and rackpilot's client see the same thing.
    expect(lab.world.host(hostname)).toMatchObject({
      power: 'off',
      bootDevice: 'pxe',
      bootPersistent: true,
      bootEfi: true,
    });
    expect(await rf.getBootDevice(t)).toEqual({ device: 'pxe', valid: true, persistent: true, efi: true });
    // And sushy reads what rackpilot sets.
    // (Powered on first: the boot consumes a one-time override, as on real BMCs.)
    await rf.power(t, 'on');
    await rf.setBootDevice(t, { device: 'disk', persistent: false, efi: false });
    const again = await run(PYTHON, ['-c', READ_ONLY, `https://${t.host}:${t.port}`, t.username], {
      env: sushyEnv(t.password, ca),
      timeout: 60_000,
    });
    expect(JSON.parse(again.stdout)).toEqual({ power: 'On', target: 'Hdd', enabled: 'Once', mode: 'Legacy' });
    expect(lab.bmcs.bmc(hostname).counts.PATCH).toBeGreaterThanOrEqual(2);
  });
});

/**
 * requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's own `verify` (its
 * merge_environment_settings): they are left out so sushy trusts the BMC's certificate it is given.
 */
function sushyEnv(password: string, ca: string): NodeJS.ProcessEnv {
  const { REQUESTS_CA_BUNDLE: _r, CURL_CA_BUNDLE: _c, ...rest } = process.env;
  return { ...rest, REDFISH_PASSWORD: password, REDFISH_CA: ca };
}

const READ_ONLY = `
import json, os, sys, urllib3, sushy
urllib3.disable_warnings()
r = sushy.Sushy(sys.argv[1], username=sys.argv[2], password=os.environ["REDFISH_PASSWORD"], verify=os.environ["REDFISH_CA"])
s = r.get_system_collection().get_members()[0]
v = lambda x: str(getattr(x, "value", x))
print(json.dumps({"power": v(s.power_state), "target": v(s.boot.target), "enabled": v(s.boot.enabled), "mode": v(s.boot.mode)}))
`;

describe.runIf(redfishtool.run)("DMTF's redfishtool drives a lab Redfish BMC", () => {
  it('reads the system, resets it on and off, sets the boot override; rackpilot agrees', async () => {
    const { lab, t, hostname, rf } = await oneBmc();
    // redfishtool takes its password on its command line only: this lab BMC's is a throwaway.
    const tool = (...args: string[]) =>
      run(
        '/usr/bin/redfishtool',
        [
          '-r',
          `${t.host}:${t.port}`,
          '-S',
          'Always',
          '-A',
          'Session',
          '-u',
          t.username,
          '-p',
          t.password,
          ...args,
        ],
        {
          timeout: 60_000,
        },
      ).then((r) => r.stdout);
    const system = JSON.parse(await tool('Systems', '-I', 'System.Embedded.1'));
    expect(system).toMatchObject({ Id: 'System.Embedded.1', PowerState: 'Off' });
    const list = await tool('Systems', 'list');
    expect(list).toMatch(/System\.Embedded\.1/);
    await tool('Systems', '-I', 'System.Embedded.1', 'reset', 'On');
    expect(await rf.powerStatus(t)).toBe('on');
    await tool('Systems', '-I', 'System.Embedded.1', 'setBootOverride', 'Once', 'Pxe');
    expect(await rf.getBootDevice(t)).toMatchObject({ device: 'pxe', valid: true, persistent: false });
    const booted = JSON.parse(await tool('Systems', '-I', 'System.Embedded.1'));
    expect(booted.Boot).toMatchObject({ BootSourceOverrideTarget: 'Pxe', BootSourceOverrideEnabled: 'Once' });
    // rackpilot changes it; redfishtool reads it back.
    await rf.setBootDevice(t, { device: 'disk', persistent: true, efi: true });
    await rf.power(t, 'off');
    const after = JSON.parse(await tool('Systems', '-I', 'System.Embedded.1'));
    expect(after).toMatchObject({
      PowerState: 'Off',
      Boot: {
        BootSourceOverrideTarget: 'Hdd',
        BootSourceOverrideEnabled: 'Continuous',
        BootSourceOverrideMode: 'UEFI',
      },
    });
    await tool('Systems', '-I', 'System.Embedded.1', 'reset', 'ForceOff').catch(
      (e: { stdout?: string; stderr?: string }) => {
        // Already off: the lab answers 409 as iDRAC does, and redfishtool reports it.
        expect(`${e.stderr ?? ''}${e.stdout ?? ''}`).toMatch(/409|Conflict|in use/i);
      },
    );
    expect(lab.world.host(hostname).power).toBe('off');
  });
});
