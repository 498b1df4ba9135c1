import { afterEach, describe, expect, it } from 'vitest';
import { IpmiClient } from '../../src/gear/ipmi/client.ts';
import { MaasClient } from '../../src/gear/maas/client.ts';
import { rig, type Rig } from './helpers.ts';

/** A step's signal reaches the wire: a timed-out step's MaaS request is aborted, not left running. */
let r: Rig;
let ipmi: IpmiClient | undefined;
afterEach(async () => {
  await r?.close();
  await ipmi?.close();
  ipmi = undefined;
});

const apiKey = { consumerKey: 'ck', tokenKey: 'tk', tokenSecret: 'ts' };

/** A MaaS that never answers: each request waits until its signal aborts. */
function silentMaas() {
  const requests: { url: string; aborted: boolean; settledAt?: number }[] = [];
  const fake = (async (input: string | URL | Request, init?: RequestInit) => {
    const req = new Request(input, init);
    const seen: (typeof requests)[number] = { url: req.url, aborted: false };
    requests.push(seen);
    return new Promise<Response>((_, reject) => {
      req.signal.addEventListener('abort', () => {
        seen.aborted = true;
        seen.settledAt = performance.now();
        reject(req.signal.reason);
      });
    });
  }) as typeof fetch;
  return { requests, fetch: fake };
}

describe('AbortSignal through the ports', () => {
  it("a MaaS call made with ctx.signal is aborted on the step's timeout and fails with it", async () => {
    r = await rig();
    const maas = silentMaas();
    const client = new MaasClient({ url: 'http://maas.invalid:5240/MAAS', apiKey, fetch: maas.fetch });
    let stepEnded = 0;
    const id = await r.engine.start('deploy', { hostname: 'r01-n001' }, null, {
      steps: [
        {
          title: 'read machine',
          timeoutMs: 40,
          run: async (ctx) => {
            try {
              await client.readMachine('abc123', ctx.signal);
            } finally {
              stepEnded = performance.now();
            }
          },
        },
      ],
    });
    const t = await r.engine.wait(id);
    expect(t.state).toBe('failed');
    expect(t.steps[0]).toMatchObject({ state: 'failed', error: 'timed out after 40 ms' });
    expect(maas.requests).toHaveLength(1);
    expect(maas.requests[0]).toMatchObject({
      url: expect.stringContaining('machines/abc123/'),
      aborted: true,
    });
    // The request was over before the step was: nothing of it outlived the task's hold on the host.
    expect(maas.requests[0]!.settledAt!).toBeLessThanOrEqual(stepEnded);
  });

  it('a MaaS call rejects with the reason it was aborted for, not as "MaaS unreachable"', async () => {
    const maas = silentMaas();
    const client = new MaasClient({ url: 'http://maas.invalid:5240/MAAS', apiKey, fetch: maas.fetch });
    const c = new AbortController();
    const call = client.deploy('abc123', { distroSeries: 'jammy' }, c.signal);
    await new Promise((res) => setTimeout(res, 10));
    c.abort(new Error('cancelled by operator'));
    await expect(call).rejects.toThrow('cancelled by operator');
    expect(maas.requests[0]!.aborted).toBe(true);
  });

  it('an IPMI call with an aborted signal sends nothing', async () => {
    ipmi = new IpmiClient({ timeoutMs: 2_000, retries: 0, keepAliveMs: 0 });
    const target = { host: '127.0.0.1', port: 9, username: 'admin', password: 'x', name: 'BMC' };
    const started = performance.now();
    await expect(ipmi.power(target, 'off', AbortSignal.abort(new Error('timed out')))).rejects.toThrow(
      'timed out',
    );
    expect(performance.now() - started).toBeLessThan(500);
    expect(await ipmi.sessionOpens(target)).toBe(0);
  });
});
