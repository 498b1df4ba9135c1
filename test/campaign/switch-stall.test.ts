import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LabHost } from '../../src/lab/spec.ts';
import { startTestLab, type TestLab } from '../e2e/helpers.ts';
import { cli, cliOk, shapeFlags, taskShow } from '../runner/cli-process.ts';
import { stopRunnersUnder } from '../runner/helpers.ts';
import { afterPlan, expectClean } from './clean.ts';

/**
 * A switch that stops answering in the middle of a VLAN batch (issue 13): an `attach` whose batch
 * tags two ports of one ToR switch, the switch going silent on the second port's `interface` line
 * after the first port took the VLAN. Through `rackpilot` processes and the runner: the task fails
 * naming the switch, the port and the command; its journal shows the step failed; the switch's
 * ports are exactly as before the batch (the service undid the first port on a fresh session);
 * `task resume` after the switch answers again finishes it.
 */
let tl: TestLab;
let env: Record<string, string>;
let host: LabHost;

const ok = (args: string[]) => cliOk(args, env);

const taskJson = (id: string) => taskShow(id, env);

function ports() {
  return host.nics.map((n) => {
    const p = tl.lab.world.port(n.switch, n.port);
    return {
      switch: n.switch,
      port: n.port,
      untagged: p.untagged,
      tagged: [...p.tagged].sort((a, b) => a - b),
    };
  });
}

beforeAll(async () => {
  tl = await startTestLab({ hosts: 4, racks: 1, seed: 11 });
  const store = join(mkdtempSync(join(tl.dir, 'rp-site-')), 'store.json');
  env = { HOME: tl.dir, RACKPILOT_ENV_FILE: tl.envFile, RACKPILOT_STORE: store };
  host = tl.lab.spec.hosts.find(
    (h) => h.nics.length >= 2 && new Set(h.nics.map((n) => n.switch)).size === 1,
  )!;
  expect(host, 'a lab host with two NICs on one switch').toBeDefined();
  await ok(['template', 'add', 'jammy', '--image', 'ubuntu/jammy']);
  await ok(['offering', 'add', 'shape', ...shapeFlags(host)]);
  await ok(['network', 'add', 'tenant-a', '--vlan', '200']);
  await ok(['network', 'add', 'tenant-b', '--vlan', '201']);
  await ok(['host', 'add', '--hostname', host.hostname, ...shapeFlags(host), '--yes']);
  await ok([
    'deploy',
    'vm1',
    '--offering',
    'shape',
    '--template',
    'jammy',
    '--network',
    'tenant-a',
    '--host',
    host.hostname,
    '--yes',
  ]);
}, 60_000);

afterAll(async () => {
  await stopRunnersUnder(tl.dir);
  await tl?.close();
});

describe('a switch that stops answering mid-batch', () => {
  it('fails the attach naming switch, port and command, leaves the ports as before, and resumes', async () => {
    const sw = host.nics[0]!.switch;
    const second = host.nics[1]!.port;
    const before = ports();
    expect(before.every((p) => p.untagged === 200 && p.tagged.length === 0)).toBe(true);
    // The switch runs the second port's configuration line (`tagged TenGigabitEthernet 1/1/3` on
    // Dell, `interface Ethernet1/3` on NX-OS) and never answers it (it runs the line; the reply would
    // come after two minutes). Reads (`show …`) are not stalled.
    const esc = second.replace(/[/.]/g, '\\$&');
    const line = new RegExp(`^(?!show |do ).*[^0-9/]${esc}$`, 'i');
    tl.lab.switches.faults.slow(120_000, { switch: sw, match: line, times: 1 });
    const seen: string[] = [];
    const off = tl.lab.world.on((e) => {
      if (e.kind === 'port' && e.switch === sw)
        seen.push(`${e.port} ${[...e.state.tagged].sort((a, b) => a - b).join(',') || '-'}`);
    });
    const started = Date.now();
    const ran = await cli(['attach', 'vm1', 'tenant-b', '--yes'], env);
    // The command's own messages, after the plan it showed and its confirmation.
    const r = { ...ran, err: afterPlan(ran.err) };
    tl.lab.switches.faults.clear();
    off();
    expect(r.code, r.err).toBe(1);
    expect(Date.now() - started).toBeLessThan(50_000);
    const id = /task (t-[0-9a-f]+)/.exec(r.err)![1]!;
    expectClean(r.err, `switch ${sw}`);
    expect(r.err).toMatch(/no prompt within \d+(\.\d+)? s after/);
    expect(r.err).toContain(second);
    // The batch is sent in one write; the answers that came name the line the switch went silent
    // on (the second port's), and the message names every port of the batch.
    expect(r.err).toMatch(new RegExp(`after \`[^\`]*${esc}\` \\(line [2-9] of \\d+ of a batch`));
    expect(r.err).toContain(`port ${host.nics.map((n) => n.port).join(', ')}`);

    const t = await taskJson(id);
    expect(t.state).toBe('failed');
    const step = t.steps.find((s) => /Tag VLAN 201/.test(s.title))!;
    expect(step.state).toBe('failed');
    expect(t.steps.at(-1)!.state).toBe('pending');
    // Nothing half-applied: the switch had run both lines (the second one's answer never came);
    // the service read both ports on a fresh session and put them back.
    const [p1, p2] = host.nics.map((n) => n.port);
    expect([...seen].sort()).toEqual([`${p1} -`, `${p1} 201`, `${p2} -`, `${p2} 201`].sort());
    expect(seen.slice(0, 2).every((l) => l.endsWith(' 201'))).toBe(true);
    expect(ports()).toEqual(before);

    const resumed = await cli(['task', 'resume', id, '--yes'], env);
    expect(resumed.code, resumed.err).toBe(0);
    expect((await taskJson(id)).state).toBe('done');
    expect(ports()).toEqual(before.map((p) => ({ ...p, tagged: [201] })));
    const ls = JSON.parse((await ok(['ls', '--json'])).out) as { name: string; networks?: unknown }[];
    expect(JSON.stringify(ls.find((i) => i.name === 'vm1'))).toContain('tenant-b');
  }, 90_000);
});
