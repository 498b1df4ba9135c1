import { beforeEach, describe, expect, it } from 'vitest';
import { validateRackObject } from '../../src/config/rack/parse.ts';
import type { RackError } from '../../src/config/rack/types.ts';
import { clearSecretsForTest } from '../../src/util/redact.ts';

/** One rack, one host; `bmc` is the object under test. */
function file(bmc: unknown): unknown {
  return {
    racks: [
      {
        l2Switch: { ip: '172.31.0.109', username: 'admin', password: 'password', type: 'Force10' },
        hosts: [{ mac: '00:18:8b:52:79:80', port: '1/1/1', hostname: 'r01-n001', bmc }],
      },
    ],
  };
}

function errorsOf(bmc: unknown): RackError[] {
  const r = validateRackObject(file(bmc));
  if (r.ok) throw new Error('expected errors, the file was accepted');
  return r.errors;
}

const FP = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89';

beforeEach(() => clearSecretsForTest());

describe('rack file: Redfish BMCs', () => {
  it('defaults a Redfish BMC to HTTPS on 443 and keeps its pin, lower-case, without colons', () => {
    const r = validateRackObject(
      file({
        protocol: 'redfish',
        address: 'bmc-r01-n001.example.net',
        username: 'Administrator-with-a-long-name',
        passwordEnv: 'BMC_PASS',
        certSha256: `SHA256 Fingerprint=${FP}`,
        systemId: 'System.Embedded.1',
      }),
    );
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    expect(r.rack.nics[0]!.bmc).toEqual({
      protocol: 'redfish',
      address: 'bmc-r01-n001.example.net',
      port: 443,
      scheme: 'https',
      username: 'Administrator-with-a-long-name',
      passwordEnv: 'BMC_PASS',
      certSha256: FP.replace(/:/g, '').toLowerCase(),
      systemId: 'System.Embedded.1',
    });
  });

  it('defaults HTTP to port 80 and an IPMI BMC still to 623', () => {
    const http = validateRackObject(file({ protocol: 'redfish', address: '127.0.0.1', scheme: 'http' }));
    const ipmi = validateRackObject(file({ address: '10.0.0.1' }));
    expect(http.ok && http.rack.nics[0]!.bmc).toMatchObject({ port: 80, scheme: 'http' });
    expect(ipmi.ok && ipmi.rack.nics[0]!.bmc).toEqual({ protocol: 'ipmi', address: '10.0.0.1', port: 623 });
  });

  it.each([
    [
      { protocol: 'snmp', address: '10.0.0.1' },
      'protocol',
      /"snmp" is not a BMC protocol \(ipmi or redfish\)/,
    ],
    [{ protocol: 'redfish', address: '10.0.0.1', scheme: 'ftp' }, 'scheme', /not a scheme/],
    [{ protocol: 'redfish', address: '10.0.0.1', certSha256: 'abc' }, 'certSha256', /64 hex digits/],
    [
      { protocol: 'redfish', address: '10.0.0.1', systemId: '../Managers/1' },
      'systemId',
      /not a Redfish system id/,
    ],
    [{ protocol: 'redfish', address: '10.0.0.1', systemId: '' }, 'systemId', /not a Redfish system id/],
    [
      { protocol: 'redfish', address: '10.0.0.1', scheme: 'http', certSha256: FP },
      'certSha256',
      /scheme is http/,
    ],
    [{ address: '10.0.0.1', systemId: '1' }, 'systemId', /Redfish field: add "protocol": "redfish"/],
    [{ address: '10.0.0.1', certSha256: FP }, 'certSha256', /Redfish field/],
    [{ address: '10.0.0.1', scheme: 'https' }, 'scheme', /Redfish field/],
    [{ address: '10.0.0.1', username: 'a'.repeat(17) }, 'username', /IPMI limit/],
    [{ address: '10.0.0.1', password: 'p'.repeat(21) }, 'password', /IPMI limit/],
  ])('refuses %j at its JSON path', (bmc, field, message) => {
    const errors = errorsOf(bmc);
    const e = errors.find((x) => x.path === `racks[0].hosts[0].bmc.${field}`);
    expect(e, JSON.stringify(errors)).toBeDefined();
    expect(e!.message).toMatch(message);
  });

  it('takes a Redfish user name and password longer than IPMI allows', () => {
    const r = validateRackObject(
      file({ protocol: 'redfish', address: '10.0.0.1', username: 'u'.repeat(40), password: 'p'.repeat(40) }),
    );
    expect(r.ok).toBe(true);
  });

  it('two hosts on one Redfish BMC address and port are refused; the default port counts', () => {
    const f = file({ protocol: 'redfish', address: '10.0.0.1' }) as any;
    f.racks[0].hosts.push({
      mac: '00:18:8b:52:79:81',
      port: '1/1/2',
      hostname: 'r01-n002',
      bmc: { protocol: 'redfish', address: '10.0.0.1', port: 443 },
    });
    const r = validateRackObject(f);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]!.message).toMatch(/10\.0\.0\.1:443 is already the BMC of host r01-n001/);
  });
});
