import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DoctorFacts } from '../../src/runner/doctor/diagnose.ts';
import { stageHistorySchema } from '../../src/runner/doctor/history.ts';
import { parseEventTime } from '../../src/gear/maas/schemas.ts';

/**
 * The recorded timelines (test/fixtures/doctor): each a machine as a real region shows it, read
 * from a jump host that reaches neither the BMC nor the switches.
 */
const DIR = join(import.meta.dirname, '..', 'fixtures', 'doctor');

export interface Fixture {
  about: string;
  expect: string | null;
  now: string;
  maas: NonNullable<Extract<DoctorFacts['maas'], { systemId: string }>>;
  events: { id: number; level: string; created: string; type: string; description: string }[];
  curtin: DoctorFacts['curtin'];
  history: unknown;
}

export function load(name: string): { fx: Fixture; facts: DoctorFacts } {
  const fx = JSON.parse(readFileSync(join(DIR, `${name}.json`), 'utf8')) as Fixture;
  const facts: DoctorFacts = {
    hostname: 'r01-n007',
    now: parseEventTime(fx.now)!,
    maas: fx.maas,
    events: fx.events.map((e) => ({ ...e, at: parseEventTime(e.created) ?? Number.NaN })),
    curtin: fx.curtin,
    history: fx.history ? stageHistorySchema.parse(fx.history) : null,
    bmc: { answer: 'unreachable', error: 'no answer from 10.0.7.7:623 after 3 tries' },
    outOfBand: null,
    ports: [{ switch: 'tor-r01', port: 'ethernet1/1/7', pxeVlan: 10, error: 'ssh: connect timed out' }],
    macs: [
      { mac: '52:54:00:12:34:07', switch: 'tor-r01', port: 'ethernet1/1/7', error: 'ssh: connect timed out' },
    ],
    instanceMac: null,
    task: null,
  };
  return { fx, facts };
}

export const names = readdirSync(DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort();
