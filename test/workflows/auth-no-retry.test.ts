import { describe, expect, it } from 'vitest';
import { IpmiError } from '../../src/gear/ipmi/errors.ts';
import { MaasAuthError, MaasUnavailableError } from '../../src/gear/maas/errors.ts';
import { SwitchError } from '../../src/gear/switch/errors.ts';
import { shouldRetry } from '../../src/runner/tasks/internal.ts';
import { hostRecord, labOperatorForFile, runTask } from '../e2e/helpers.ts';

/** An authentication failure is not retried: the task fails at once with one clear line. */
const lab = labOperatorForFile({ hosts: 2, racks: 1, seed: 8 });

describe('authentication failures', () => {
  it('a wrong BMC password fails the power task on its first attempt, with one error line', async () => {
    const [tl, op] = [lab.tl(), lab.op()];
    const h = tl.lab.spec.hosts[0]!;
    const rec = hostRecord(tl, h);
    const systemId = tl.lab.maas.machines.byHostname(h.hostname)!.systemId;
    const host = await op.wb.store.hosts.insert({
      ...rec,
      ipmi: { ...rec.ipmi, password: 'NotThePassword7' },
      maasSystemId: systemId,
    });
    const task = await runTask(
      op,
      'host.power',
      { hostId: host.id, action: 'on' },
      { hostId: host.id, hostname: h.hostname },
    );
    expect(task.state).toBe('failed');
    const failures = task.log.filter((l) => /attempt \d+ failed/.test(l.text));
    expect(failures.map((l) => l.text)).toHaveLength(1);
    expect(failures[0]!.text).toMatch(/attempt 1 failed: .*(password|credentials|RAKP)/i);
    expect(task.log.map((l) => l.text).join('\n')).not.toMatch(/retrying in/);
    expect(tl.lab.world.host(h.hostname).power).toBe('off');
  }, 60_000);

  it('MaaS 401 and a refused switch login are not retried either; a busy MaaS still is', () => {
    const policy = { attempts: 3, backoffMs: 10 };
    const ctx = { op: 'read', target: 'r01-n001' } as never;
    expect(shouldRetry(policy, 1, new MaasAuthError('refused (HTTP 401)', ctx, { status: 401 }), false)).toBe(
      false,
    );
    expect(
      shouldRetry(
        policy,
        1,
        new SwitchError('auth', 'login refused for user admin', { switchName: 'tor-r01' }),
        false,
      ),
    ).toBe(false);
    expect(shouldRetry(policy, 1, new IpmiError('auth', 'RAKP refused'), false)).toBe(false);
    expect(shouldRetry(policy, 1, new IpmiError('timeout', 'no answer'), false)).toBe(true);
    expect(
      shouldRetry(policy, 1, new MaasUnavailableError('busy (HTTP 503)', ctx, { status: 503 }), false),
    ).toBe(true);
  });
});
