import { describe, expect, it } from 'vitest';
import { MaasConflictError } from '../../src/gear/maas/errors.ts';
import { moveToPxeVlan, moveToTenantVlan, startSite } from './lab-helpers.ts';

/** The status-change lines of a machine's event log, in order. */
function transitions(lines: string[]): string[] {
  return lines
    .filter((l) => l.startsWith('Node changed status - '))
    .map((l) => l.replace(/^Node changed status - From '(.*)' to '(.*)'$/, '$1 → $2'));
}

describe('lab MaaS state machine over HTTP', () => {
  it('deploys through Allocated → Deploying → Deployed, visible as Deploying first, with MaaS events', async () => {
    const s = await startSite();
    const host = s.hostnames[0]!;
    const id = s.id(host);
    const allocated = await s.client.allocate(id);
    expect(allocated.status_name).toBe('Allocated');
    expect(allocated.owner).toBe('admin');
    const deploying = await s.client.deploy(id, {
      distroSeries: 'ubuntu/jammy',
      userData: '#cloud-config\n',
    });
    expect(deploying.status_name).toBe('Deploying');
    const deployed = await s.waitStatus(id, 'Deployed');
    expect(deployed.osystem).toBe('ubuntu');
    expect(deployed.distro_series).toBe('jammy');
    expect(deployed.netboot).toBe(false);
    expect(deployed.ip_addresses.length).toBeGreaterThan(0);
    expect(deployed.status_message).toBe("Node changed status - From 'Deploying' to 'Deployed'");
    const lines = s.lab.machines.events(host);
    expect(transitions(lines).slice(-3)).toEqual([
      'Ready → Allocated',
      'Allocated → Deploying',
      'Deploying → Deployed',
    ]);
    // MaaS's power driver powered the host on into PXE, the installer rebooted it onto its disk.
    expect(lines).toEqual(
      expect.arrayContaining([
        'Powering on',
        'Node powered on',
        'PXE Request - installation',
        "Node installation - 'curtin' curtin command install",
        'Installation complete - Node disabled netboot',
        'Rebooting',
      ]),
    );
    // "Node powered on" is MaaS's own power-on succeeding; the installer's reboot is the host's
    // doing, which MaaS's power poll records without an event.
    expect(lines.filter((l) => l === 'Node powered on')).toHaveLength(1);
    expect(lines).not.toContain('Node powered off');
    expect(s.world.host(host)).toMatchObject({ power: 'on', bootedFrom: 'disk' });
    expect(s.world.installedOs.get(host)).toBe('ubuntu/jammy');
  });

  it('deploys straight from Ready and accepts centos7, 22.04 and jammy as MaaS does', async () => {
    const s = await startSite();
    for (const [i, series, os, distro] of [
      [0, 'centos7', 'centos', 'centos70'],
      [1, '22.04', 'ubuntu', 'jammy'],
      [2, 'focal', 'ubuntu', 'focal'],
    ] as const) {
      const id = s.id(s.hostnames[i]!);
      expect((await s.client.deploy(id, { distroSeries: series })).status_name).toBe('Deploying');
      const m = await s.waitStatus(id, 'Deployed');
      expect([m.osystem, m.distro_series]).toEqual([os, distro]);
    }
  });

  it('fails at once with "Missing boot image" when the rack has no such image', async () => {
    const s = await startSite();
    const id = s.id(s.hostnames[0]!);
    const m = await s.client.deploy(id, { distroSeries: 'windows2019' });
    expect(m.status_name).toBe('Failed deployment');
    expect(m.status_message).toMatch(/Missing boot image windows2019/);
  });

  it('releases with erase: Deployed → Disk erasing → Releasing → Ready, disk wiped, host off', async () => {
    const s = await startSite({ initialStates: {} });
    const host = s.hostnames[1]!;
    const id = s.id(host);
    await s.client.deploy(id, { distroSeries: 'jammy' });
    await s.waitStatus(id, 'Deployed');
    const releasing = await s.client.release(id, { erase: 'quick' });
    expect(releasing.status_name).toBe('Disk erasing');
    const ready = await s.waitStatus(id, 'Ready');
    expect(ready.owner).toBeNull();
    expect(ready.osystem).toBe('');
    expect(ready.ip_addresses).toEqual([]);
    expect(transitions(s.lab.machines.events(host)).slice(-3)).toEqual([
      'Deployed → Disk erasing',
      'Disk erasing → Releasing',
      'Releasing → Ready',
    ]);
    expect(s.lab.machines.events(host)).toContain('Erasing disk - Performing quick erase on all disks');
    expect(s.world.installedOs.has(host)).toBe(false);
    expect(s.world.host(host).power).toBe('off');
  });

  it('releases without erase: Deployed → Releasing → Ready and the OS stays on disk', async () => {
    const s = await startSite({ initialStates: { 'r01-n001': 'Deployed' } });
    const id = s.id('r01-n001');
    expect((await s.client.release(id, { erase: 'none' })).status_name).toBe('Releasing');
    await s.waitStatus(id, 'Ready');
    expect(transitions(s.lab.machines.events('r01-n001')).slice(-2)).toEqual([
      'Deployed → Releasing',
      'Releasing → Ready',
    ]);
    expect(s.world.installedOs.has('r01-n001')).toBe(true);
  });

  it('full and secure erase take their own paths to Ready', async () => {
    const s = await startSite();
    for (const [i, mode] of [
      [0, 'full'],
      [1, 'secure'],
    ] as const) {
      const host = s.hostnames[i]!;
      s.lab.machines.setStatus(host, 'Deployed');
      await s.client.release(s.id(host), { erase: mode });
      await s.waitStatus(s.id(host), 'Ready');
      expect(s.lab.machines.events(host)).toContain(`Erasing disk - Performing ${mode} erase on all disks`);
    }
  });

  it('commissions Ready → Commissioning → Ready and powers the host off afterwards', async () => {
    const s = await startSite();
    const host = s.hostnames[2]!;
    const id = s.id(host);
    expect((await s.client.commission(id)).status_name).toBe('Commissioning');
    await s.waitStatus(id, 'Ready');
    await s.waitFor(() => s.world.host(host).power === 'off', 'power off after commissioning');
    expect(transitions(s.lab.machines.events(host)).slice(-2)).toEqual([
      'Ready → Commissioning',
      'Commissioning → Ready',
    ]);
  });

  it('creates a machine with IPMI power parameters: New → Commissioning → Ready', async () => {
    const s = await startSite({ unregistered: ['r02-n003'] });
    const spec = s.world.spec.hosts.find((h) => h.hostname === 'r02-n003')!;
    expect(s.lab.machines.byHostname('r02-n003')).toBeUndefined();
    const m = await s.client.createMachine({
      hostname: 'r02-n003',
      macAddresses: spec.nics.map((n) => n.mac),
      power: { address: '127.0.0.1', user: 'admin', pass: spec.bmc.password },
    });
    expect(m.status_name).toBe('Commissioning');
    expect(m.interface_set.map((i) => i.mac_address)).toEqual(spec.nics.map((n) => n.mac));
    expect(m.power_type).toBe('ipmi');
    const ready = await s.waitStatus(m.system_id, 'Ready');
    expect(ready.cpu_count).toBe(spec.cpuCount);
    expect(await s.client.powerParameters(m.system_id)).toMatchObject({
      power_address: '127.0.0.1',
      power_user: 'admin',
      power_driver: 'LAN_2_0',
      cipher_suite_id: '3',
    });
    expect(transitions(s.lab.machines.events('r02-n003'))).toEqual([
      'New → Commissioning',
      'Commissioning → Ready',
    ]);
  });

  it('aborts: Deploying → Allocated, Commissioning → previous state, Disk erasing → Failed disk erasing', async () => {
    // A host kept off the PXE network parks each operation so it can be aborted mid-way.
    const s = await startSite({ minStallTimeoutMs: 60_000 });
    const [a, b, c] = s.hostnames as [string, string, string];
    for (const h of [a, b, c]) moveToTenantVlan(s.world, h, 100);
    await s.client.deploy(s.id(a), { distroSeries: 'jammy' });
    expect((await s.client.abort(s.id(a), 'operator abort')).status_name).toBe('Allocated');
    await s.client.commission(s.id(b));
    expect((await s.client.abort(s.id(b))).status_name).toBe('Ready');
    s.lab.machines.setStatus(c, 'Deployed');
    await s.client.release(s.id(c), { erase: 'full' });
    expect((await s.client.abort(s.id(c))).status_name).toBe('Failed disk erasing');
    expect(s.lab.machines.events(a)).toContain('Aborted deployment - operator abort');
    for (const h of [a, b, c]) expect(s.lab.machines.busy(h)).toBe(false);
  });

  it('marks broken and fixed: Ready → Broken → Ready, Deployed → Broken → Deployed', async () => {
    const s = await startSite({ initialStates: { 'r02-n001': 'Deployed' } });
    const id = s.id('r01-n001');
    expect((await s.client.markBroken(id, 'bad DIMM')).status_name).toBe('Broken');
    expect((await s.client.markFixed(id, 'DIMM replaced')).status_name).toBe('Ready');
    const d = s.id('r02-n001');
    expect((await s.client.markBroken(d)).status_name).toBe('Broken');
    expect((await s.client.markFixed(d)).status_name).toBe('Deployed');
  });

  it('injected faults end in the failed states with MaaS event text', async () => {
    const s = await startSite();
    const [a, b, c] = s.hostnames as [string, string, string];
    s.lab.faults.failDeploy(a);
    s.lab.faults.failErase(b);
    s.lab.faults.failCommission(c);
    await s.client.deploy(s.id(a), { distroSeries: 'jammy' });
    const fa = await s.waitStatus(s.id(a), 'Failed deployment');
    expect(fa.status_message).toBe(
      'Marking node failed - Installation failed (refer to the installation log for more information).',
    );
    expect(s.lab.machines.events(a)).toContain("Node installation failure - 'curtin' curtin command install");
    s.lab.machines.setStatus(b, 'Deployed');
    await s.client.release(s.id(b), { erase: 'quick' });
    expect((await s.waitStatus(s.id(b), 'Failed disk erasing')).status_message).toBe(
      'Marking node failed - Failed to erase disks.',
    );
    await s.client.commission(s.id(c));
    await s.waitStatus(s.id(c), 'Failed commissioning');
    // Failed states can be recovered the way operators do: release, or commission again.
    s.lab.faults.clear();
    await s.client.release(s.id(b), { erase: 'quick' });
    await s.waitStatus(s.id(b), 'Ready');
    await s.client.commission(s.id(c));
    await s.waitStatus(s.id(c), 'Ready');
    await s.client.release(s.id(a), { erase: 'none' });
    await s.waitStatus(s.id(a), 'Ready');
  });

  it('answers 409 for every operation in the wrong state, naming the state', async () => {
    const s = await startSite({
      initialStates: { 'r01-n001': 'Deployed', 'r02-n001': 'Allocated' },
      minStallTimeoutMs: 60_000,
    });
    const deployed = s.id('r01-n001');
    const allocated = s.id('r02-n001');
    const ready = s.id('r01-n002');
    const conflict = async (p: Promise<unknown>, state: string | undefined) => {
      const err = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MaasConflictError);
      expect((err as MaasConflictError).status).toBe(409);
      expect((err as MaasConflictError).currentState, (err as Error).message).toBe(state);
      expect((err as MaasConflictError).hint).toContain(
        state ? `The machine is in state '${state}'` : 'not in a state that allows this',
      );
    };
    await conflict(s.client.deploy(deployed, { distroSeries: 'jammy' }), 'Deployed');
    // MaaS's allocate answers with the constraints it could not meet; the client adds the state.
    await conflict(s.client.allocate(deployed), 'Deployed');
    await conflict(s.client.commission(deployed), 'Deployed');
    await conflict(s.client.markFixed(deployed), 'Deployed');
    await conflict(s.client.abort(ready), 'Ready');
    await conflict(s.client.release(ready, { erase: 'quick' }), 'Ready');
    // Interfaces change only in Ready, Allocated or Broken (MaaS lets updates through while Deployed).
    // MaaS's text names the allowed states; the client reads the machine to name the current one.
    const dIfaces = await s.client.listInterfaces(deployed);
    await conflict(s.client.linkSubnet(deployed, dIfaces[0]!.id, { mode: 'DHCP' }), 'Deployed');
    await conflict(s.client.unlinkSubnet(deployed, dIfaces[0]!.id, dIfaces[0]!.links[0]!.id), 'Deployed');
    await conflict(
      s.client.createBond(deployed, {
        name: 'bond0',
        parents: dIfaces.map((i) => i.id),
        bondMode: 'active-backup',
      }),
      'Deployed',
    );
    expect(
      (await s.client.updateInterfaceMac(deployed, dIfaces[0]!.id, '02:00:00:00:00:07')).mac_address,
    ).toBe('02:00:00:00:00:07');
    const aIfaces = await s.client.listInterfaces(allocated);
    expect((await s.client.linkSubnet(allocated, aIfaces[0]!.id, { mode: 'DHCP' })).links.at(-1)!.mode).toBe(
      'dhcp',
    );
    // A running operation blocks power control and a second deploy.
    moveToTenantVlan(s.world, 'r01-n002', 100);
    await s.client.deploy(ready, { distroSeries: 'jammy' });
    await conflict(s.client.deploy(ready, { distroSeries: 'jammy' }), 'Deploying');
    await conflict(s.client.powerOn(ready), 'Deploying');
    await conflict(s.client.powerOff(ready), 'Deploying');
    const rIfaces = await s.client.listInterfaces(ready);
    await conflict(s.client.updateInterfaceMac(ready, rIfaces[0]!.id, '02:00:00:00:00:08'), 'Deploying');
    await s.client.markBroken(allocated);
    await conflict(s.client.markBroken(allocated), 'Broken');
  });
});

