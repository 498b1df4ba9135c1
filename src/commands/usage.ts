/**
 * Every command's usage line, apart from the commands: the help text needs them all, and loading
 * every command (the lab, the switch and IPMI clients) to print it, or to open the dashboard, would
 * cost tens of megabytes.
 */

export const HOSTS_USAGE = 'rackpilot hosts [--json]';

export const IPMI_USAGE = `usage: rackpilot ipmi HOST power status|on|off|soft|cycle|reset [--force] [--detach] [--json]
       rackpilot ipmi HOST bootdev pxe|disk|bios [--persistent] [--efi] [--force] [--detach] [--json]
       rackpilot ipmi HOST bootdev show [--json]
       rackpilot ipmi HOST info [--json]
BMC passwords come from the store or the environment (rack file passwordEnv), never from the command line.`;

export const LAB_USAGE =
  'rackpilot lab [--hosts N] [--racks N] [--time-scale X] [--seed N] [--list-cost-ms X] [--redfish PERCENT] [--env-out FILE]';

export const POWER_USAGE = 'rackpilot power HOST status|on|off|soft|cycle [--force] [--detach] [--json]';
export const BOOT_USAGE =
  'rackpilot boot HOST pxe|disk [--persistent] [--efi|--legacy] [--force] [--detach] [--json]';

export const TASK_USAGE = `rackpilot tasks [--all] [--json]
       rackpilot task show|follow|resume|rollback|cancel ID [--detach] [--json]`;

export const HOST_USAGE = `rackpilot host add --hostname NAME [--mac MAC] [--ipmi HOST[:PORT]] [--ipmi-user USER]
                   --cores N --mhz N --memory MB [--rack NAME] [--plan] [--detach] [--json]
         (IPMI password: RACKPILOT_IPMI_PASSWORD, --ipmi-password-stdin, or the rack file's bmc entry)
       rackpilot host rm HOST [--json]
       rackpilot host ls [--json]`;

export const TEMPLATE_USAGE = `rackpilot template add NAME --image MAAS_IMAGE [--description TEXT] [--json]
       rackpilot template rm NAME
       rackpilot template ls [--json]`;

export const OFFERING_USAGE = `rackpilot offering add NAME --cores N --mhz N --memory MB [--json]
       rackpilot offering rm NAME
       rackpilot offering ls [--json]`;

export const NETWORK_USAGE = `rackpilot network add NAME --vlan N [--description TEXT] [--json]
       rackpilot network rm NAME
       rackpilot network ls [--json]     (also lists each switch's PXE VLAN)`;

export const RACK_USAGE = 'rackpilot rack validate FILE [--json]';

export const DEPLOY_USAGE = `rackpilot deploy NAME --offering OFFERING --template TEMPLATE --network NET [--network NET2 …]
                 [--host HOST] [--user-data FILE] [--mac MAC] [--plan] [--detach] [--json]`;

export const DOCTOR_USAGE =
  'rackpilot doctor HOST [--json] [--fix ports-pxe|pxe-boot|abort|reset-failed|resume|power-cycle] [--detach]';

export const INSPECT_USAGE = 'rackpilot inspect HOST [--json] [--reconcile] [--detach]';

export const CABLING_USAGE = 'rackpilot cabling RACK [--json]';

export const RUNNER_USAGE = `rackpilot runner status|stop [--force]|restart [--now]|logs [-n LINES] [--follow] [--json]`;

export const SWITCH_USAGE = `usage: rackpilot switch show SWITCH [PORT] [--json]
       rackpilot switch mac SWITCH MAC [--json]
       rackpilot switch plan SWITCH PORT access|tag-add|tag-remove VLAN [PORT OP [VLAN]]... [--live] [--json]
       rackpilot switch plan SWITCH PORT reset [--live] [--json]
Switch passwords come from the rack file (passwordEnv), never from the command line.`;
