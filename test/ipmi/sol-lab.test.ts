/**
 * Serial-over-LAN end to end against the lab BMC: rackpilot's client and ipmitool (the reference
 * console), cipher suites 3 and 17; one payload per BMC; refusals explained. And the lab hosts'
 * consoles telling each boot's story, troubles included.
 */
import { spawn } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { IpmiClient, IpmiError } from '../../src/gear/ipmi/index.ts';
import { startLabBmcs, type LabBmcs } from '../../src/lab/bmc-server.ts';
import { LabConsoles } from '../../src/lab/host-console.ts';
import { generateLabSpec } from '../../src/lab/spec.ts';
import { LabWorld } from '../../src/lab/world.ts';
import type { LabProgress } from '../../src/lab/maas-core.ts';
import type { IpmiTarget } from '../../src/gear/ipmi/session.ts';
import { interopProgram, until } from './helpers.ts';
import { IPMITOOL, ipmitoolArgs, ipmitoolEnv } from './peers.ts';

interface SolLab {
  world: LabWorld;
  consoles: LabConsoles;
  bmcs: LabBmcs;
  target(i: number, suite: 3 | 17): IpmiTarget;
  close(): Promise<void>;
}

async function startSolLab(): Promise<SolLab> {
  const spec = generateLabSpec({ hosts: 4, racks: 1, seed: 7 });
  const world = new LabWorld(spec);
  const consoles = new LabConsoles(world, { timeScale: 0.001, lineGapMs: 1 });
  const bmcs = await startLabBmcs(world, { consoles });
  return {
    world,
    consoles,
    bmcs,
    target: (i, suite) => {
      const b = bmcs.bmcs[i]!;
      const h = spec.hosts.find((x) => x.hostname === b.hostname)!;
      return {
        host: b.host,
        port: b.port,
        username: h.bmc.user,
        password: h.bmc.password,
        name: b.hostname,
        cipherSuite: suite,
      };
    },
    close: async () => {
      await bmcs.close();
      consoles.dispose();
    },
  };
}

/** Boot the host's installed OS from disk: the console ends at its login prompt. */
function bootInstalled(lab: SolLab, hostname: string): void {
  lab.world.setInstalledOs(hostname, 'ubuntu/jammy');
  lab.world.setBoot(hostname, 'disk', false, false);
  lab.world.setPower(hostname, 'on', 'test');
}

describe.each([3, 17] as const)('rackpilot SOL client against the lab BMC, cipher suite %i', (suite) => {
  let lab: SolLab;
  const clients: IpmiClient[] = [];
  const client = () => {
    const c = new IpmiClient({ timeoutMs: 300, retries: 3 });
    clients.push(c);
    return c;
  };
  beforeAll(async () => {
    lab = await startSolLab();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    lab.bmcs.faults.clear();
    for (const h of lab.world.hosts.keys()) lab.world.setPower(h, 'off', 'test');
  });
  afterAll(async () => {
    await lab.close();
  });

  it('streams the host console and types at its login prompt', async () => {
    const t = lab.target(0, suite);
    let out = '';
    const con = await client().openConsole(t, { onData: (d) => (out += d.toString()) });
    expect(lab.bmcs.sol(t.name!)).toMatchObject({ active: true });
    bootInstalled(lab, t.name!);
    await until(() => out.includes(`${t.name} login: `), 'the login prompt');
    expect(out).toContain('Linux version 5.15.0-101-generic');
    con.write(Buffer.from('root\r'));
    await until(() => out.includes('Password: '), 'the password prompt');
    expect(out).toContain(`${t.name} login: root`);
    await con.close();
    expect(lab.bmcs.sol(t.name!).active).toBe(false);
  });

  it('refuses a second activation while another session holds the console, naming the way out', async () => {
    const t = lab.target(1, suite);
    const first = await client().openConsole(t, { onData: () => {} });
    const err = await client()
      .openConsole(t, { onData: () => {} })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpmiError);
    expect((err as IpmiError).message).toContain('SOL payload already active on another session (0x80)');
    expect((err as IpmiError).hint).toMatch(/sol deactivate/);
    expect(lab.bmcs.sol(t.name!).activations).toBe(1);
    await first.close();
  });

  it('says when SOL is disabled on the BMC', async () => {
    const t = lab.target(2, suite);
    lab.bmcs.faults.set(t.name!, { solDisabled: true });
    const err = (await client()
      .openConsole(t, { onData: () => {} })
      .catch((e: unknown) => e)) as IpmiError;
    expect(err.message).toContain('SOL payload disabled (0x81)');
    expect(err.hint).toContain('sol set enabled true');
  });

  it('ends the console with an error when the BMC forgets the session', async () => {
    const t = lab.target(3, suite);
    let closed: IpmiError | undefined;
    const con = await client().openConsole(
      t,
      { onData: () => {}, onClose: (e) => (closed = e) },
      { keepAliveMs: 50 },
    );
    lab.bmcs.faults.dropSessions(t.name!);
    await until(() => closed !== undefined, 'the console to end');
    expect(closed!.message).toMatch(/forgot the console's session/);
    expect(con.closed).toBe(true);
  });
});

