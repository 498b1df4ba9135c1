import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { maasAuthorizationHeader } from '../../src/gear/maas/oauth.ts';
import { moveToTenantVlan, startSite } from './lab-helpers.ts';

const examples = JSON.parse(readFileSync(new URL('../fixtures/maas/machines.json', import.meta.url), 'utf8'));
const events = JSON.parse(readFileSync(new URL('../fixtures/maas/events.json', import.meta.url), 'utf8'));
const subnets = JSON.parse(readFileSync(new URL('../fixtures/maas/subnets.json', import.meta.url), 'utf8'));

const keys = (o: object) => Object.keys(o).sort();

async function raw(s: Awaited<ReturnType<typeof startSite>>, path: string): Promise<any> {
  const url = `${s.lab.url}/api/2.0/${path}`;
  const res = await fetch(url, {
    headers: { Authorization: maasAuthorizationHeader(s.lab.apiKeyParts) },
  });
  expect(res.headers.get('content-type')).toBe('application/json');
  return res.json();
}

describe("the lab's JSON has MaaS's shape", () => {
  it('machines carry exactly the keys of MaaS example machines, interfaces those of example interfaces', async () => {
    const s = await startSite();
    const [m] = await raw(s, `machines/?hostname=${s.hostnames[0]}`);
    const example = examples['machines-deploy'];
    expect(keys(m)).toEqual(keys(example));
    expect(keys(m.interface_set[0])).toEqual(keys(example.interface_set[0]));
    expect(keys(m.interface_set[0].vlan)).toEqual(keys(example.interface_set[0].vlan));
    expect(keys(m.boot_disk)).toEqual(keys(example.boot_disk));
    expect(keys(m.zone)).toEqual(keys(example.zone));
    expect(keys(m.domain)).toEqual(keys(example.domain));
    const linkExample = example.interface_set
      .concat(...Object.values(examples).flatMap((x: any) => x.interface_set ?? []))
      .flatMap((i: any) => i.links)
      .find((l: any) => l.subnet);
    expect(keys(m.interface_set[0].links[0])).toEqual(keys(linkExample).filter((k) => k !== 'ip_address'));
    expect(keys(m.interface_set[0].links[0].subnet)).toEqual(keys(linkExample.subnet));
    expect(m.resource_uri).toBe(`/MAAS/api/2.0/machines/${m.system_id}/`);
  });

  it('events and subnets carry the keys of the examples', async () => {
    const s = await startSite();
    const page = await raw(s, `events/?op=query&id=${s.id(s.hostnames[0]!)}`);
    expect(keys(page)).toEqual(keys(events['events-query']));
    expect(keys(page.events[0])).toEqual(keys(events['events-query'].events[0]));
    expect(page.events[0].created).toMatch(/^\w{3}, \d{2} [A-Z][a-z]+\.? \d{4} \d{2}:\d{2}:\d{2}$/);
    const list = await raw(s, 'subnets/');
    expect(keys(list[0])).toEqual(keys(subnets['subnets-read'][0]));
  });
});

describe('operations stalled off the PXE network time out into their failed states', () => {
  it('commissioning and disk erasing on a tenant VLAN fail with MaaS timeout text', async () => {
    const s = await startSite({ minStallTimeoutMs: 300, initialStates: { 'r02-n001': 'Deployed' } });
    moveToTenantVlan(s.world, 'r01-n001', 100);
    moveToTenantVlan(s.world, 'r02-n001', 100);
    await s.client.commission(s.id('r01-n001'));
    // The destroy-order mistake: release with erase while the ToR still has the tenant VLAN.
    await s.client.release(s.id('r02-n001'), { erase: 'quick' });
    const c = await s.waitStatus(s.id('r01-n001'), 'Failed commissioning');
    expect(c.status_message).toBe(
      "Marking node failed - Node operation 'Commissioning' timed out after 30 minutes.",
    );
    const e = await s.waitStatus(s.id('r02-n001'), 'Failed disk erasing');
    expect(e.status_message).toBe(
      "Marking node failed - Node operation 'Disk erasing' timed out after 30 minutes.",
    );
    // The disk was never wiped.
    expect(s.world.installedOs.has('r02-n001')).toBe(true);
  });
});