describe('lab MaaS under load', () => {
  it('deploys and releases 40 machines at once, each through every state, while the site is listed', async () => {
    const s = await startSite({ spec: { racks: 3, hosts: 40 } });
    const ids = s.hostnames.map((h) => s.id(h));
    await Promise.all(ids.map((id) => s.client.deploy(id, { distroSeries: 'jammy' })));
    await s.waitFor(async () => {
      const all = await s.client.listMachines();
      return all.every((m) => m.status_name === 'Deployed') && all;
    }, 'all deployed');
    await Promise.all(ids.map((id) => s.client.release(id, { erase: 'quick' })));
    await s.waitFor(
      async () => (await s.client.listMachines()).every((m) => m.status_name === 'Ready'),
      'all ready',
    );
    for (const h of s.hostnames) {
      expect(transitions(s.lab.machines.events(h)).slice(-6)).toEqual([
        'Ready → Allocated',
        'Allocated → Deploying',
        'Deploying → Deployed',
        'Deployed → Disk erasing',
        'Disk erasing → Releasing',
        'Releasing → Ready',
      ]);
    }
  });
});

describe('lab MaaS is gated by the physical world', () => {
  it('a host left on its tenant VLAN stays Deploying, then fails on node_timeout with the real event', async () => {
    const s = await startSite({ minStallTimeoutMs: 300 });
    const host = s.hostnames[0]!;
    moveToTenantVlan(s.world, host, 200);
    const m = await s.client.deploy(s.id(host), { distroSeries: 'jammy' });
    expect(m.status_name).toBe('Deploying');
    const failed = await s.waitStatus(s.id(host), 'Failed deployment');
    expect(failed.status_message).toBe(
      "Marking node failed - Node operation 'Deploying' timed out after 30 minutes.",
    );
    // It was powered on into PXE but never reached MaaS: no installation happened.
    const lines = s.lab.machines.events(host);
    expect(lines).toContain('Node powered on');
    expect(lines.some((l) => l.startsWith('PXE Request'))).toBe(false);
    expect(s.world.installedOs.has(host)).toBe(false);
  });

  it('a host that boots from disk (PXE override ignored) never deploys', async () => {
    const s = await startSite({
      minStallTimeoutMs: 300,
      // A BMC that powers on but drops the boot override: the host boots its disk.
      powerDriver: {
        powerOn: async (t) => {
          s2.world.setBoot(t.hostname, 'disk', false, false);
          s2.world.setPower(t.hostname, 'on', 'bmc');
        },
        powerOff: async (t) => s2.world.setPower(t.hostname, 'off', 'bmc'),
        query: async (t) => s2.world.host(t.hostname).power,
      },
    });
    const s2 = s;
    const host = s.hostnames[1]!;
    await s.client.deploy(s.id(host), { distroSeries: 'jammy' });
    await s.waitStatus(s.id(host), 'Failed deployment');
    expect(s.world.host(host).bootedFrom).toBe('disk');
  });

  it('the stuck deployment operators meet: OS installed, netboot disabled, never reports back', async () => {
    const s = await startSite({ minStallTimeoutMs: 300 });
    const host = s.hostnames[2]!;
    s.lab.faults.stickDeploy(host);
    await s.client.deploy(s.id(host), { distroSeries: 'jammy' });
    const failed = await s.waitStatus(s.id(host), 'Failed deployment');
    expect(failed.status_message).toMatch(/timed out after 30 minutes/);
    expect(s.lab.machines.events(host)).toContain('Installation complete - Node disabled netboot');
  });

  it('an out-of-band power off during Deploying stops progress until the host PXE-boots again', async () => {
    const s = await startSite({ minStallTimeoutMs: 60_000 });
    const host = s.hostnames[3]!;
    // The moment MaaS powers the host on, someone pulls the plug (a world power event).
    const off = s.world.on((e) => {
      if (e.kind === 'power' && e.hostname === host && e.power === 'on' && e.source === 'maas') {
        off();
        s.world.setPower(host, 'off', 'operator');
      }
    });
    await s.client.deploy(s.id(host), { distroSeries: 'jammy' });
    await s.waitFor(() => s.world.host(host).power === 'off', 'out-of-band power off');
    // Give a runaway deployment every chance to show itself (at timeScale 0 it would finish at once).
    await new Promise((r) => setTimeout(r, 100));
    let m = await s.client.readMachine(s.id(host));
    expect(m.status_name).toBe('Deploying');
    expect(m.power_state).toBe('off');
    expect(s.lab.machines.events(host).some((l) => l.startsWith('Node installation'))).toBe(false);
    // Powering it back on into PXE (as an operator would over IPMI) lets the deployment finish.
    s.world.setBoot(host, 'pxe', false, false);
    s.world.setPower(host, 'on', 'operator');
    m = await s.waitStatus(s.id(host), 'Deployed');
    expect(m.power_state).toBe('on');
  });

  it('after deploy, tenant VLAN + boot from disk + power on = running (the create-instance order)', async () => {
    const s = await startSite();
    const host = s.hostnames[4]!;
    await s.client.deploy(s.id(host), { distroSeries: 'jammy' });
    await s.waitStatus(s.id(host), 'Deployed');
    expect(s.world.isRunning(host)).toBe(false); // still on the PXE VLAN
    s.world.setPower(host, 'off', 'ipmi');
    moveToTenantVlan(s.world, host, 123);
    s.world.setBoot(host, 'disk', false, false);
    s.world.setPower(host, 'on', 'ipmi');
    expect(s.world.isRunning(host)).toBe(true);
    // Destroy order: power off, VLAN back to PXE, boot PXE, release with erase.
    s.world.setPower(host, 'off', 'ipmi');
    moveToPxeVlan(s.world, host);
    s.world.setBoot(host, 'pxe', false, false);
    await s.client.release(s.id(host), { erase: 'quick' });
    await s.waitStatus(s.id(host), 'Ready');
    expect(s.world.installedOs.has(host)).toBe(false);
  });

  it('release cannot power the host off → Releasing failed after the 5-minute timeout', async () => {
    const s = await startSite({
      minStallTimeoutMs: 300,
      initialStates: { 'r01-n001': 'Deployed' },
      powerDriver: {
        powerOn: async () => {},
        powerOff: async () => {
          throw new Error('BMC 127.0.0.1 did not answer');
        },
        query: async () => 'on',
      },
    });
    s.world.setPower('r01-n001', 'on', 'test');
    const id = s.id('r01-n001');
    await s.client.release(id, { erase: 'none' });
    const m = await s.waitStatus(id, 'Releasing failed');
    expect(m.status_message).toBe(
      "Marking node failed - Node operation 'Releasing' timed out after 5 minutes.",
    );
    expect(s.lab.machines.events('r01-n001')).toContain(
      'Failed to power off node - Power off for the node failed: BMC 127.0.0.1 did not answer',
    );
  });

  it('a scaled deployment takes its scaled time, and close() stops every timer', async () => {
    const s = await startSite({ timeScale: 1 });
    const host = s.hostnames[5]!;
    await s.client.deploy(s.id(host), { distroSeries: 'jammy' });
    await s.waitFor(() => s.lab.machines.events(host).includes('Node powered on'), 'power on');
    expect(s.lab.machines.busy(host)).toBe(true);
    const before = s.lab.machines.events(host).length;
    await s.lab.close();
    expect(s.lab.machines.busy(host)).toBe(false);
    await new Promise((r) => setTimeout(r, 20));
    expect(s.lab.machines.events(host).length).toBe(before);
  });
});