const { run } = interopProgram(IPMITOOL);

describe.runIf(run).each([3, 17] as const)(
  'ipmitool -I lanplus -C %i sol activate against the lab BMC',
  (suite) => {
    let lab: SolLab;
    beforeAll(async () => {
      lab = await startSolLab();
    });
    afterAll(async () => {
      await lab.close();
    });

    it("shows that host's console and takes keys, then ~. deactivates the payload", async () => {
      const t = lab.target(0, suite);
      const p = spawn(IPMITOOL, [...ipmitoolArgs(t, suite), 'sol', 'activate'], {
        env: ipmitoolEnv(t.password),
        stdio: ['pipe', 'pipe', 'pipe'],
      });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.stderr.on('data', (d: Buffer) => (out += d.toString()));
      try {
        // ipmitool's own banner sits in stdio's buffer when stdout is a pipe: the BMC says when it is in.
        await until(() => lab.bmcs.sol(t.name!).active, 'ipmitool to activate SOL').catch((e) => {
          throw new Error(`${(e as Error).message}; ipmitool said: ${out}`);
        });
        expect(lab.bmcs.sol(t.name!)).toEqual({ active: true, activations: 1 });
        bootInstalled(lab, t.name!);
        await until(() => out.includes(`${t.name} login: `), 'the login prompt through ipmitool');
        expect(out).toContain('Ubuntu 22.04.4 LTS');
        p.stdin.write('root\r');
        await until(() => out.includes('Password: '), 'the password prompt through ipmitool');
        p.stdin.write('~.');
        await until(() => p.exitCode !== null, 'ipmitool to exit');
        expect(p.exitCode).toBe(0);
        expect(lab.bmcs.sol(t.name!).active).toBe(false);
      } finally {
        p.kill();
      }
    });
  },
);

describe("the lab hosts' consoles", () => {
  let lab: SolLab;
  beforeAll(async () => {
    lab = await startSolLab();
  });
  afterAll(async () => {
    await lab.close();
  });

  function watch(hostname: string): { text: () => string; stop: () => void } {
    let out = '';
    const stop = lab.consoles.subscribe(hostname, (d) => (out += d.toString()));
    return { text: () => out, stop };
  }

  it('a PXE boot with no DHCP offer (port off the PXE VLAN) times out, then finds no bootable disk', async () => {
    // r01-n003 boots legacy BIOS (SeaBIOS + iPXE) in the lab.
    const host = 'r01-n003';
    const nic = lab.world.spec.hosts.find((h) => h.hostname === host)!.nics[0]!;
    lab.world.updatePort(nic.switch, nic.port, (p) => (p.untagged = 3999));
    const w = watch(host);
    lab.world.setBoot(host, 'pxe', false, false);
    lab.world.setPower(host, 'on', 'test');
    await until(() => w.text().includes('No bootable device.'), 'the firmware to give up');
    expect(w.text()).toContain('iPXE initialising devices...ok');
    expect(w.text()).toMatch(/Configuring \(net0 [0-9a-f:]+\)\.+ No configuration methods succeeded/);
    expect(w.text()).toContain('Boot failed: not a bootable disk');
    w.stop();
    lab.world.setPower(host, 'off', 'test');
  });

  it('a UEFI host with a blank disk says so in EDK2 words', async () => {
    const host = 'r01-n001';
    const w = watch(host);
    lab.world.setBoot(host, 'disk', false, true);
    lab.world.setPower(host, 'on', 'test');
    await until(() => w.text().includes('BdsDxe: No bootable option or device was found.'), 'BDS to give up');
    w.stop();
    lab.world.setPower(host, 'off', 'test');
  });

  it('the ephemeral kernel panics when the trouble is armed, and the host halts', async () => {
    const host = 'r01-n002';
    const w = watch(host);
    lab.consoles.panicNextNetboot(host);
    lab.world.setBoot(host, 'pxe', false, false);
    lab.world.setPower(host, 'on', 'test');
    await until(
      () => /Succeed to download NBP file|lpxelinux\.0 :/.test(w.text()),
      'the network boot program',
    );
    // What the lab MaaS reports when it hands the host its netboot image.
    const progress = new Set<(hostname: string, p: LabProgress) => void>();
    lab.consoles.followMaas(progress);
    for (const l of progress)
      l(host, { kind: 'event', type: 'Loading ephemeral', description: 'ubuntu/amd64/generic/jammy' });
    await until(() => w.text().includes('---[ end Kernel panic'), 'the panic');
    expect(w.text()).toContain(
      'Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)',
    );
    await until(() => lab.world.host(host).halted === true, 'the host to halt');
    w.stop();
    lab.world.setPower(host, 'off', 'test');
  });
});
