import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIALECTS, type DialectName } from '../../src/gear/switch/dialect-names.ts';
import { generateLabSpec, type LabSpec } from '../../src/lab/spec.ts';
import { startLabSwitches, type LabSwitches, type LabSwitchesOptions } from '../../src/lab/switch-server.ts';
import { LabWorld } from '../../src/lab/world.ts';
import type { SwitchTargetInput } from '../../src/gear/switch/target.ts';

export const ALL_DIALECTS: readonly DialectName[] = DIALECTS;

export interface Lab {
  spec: LabSpec;
  world: LabWorld;
  lab: LabSwitches;
  target(dialect: DialectName, extra?: Partial<SwitchTargetInput>): SwitchTargetInput;
  switchName(dialect: DialectName): string;
  tmp: string;
  close(): Promise<void>;
}

/** One lab switch per dialect (tor-r01 force10, tor-r02 os10, tor-r03 nxos, tor-r04 eos). */
export async function startLab(opts: LabSwitchesOptions = {}): Promise<Lab> {
  const spec = generateLabSpec({ racks: 4, hosts: 16, seed: 3 });
  const world = new LabWorld(spec);
  const lab = await startLabSwitches(world, opts);
  const tmp = mkdtempSync(join(tmpdir(), 'rackpilot-switch-'));
  const byDialect = (d: DialectName) => spec.switches.find((s) => s.dialect === d)!;
  return {
    spec,
    world,
    lab,
    tmp,
    switchName: (d) => byDialect(d).name,
    target(dialect, extra = {}) {
      const sw = byDialect(dialect);
      const ep = lab.switches.find((e) => e.name === sw.name)!;
      return {
        name: sw.name,
        host: ep.host,
        port: ep.port,
        username: sw.username,
        password: sw.password,
        dialect,
        pxeVlan: sw.pxeVlan,
        hostKeyFingerprint: ep.hostKeyFingerprint,
        ...extra,
      };
    },
    async close() {
      await lab.close();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export function vlansOf(world: LabWorld, sw: string, port: string): { untagged: number; tagged: number[] } {
  const p = world.port(sw, port);
  return { untagged: p.untagged, tagged: [...p.tagged].sort((a, b) => a - b) };
}
