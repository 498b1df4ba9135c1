import type { SwitchTargetInput } from '../../gear/switch/target.ts';
import { OperatorError } from '../../util/errors.ts';
import { resolveSwitchPassword } from './passwords.ts';
import type { RackSwitch } from './types.ts';

/**
 * A rack file switch as the switch client wants it: password resolved (and registered as a
 * secret), host key pinned when the file pins one. The seed's files have no `pxeVlan`, so the
 * caller supplies the site's PXE VLAN for those.
 */
export function switchTargetInput(
  sw: RackSwitch,
  env: Readonly<Record<string, string | undefined>> = process.env,
  opts: { defaultPxeVlan?: number } = {},
): SwitchTargetInput {
  const pxeVlan = sw.pxeVlan ?? opts.defaultPxeVlan;
  if (pxeVlan === undefined) {
    throw new OperatorError(`switch ${sw.name} has no PXE VLAN`, {
      hint: `add "pxeVlan" (MaaS's PXE network VLAN on this switch) at ${sw.path}`,
      target: sw.name,
    });
  }
  return {
    name: sw.name,
    host: sw.ip,
    port: sw.sshPort,
    username: sw.username,
    password: resolveSwitchPassword(sw, env),
    dialect: sw.dialect,
    pxeVlan,
    ...(sw.hostKey !== undefined && { hostKeyFingerprint: sw.hostKey }),
    ...(sw.portPrefix !== undefined && { portPrefix: sw.portPrefix }),
    ...(sw.allowedVlans !== undefined && {
      allowedVlans: sw.allowedVlans
        .map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`))
        .join(','),
    }),
  };
}
