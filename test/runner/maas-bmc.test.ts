import { describe, expect, it } from 'vitest';
import { bmcFromMaasPower } from '../../src/runner/site/maas-bmc.ts';
import { bmcTarget } from '../../src/runner/site/bmc-target.ts';
import { redact } from '../../src/util/redact.ts';

/**
 * MaaS's power parameters → a BMC rackpilot can drive. The inputs are shaped as MaaS's own power
 * drivers store them (provisioningserver/drivers/power/ipmi.py and redfish.py): every value a
 * string but workaround_flags, a list.
 */
const ipmi = (over: Record<string, unknown> = {}) => ({
  power_driver: 'LAN_2_0',
  power_boot_type: 'auto',
  power_address: '10.0.0.11',
  power_user: 'maas',
  power_pass: 'Xk3-secret-ipmi',
  k_g: '',
  cipher_suite_id: '3',
  privilege_level: 'OPERATOR',
  workaround_flags: ['opensesspriv'],
  mac_address: '',
  power_off_mode: 'hard',
  ...over,
});

describe("MaaS's IPMI power parameters", () => {
  it('maps address, user, password, cipher suite and privilege', () => {
    expect(bmcFromMaasPower('ipmi', ipmi())).toEqual({
      ok: true,
      fields: {
        protocol: 'ipmi',
        address: '10.0.0.11',
        username: 'maas',
        password: 'Xk3-secret-ipmi',
        cipherSuite: 3,
        privilege: 'operator',
      },
    });
    const r = bmcFromMaasPower('ipmi', ipmi({ cipher_suite_id: '17', privilege_level: 'ADMIN' }));
    expect(r).toMatchObject({ ok: true, fields: { cipherSuite: 17, privilege: 'administrator' } });
  });

  it('reads host:port and [v6]:port as freeipmi does, and defaults as MaaS does', () => {
    expect(bmcFromMaasPower('ipmi', ipmi({ power_address: '127.0.0.1:6231' }))).toMatchObject({
      ok: true,
      fields: { address: '127.0.0.1', port: 6231 },
    });
    expect(bmcFromMaasPower('ipmi', ipmi({ power_address: '[fd00::11]:623' }))).toMatchObject({
      ok: true,
      fields: { address: 'fd00::11', port: 623 },
    });
    // Empty cipher suite: freeipmi's default (3); no privilege level: MaaS's default, OPERATOR.
    const r = bmcFromMaasPower('ipmi', ipmi({ cipher_suite_id: '', privilege_level: undefined }));
    expect(r).toMatchObject({ ok: true, fields: { cipherSuite: 3, privilege: 'operator' } });
    const t = bmcTarget((r as { fields: Parameters<typeof bmcTarget>[0] }).fields, 'r01-n001');
    expect(t).toMatchObject({ protocol: 'ipmi', ipmi: { cipherSuite: 3, privilege: 'operator' } });
  });

  it('refuses what rackpilot cannot speak, each with its reason', () => {
    const reason = (p: Record<string, unknown>, type = 'ipmi') => {
      const r = bmcFromMaasPower(type, p);
      return r.ok ? null : r.reason;
    };
    expect(reason(ipmi({ power_driver: 'LAN' }))).toMatch(/IPMI 1\.5 \(power_driver LAN\)/);
    expect(reason(ipmi({ power_address: '' }))).toMatch(/no power_address/);
    expect(reason(ipmi({ power_address: '10.0.0.1; reboot' }))).toMatch(/not a host or host:port/);
    expect(reason(ipmi({ power_address: '10.0.0.1:70000' }))).toMatch(/not a host or host:port/);
    expect(reason(ipmi({ power_pass: undefined }))).toMatch(/no power_pass/);
    expect(reason(ipmi({ k_g: 'abcdef' }))).toMatch(/K_g/);
    expect(reason(ipmi({ cipher_suite_id: '8' }))).toMatch(/cipher suite 8/);
    expect(reason(ipmi({ privilege_level: 'USER' }))).toMatch(/OPERATOR or ADMIN/);
    expect(reason({ power_address: 'qemu+ssh://x/system', power_id: 'vm1' }, 'virsh')).toMatch(/"virsh"/);
  });

  it('keeps the password a secret from the moment it is read, failures included', () => {
    const r = bmcFromMaasPower('ipmi', ipmi({ power_pass: 'Zq9-never-shown', k_g: 'x' }));
    expect(r.ok).toBe(false);
    expect(redact('login with Zq9-never-shown failed')).not.toContain('Zq9-never-shown');
  });
});

describe("MaaS's Redfish power parameters", () => {
  const redfish = (over: Record<string, unknown> = {}) => ({
    power_address: 'https://10.0.0.12',
    power_user: 'root',
    power_pass: 'Rf-secret-1',
    node_id: 'System.Embedded.1',
    ...over,
  });

  it('maps the URL, the user, the password and node_id (the system id)', () => {
    expect(bmcFromMaasPower('redfish', redfish())).toEqual({
      ok: true,
      fields: {
        protocol: 'redfish',
        address: '10.0.0.12',
        port: 443,
        scheme: 'https',
        username: 'root',
        password: 'Rf-secret-1',
        systemId: 'System.Embedded.1',
      },
    });
  });

  it('puts https:// before a bare address, as MaaS does, and keeps http and ports', () => {
    expect(bmcFromMaasPower('redfish', redfish({ power_address: '10.0.0.12' }))).toMatchObject({
      ok: true,
      fields: { scheme: 'https', port: 443, address: '10.0.0.12' },
    });
    expect(
      bmcFromMaasPower('redfish', redfish({ power_address: 'http://127.0.0.1:8001', node_id: '' })),
    ).toEqual({
      ok: true,
      fields: {
        protocol: 'redfish',
        address: '127.0.0.1',
        port: 8001,
        scheme: 'http',
        username: 'root',
        password: 'Rf-secret-1',
      },
    });
  });

  it('refuses a path, a missing user or password, and a node_id that is no system id', () => {
    const reason = (p: Record<string, unknown>) => {
      const r = bmcFromMaasPower('redfish', p);
      return r.ok ? null : r.reason;
    };
    expect(reason(redfish({ power_address: 'https://10.0.0.12/redfish/v1' }))).toMatch(/scheme:\/\/host/);
    expect(reason(redfish({ power_user: '' }))).toMatch(/no power_user/);
    expect(reason(redfish({ power_pass: '' }))).toMatch(/no power_pass/);
    expect(reason(redfish({ node_id: '../Managers/1' }))).toMatch(/not a Redfish system id/);
  });
});
