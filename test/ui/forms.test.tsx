import { afterEach, describe, expect, it } from 'vitest';
import { cleanup } from 'ink-testing-library';
import { pickMove } from '../../components/PickList.tsx';
import { parseHardware } from '../../components/launch.ts';
import { fakeActions, fakeCatalog, KEYS, mount, selectHost, tick } from './harness.tsx';

/**
 * The dashboard's forms: pick lists move with j/k as the footer says, an error keeps the form and
 * what was typed, and a placeholder never looks like a value.
 */
afterEach(() => cleanup());

const SLOW = { keyWait: 40 };
const footer = (frame: string) => frame.split('\n').slice(-2).join('\n');

async function toTemplates(h: Awaited<ReturnType<typeof mount>>) {
  await h.press('d');
  await h.until('Deploy on r01-n001');
  await h.press(KEYS.enter); // offering: the only one this host fits
  await h.until(/offering\s+big/);
  await h.until(/❯ jammy\s+ubuntu\/jammy/);
}

describe('deploy form', () => {
  it('j then enter picks the second template (noble), k moves back up', async () => {
    const fake = fakeActions();
    const h = await mount(
      { actions: fake.actions, catalog: fakeCatalog() },
      { columns: 100, rows: 30 },
      SLOW,
    );
    await toTemplates(h);
    await h.press('j');
    await h.until(/❯ noble\s+ubuntu\/noble/);
    await h.press('k');
    await h.until(/❯ jammy\s+ubuntu\/jammy/);
    await h.press('j');
    await h.until(/❯ noble/);
    await h.press(KEYS.enter);
    await h.until(/template\s+noble/);
    // Networks: j moves, space marks, in the order marked; the first marked is the default NIC.
    await h.until(/❯ tenant-a\s+VLAN 200/);
    await h.press('j');
    await h.press('j');
    await h.press(' '); // storage
    await h.press('k');
    await h.press(' '); // tenant-b
    await h.until(/tenant-b\s+VLAN 201 ✔/);
    await h.press(KEYS.enter);
    await h.until(/networks\s+storage, tenant-b/);
  });

  it('a user-data file that cannot be read keeps the form, its answers and the path typed', async () => {
    const fake = fakeActions({ fail: { plan: 'user data /nope/cloud.yaml: no such file' } });
    const h = await mount(
      { actions: fake.actions, catalog: fakeCatalog() },
      { columns: 100, rows: 30 },
      SLOW,
    );
    await toTemplates(h);
    await h.press(KEYS.enter);
    await h.until(/template\s+jammy/);
    await h.until(/❯ tenant-a/);
    await h.press(' ');
    await h.press(KEYS.enter);
    await h.until('instance name');
    await h.type('vm1');
    await h.press(KEYS.enter);
    await h.until('user-data file');
    await h.type('/nope/cloud.yaml');
    await h.press(KEYS.enter);
    await h.until('cannot plan: user data /nope/cloud.yaml: no such file');
    const frame = h.frame();
    expect(frame).toContain('Deploy on r01-n001');
    expect(frame).toMatch(/offering\s+big/);
    expect(frame).toMatch(/networks\s+tenant-a/);
    expect(frame).toMatch(/name\s+vm1/);
    expect(frame).toMatch(/user-data file \(enter for none\): \/nope\/cloud\.yaml/);
    // Enter plans again with the path as typed (kept, not lost): the same request.
    // @inkjs/ui's input takes keys from an effect a render after it shows: let it settle.
    await tick(200);
    await h.press(KEYS.enter);
    await tick(40);
    const plans = fake.calls.filter((c) => c.method === 'plan');
    expect(plans).toHaveLength(2);
    expect(plans[1]!.args[0]).toEqual(plans[0]!.args[0]);
    expect(plans[1]!.args[0]).toMatchObject({ userDataPath: '/nope/cloud.yaml', name: 'vm1' });
    expect(h.frame()).toContain('Deploy on r01-n001');
  });
});

describe('add-host form', () => {
  it('shows an example, not a value; a wrong or empty entry is refused in place, the text kept', async () => {
    const fake = fakeActions();
    const h = await mount({ actions: fake.actions }, undefined, SLOW);
    await selectHost(h, 'r01-n099');
    await h.press('a');
    await h.until('Add r01-n099 to MaaS');
    expect(h.frame()).toContain('for example 64 2100 262144');
    expect(h.frame()).not.toMatch(/take it from MaaS commissioning/);
    await h.press(KEYS.enter);
    await h.until('type the cores, MHz and memory in MB');
    await h.type('64 2100');
    await h.press(KEYS.enter);
    await h.until('"64 2100" is not CORES MHZ MEMORY_MB');
    expect(h.frame()).toContain('Add r01-n099');
    await h.type(' 262144');
    await h.press(KEYS.enter);
    await tick(40);
    // Accepted: the runner is asked for the add's plan with the hardware typed.
    expect(fake.calls.map((c) => c.method)).toEqual(['planAction']);
    expect(fake.calls[0]!.args[0]).toMatchObject({
      action: 'host-add',
      cores: 64,
      mhz: 2100,
      memory: 262144,
    });
    expect(footer(h.frame())).not.toContain('is not CORES');
  });

  it('parseHardware names what is wrong', () => {
    expect(parseHardware(' 8 2000 16384 ')).toEqual({ cpuCores: 8, cpuMhz: 2000, memoryMb: 16384 });
    expect(parseHardware('8,2000,16384')).toEqual({ cpuCores: 8, cpuMhz: 2000, memoryMb: 16384 });
    expect(parseHardware('8 2000 -1')).toMatch(/is not CORES MHZ MEMORY_MB/);
    expect(parseHardware('')).toMatch(/type the cores/);
  });
});

describe('pick list keys', () => {
  const none = { upArrow: false, downArrow: false };
  it('j/k and the arrows move within the list, g/G to its ends; other keys do not move', () => {
    expect(pickMove('j', none, 0, 3, 5)).toBe(1);
    expect(pickMove('j', none, 2, 3, 5)).toBe(2);
    expect(pickMove('k', none, 0, 3, 5)).toBe(0);
    expect(pickMove('', { ...none, downArrow: true }, 1, 3, 5)).toBe(2);
    expect(pickMove('G', none, 0, 3, 5)).toBe(2);
    expect(pickMove('g', none, 2, 3, 5)).toBe(0);
    expect(pickMove('x', none, 1, 3, 5)).toBeNull();
  });
});
