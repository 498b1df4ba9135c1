/**
 * The real IPMI peers the suites run against: OpenIPMI's ipmi_sim (a BMC, in a data directory of
 * its own on a free loopback port) and ipmitool (the reference console, its password through
 * IPMI_PASSWORD with -E, never -P).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IpmiTarget } from '../../src/gear/ipmi/session.ts';

export const IPMI_SIM = '/usr/bin/ipmi_sim';
export const IPMITOOL = '/usr/bin/ipmitool';

export async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface IpmiSimOptions {
  /** Its data directory: lan.conf, bmc1.emu and state/ are written there. */
  dir: string;
  /** lan.conf's `name`. */
  name: string;
  /** User 2 `admin`'s password. */
  password: string;
  /** Lines of the .emu between the BMC's mc_add and mc_enable (e.g. `sel_enable …`). */
  emu?: readonly string[];
  /** Lines of the LAN channel before its admin auths (e.g. the other levels' allowed auths). */
  lan?: readonly string[];
  /** Lines after the LAN channel, before the user (e.g. `chassis_control …`, `sol …`). */
  mc?: readonly string[];
}

export interface IpmiSim {
  port: number;
  process: ChildProcess;
  stop(): void;
}

/** Writes ipmi_sim's configuration for one BMC on a free loopback port and starts it. */
export async function startIpmiSim(o: IpmiSimOptions): Promise<IpmiSim> {
  mkdirSync(join(o.dir, 'state'));
  const port = await freeUdpPort();
  const emu = [
    'mc_setbmc 0x20',
    'mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr',
    ...(o.emu ?? []),
    'mc_enable 0x20',
  ];
  writeFileSync(join(o.dir, 'bmc1.emu'), `${emu.join('\n')}\n`);
  const lan = [
    `name "${o.name}"`,
    'set_working_mc 0x20',
    '  startlan 1',
    `    addr 127.0.0.1 ${port}`,
    '    priv_limit admin',
    ...(o.lan ?? []).map((l) => `    ${l}`),
    '    allowed_auths_admin none md2 md5 straight',
    '    guid a123456789abcdefa123456789abcdef',
    '  endlan',
    ...(o.mc ?? []).map((l) => `  ${l}`),
    `  user 2 true  "admin" "${o.password}" admin 10 none md2 md5 straight`,
  ];
  // It holds the BMC's password.
  writeFileSync(join(o.dir, 'lan.conf'), `${lan.join('\n')}\n`, { mode: 0o600 });
  const sim = spawn(
    IPMI_SIM,
    ['-c', join(o.dir, 'lan.conf'), '-f', join(o.dir, 'bmc1.emu'), '-s', join(o.dir, 'state'), '-n'],
    { stdio: 'ignore' },
  );
  return { port, process: sim, stop: () => sim.kill('SIGTERM') };
}

/** ipmitool's arguments up to its command: lanplus with the cipher suite, the target, -E. */
export function ipmitoolArgs(t: IpmiTarget, suite: number): string[] {
  return ['-I', 'lanplus', '-C', String(suite), '-H', t.host, '-p', String(t.port), '-U', t.username, '-E'];
}

/** ipmitool's environment: the password in IPMI_PASSWORD, which -E reads. */
export function ipmitoolEnv(password: string): NodeJS.ProcessEnv {
  return { ...process.env, IPMI_PASSWORD: password };
}
