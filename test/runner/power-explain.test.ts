import { describe, expect, it } from 'vitest';
import { formatEventTime } from '../../src/gear/maas/schemas.ts';
import { NODE_STATUS } from '../../src/gear/maas/node-status.ts';
import { maasExplainsPower } from '../../src/runner/power-explain.ts';

const NOW = Date.parse('2026-12-07T06:00:00Z');
const WINDOW = 60_000;
const deployed = { status: NODE_STATUS.DEPLOYED, status_name: 'Deployed' };
const ready = { status: NODE_STATUS.READY, status_name: 'Ready' };

/** Events newest first, as MaaS's events API answers: `[type, seconds before NOW]`. */
const story = (...events: [string, number][]) =>
  events.map(([type, agoS]) => ({ type, created: formatEventTime(NOW - agoS * 1000) }));

describe('whether MaaS explains a power change the BMC sweep saw', () => {
  it('by the status in which MaaS powers hosts that way', () => {
    expect(
      maasExplainsPower({ status: NODE_STATUS.DEPLOYING, status_name: 'Deploying' }, [], 'on', NOW, WINDOW),
    ).toBe('MaaS powers it on while Deploying');
    expect(
      maasExplainsPower({ status: NODE_STATUS.RELEASING, status_name: 'Releasing' }, [], 'off', NOW, WINDOW),
    ).toBe('MaaS powers it off while Releasing');
    expect(
      maasExplainsPower({ status: NODE_STATUS.DEPLOYING, status_name: 'Deploying' }, [], 'off', NOW, WINDOW),
    ).toBe(null);
  });

  it("by MaaS's own power action, when the deploy went on to Deployed before the sweep came round", () => {
    // A fast deploy: MaaS powered the host on (power_change_success logs "Node powered on"), then
    // curtin and cloud-init logged on; the sweep's next read finds it on and MaaS already Deployed.
    const events = story(
      ['Node changed status', 1],
      ['Node installation', 2],
      ['Node installation', 3],
      ['Rebooting', 4],
      ['Installation complete', 5],
      ...Array.from({ length: 30 }, (): [string, number] => ['Node installation', 10]),
      ['PXE Request', 30],
      ['Node powered on', 40],
      ['Powering on', 41],
    );
    expect(maasExplainsPower(deployed, events, 'on', NOW, WINDOW)).toBe('MaaS: Node powered on');
    expect(maasExplainsPower(deployed, story(['User powering up node', 5]), 'on', NOW, WINDOW)).toBe(
      'MaaS: User powering up node',
    );
    expect(maasExplainsPower(ready, story(['Power cycling', 5]), 'off', NOW, WINDOW)).toBe(
      'MaaS: Power cycling',
    );
  });

  it('not by an action the other way, nor by one older than the window', () => {
    expect(maasExplainsPower(deployed, story(['Node powered off', 5]), 'on', NOW, WINDOW)).toBe(null);
    expect(maasExplainsPower(deployed, story(['Node powered on', 61]), 'on', NOW, WINDOW)).toBe(null);
    // A power button: MaaS's poll records it without an event, so only unrelated events are new.
    expect(
      maasExplainsPower(deployed, story(['Node installation', 1], ['Rebooting', 2]), 'off', NOW, WINDOW),
    ).toBe(null);
  });
});
