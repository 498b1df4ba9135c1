import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyRack, loadRackFile, validateRackObject } from '../../src/config/rack/parse.ts';
import { Topology } from '../../src/config/rack/topology.ts';
import type { Rack } from '../../src/config/rack/types.ts';

/** The seed's shape plus the optional per-host boot method. */
function file(hosts: object[]): any {
  return {
    racks: [
      {
        l2Switch: { ip: '172.31.0.109', username: 'admin', password: 'password', type: 'Force10' },
        hosts,
      },
    ],
  };
}

function ok(raw: unknown): Rack {
  const r = validateRackObject(raw);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
  return r.rack;
}

describe('rack file: bootMethod per host', () => {
  it('is optional: the seed format stays valid and says nothing about the boot method', () => {
    const topo = new Topology(ok(file([{ mac: '00:18:8b:52:79:80', port: '1/1/1' }])));
    expect(topo.rack.nics[0]!.bootMethod).toBeUndefined();
    expect(topo.bootMethodOf(['00:18:8b:52:79:80'])).toBeUndefined();
  });

  it('given on one NIC entry of a host, holds for all its entries, found by hostname or any MAC', () => {
    const topo = new Topology(
      ok(
        file([
          { mac: '00:18:8b:52:79:80', port: '1/1/1', hostname: 'r01-n001' },
          { mac: '00:18:8b:52:79:81', port: '1/1/2', hostname: 'r01-n001', bootMethod: 'legacy' },
          { mac: '00:18:8b:52:79:82', port: '1/1/3', hostname: 'r01-n002', bootMethod: 'uefi' },
          { mac: '00:18:8b:52:79:83', port: '1/1/4', hostname: 'r01-n003' },
        ]),
      ),
    );
    expect(topo.rack.nics.map((n) => n.bootMethod)).toEqual(['legacy', 'legacy', 'uefi', undefined]);
    expect(topo.host('R01-N001')?.bootMethod).toBe('legacy');
    expect(topo.bootMethodOf([], 'r01-n001')).toBe('legacy');
    expect(topo.bootMethodOf(['00188b527980'])).toBe('legacy');
    expect(topo.bootMethodOf(['00:18:8b:52:79:82'], 'r01-n002')).toBe('uefi');
    expect(topo.bootMethodOf(['00:18:8b:52:79:83'], 'r01-n003')).toBeUndefined();
  });

  it('refuses a value other than uefi or legacy, at its JSON path', () => {
    const r = validateRackObject(file([{ mac: '00:18:8b:52:79:80', port: '1/1/1', bootMethod: 'efi' }]));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([
      { path: 'racks[0].hosts[0].bootMethod', message: '"efi" is not a boot method (uefi or legacy)' },
    ]);
  });

  it('refuses two boot methods for one host, naming both places', () => {
    const r = validateRackObject(
      file([
        { mac: '00:18:8b:52:79:80', port: '1/1/1', hostname: 'r01-n001', bootMethod: 'uefi' },
        { mac: '00:18:8b:52:79:81', port: '1/1/2', hostname: 'r01-n001', bootMethod: 'legacy' },
      ]),
    );
    expect(!r.ok && r.errors).toEqual([
      {
        path: 'racks[0].hosts[1].bootMethod',
        message:
          'differs from the boot method given for r01-n001 at racks[0].hosts[0].bootMethod; a host boots one way',
      },
    ]);
  });
});

describe('no rack file: an empty rack', () => {
  it('is a valid topology with no racks, switches or cabling', () => {
    const topo = new Topology(emptyRack());
    expect(topo.summary()).toEqual({
      racks: 0,
      switches: 0,
      hosts: 0,
      namedHosts: 0,
      unnamedNics: 0,
      nics: 0,
      bondableHosts: 0,
    });
    expect(topo.nicsForMacs(['00:18:8b:52:79:80'])).toEqual([]);
    expect(topo.host('r01-n001')).toBeUndefined();
    expect(topo.bootMethodOf(['00:18:8b:52:79:80'], 'r01-n001')).toBeUndefined();
    expect(topo.vlanAllowed('tor-r01', 100)).toBe(false);
  });

  it('while a rack FILE that lists no racks is still refused, naming the JSON path', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rp-rack-'));
    const path = join(dir, 'rack.json');
    writeFileSync(path, '{ "racks": [] }\n');
    const r = await loadRackFile(path);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors).toEqual([{ path: 'racks', message: 'the file lists no racks' }]);
  });
});
