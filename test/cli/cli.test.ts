import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { testRunMark } from '../runner/cli-process.ts';
import { capture } from './capture.ts';

const home = mkdtempSync(join(tmpdir(), 'rackpilot-cli-'));
const labEnv = {
  ...testRunMark(),
  HOME: home,
  RACKPILOT_LAB: 'on',
  RACKPILOT_TIME_SCALE: '0',
  RACKPILOT_ENV_FILE: join(home, 'none.env'),
};

describe('rackpilot CLI', () => {
  afterAll(() => stopRunnersUnder(home));

  it('prints the inventory as JSON for scripts (the lab the runner hosts, with its demo activity)', async () => {
    const io = capture();
    const code = await main(['hosts', '--json'], io, { ...labEnv, RACKPILOT_ENV_FILE: '' });
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const inv = JSON.parse(io.out());
    expect(inv.site).toBe('lab');
    expect(inv.hosts).toHaveLength(40);
    expect(inv.counts['Not in MaaS']).toBe(1);
    expect(inv.counts.Broken).toBe(1);
    const h = inv.hosts[0];
    expect(h).toMatchObject({ hostname: 'r01-n001', rack: 'r01', switch: 'tor-r01', statusName: 'Ready' });
    expect(h.ports.length).toBe(h.macs.length);
  });

  it('fails a bad setting with the variable, the problem and an example, never the secret', async () => {
    const io = capture();
    const secret = 'CUaKSPXngRtRGRACtLLQKCYLqrQxPgTC';
    const code = await main(['hosts'], io, {
      HOME: home,
      RACKPILOT_ENV_FILE: '',
      MAAS_URL: 'http://10.0.0.1:5240/MAAS',
      MAAS_API_KEY: `only-two-parts:${secret}`,
    });
    expect(code).toBe(2);
    expect(io.err()).toContain('MAAS_API_KEY');
    expect(io.err()).toMatch(/e\.g\. MAAS_API_KEY=/);
    expect(io.err()).not.toContain(secret);
    expect(io.err()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('provisions against the embedded lab: its runner keeps the lab and a store ready for any task', async () => {
    const io = capture();
    const code = await main(['host', 'ls', '--json'], io, { ...labEnv, RACKPILOT_ENV_FILE: '' });
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    const hosts = JSON.parse(io.out());
    // Every lab host MaaS knows is in the store (the one left out of MaaS is for `host add`).
    expect(hosts).toHaveLength(39);
    expect(JSON.stringify(hosts)).not.toMatch(/password/);
    const io2 = capture();
    expect(await main(['offering', 'ls', '--json'], io2, { ...labEnv, RACKPILOT_ENV_FILE: '' })).toBe(0);
    expect(JSON.parse(io2.out()).length).toBeGreaterThan(0);
  });

  it('rejects unknown commands and bad flags as usage errors (exit 2)', async () => {
    const io = capture();
    expect(await main(['frobnicate'], io, labEnv)).toBe(2);
    expect(io.err()).toContain('unknown command "frobnicate"');
    const io2 = capture();
    expect(await main(['lab', '--hosts', 'many'], io2, { ...labEnv, RACKPILOT_ENV_FILE: '' })).toBe(2);
    expect(io2.err()).toContain('--hosts: must be a whole number');
  });

  describe('standalone lab with --env-out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rackpilot-lab-'));
    const envFile = join(dir, 'lab.env');
    let child: ReturnType<typeof spawn> | undefined;
    afterAll(async () => {
      child?.kill('SIGKILL');
      // `hosts` below started the site's runner for the lab's store: it goes with the test.
      await stopRunnersUnder(dir);
    });

    it('writes a private env file a second process uses as a real site, and stops on SIGTERM', async () => {
      child = spawn(
        join('node_modules', '.bin', 'tsx'),
        [
          'src/cli/index.tsx',
          'lab',
          '--hosts',
          '8',
          '--racks',
          '2',
          '--time-scale',
          '0',
          '--env-out',
          envFile,
        ],
        { env: { ...process.env, HOME: dir, RACKPILOT_ENV_FILE: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      const deadline = Date.now() + 30_000;
      while (!out.includes('Ctrl-C stops the lab') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      expect(out).toContain('rackpilot lab: 8 hosts in 2 racks');
      expect(out).toMatch(/switch\s+tor-r01\s+ssh -p \d+ admin@127\.0\.0\.1/);
      expect(existsSync(envFile)).toBe(true);
      expect(statSync(envFile).mode & 0o777).toBe(0o600);
      const env = readFileSync(envFile, 'utf8');
      expect(env).toMatch(/^MAAS_URL=http:\/\/127\.0\.0\.1:\d+\/MAAS$/m);
      expect(env).toMatch(/^RACKPILOT_LAB=off$/m);
      // The printed endpoints carry no secret: the key and passwords are only in the env file.
      const key = /^MAAS_API_KEY=(.*)$/m.exec(env)![1]!;
      expect(out).not.toContain(key.split(':')[2]);

      const io = capture();
      const code = await main(['hosts', '--json'], io, {
        ...testRunMark(),
        HOME: dir,
        RACKPILOT_ENV_FILE: envFile,
      });
      expect(io.err()).toBe('');
      expect(code).toBe(0);
      const inv = JSON.parse(io.out());
      expect(inv.site).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(inv.hosts).toHaveLength(8);
      expect(inv.hosts.every((h: { switch: string | null }) => h.switch !== null)).toBe(true);

      const exited = new Promise<number | null>((r) => child!.once('exit', (c) => r(c)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    });
  });
});
