/**
 * What MaaS, curtin and cloud-init actually say while a machine deploys, commissions, erases its
 * disks or enters rescue mode: the event types (as the events API shows them, in `type`), their
 * descriptions, the reporting names and messages. The timeline and the cause rules match these
 * words and nothing else, so a rule fires on a real region exactly as on the lab.
 *
 * Taken from (read, not copied):
 * - canonical/maas src/maascommon/events.py — EVENT_DETAILS_MAP: each type's description and level
 *   ("Node powered on" DEBUG, "PXE Request" DEBUG, "Performing PXE boot" INFO, "Loading ephemeral"
 *   INFO, "Node installation failure" ERROR, "Node post-installation failure" ERROR, "Marking node
 *   failed" ERROR, "User marking node broken" DEBUG, "Failed to power on node" ERROR, "Failed to
 *   query node's BMC" WARNING, "Configuring storage"/"Installing OS"/"Configuring OS" INFO, …).
 * - canonical/maas src/provisioningserver/events.py — EVENT_STATUS_MESSAGES (curtin stage → status
 *   message event).
 * - canonical/maas src/maasserver/models/signals/events.py — "Node changed status" with
 *   "From 'X' to 'Y'" (" (to USER)" when allocated).
 * - canonical/maas src/maasserver/rpc/boot.py — event_log_pxe_request: "PXE Request" descriptions
 *   "commissioning", "rescue mode", "installation", "local boot", "power off"; reset_status_expires
 *   on every boot config request.
 * - canonical/maas src/provisioningserver/rackdservices/tftp.py, http.py — "TFTP Request" and
 *   "HTTP Request" with the file path; "Loading ephemeral" when the squashfs is fetched.
 * - canonical/maas src/metadataserver/api.py (add_event_to_node_event_log) and api_twisted.py —
 *   curtin/cloud-init reports become "Node installation" / "Node installation failure" /
 *   "Node commissioning" / "Node post-installation failure" / "Node status event" with
 *   description "'ORIGIN' DESCRIPTION"; "Installation failed (refer to the installation log for
 *   more information)."; "Failed to erase disks."; status_expires reset on cmd-install start/finish.
 * - canonical/maas src/metadataserver/api.py UserDataHandler — a Deploying machine becomes Deployed
 *   when the installed OS's cloud-init asks for its user data.
 * - canonical/maas src/maasserver/status_monitor.py, node_status.py, maascommon/constants.py,
 *   maascommon/node.py — "Node operation 'S' timed out after N minutes."; node_timeout 30 min for
 *   Commissioning, Deploying, Disk erasing, Testing, Entering rescue mode; 5 min for Releasing and
 *   Exiting rescue mode.
 * - canonical/maas src/maasserver/models/node.py — _register_request_event: "(USER) - COMMENT";
 *   mark_broken/mark_failed store the comment as error_description; "Installation complete" with
 *   "Node disabled netboot"; Node.get_boot_purpose (erasing boots the commissioning environment).
 * - canonical/maas src/provisioningserver/drivers/power/ipmi.py — IPMI_ERRORS messages
 *   ("Incorrect password.  Check BMC configuration and try again.", "Connection timed out while
 *   performing power action. …").
 * - canonical/curtin curtin/commands/install.py, main.py, reporter/events.py — stages early,
 *   partitioning, network, extract, curthooks, hook, late with STAGE_DESCRIPTIONS ("configuring
 *   storage", "writing install sources to disk", "configuring installed system"); event names
 *   "cmd-install/stage-NAME/builtin/cmd-SUB" ("curtin command SUB"); log lines "start: NAME: DESC"
 *   and "finish: NAME: RESULT: DESC"; "curtin: Installation started. (VERSION)", "curtin:
 *   Installation finished.", "curtin: Installation failed with exception: …".
 * - canonical/cloud-init cloudinit/cmd/main.py, config/modules.py, config/cc_final_message.py,
 *   config/cc_scripts_user.py, subp.py — reporting names init-local, init-network, modules-config,
 *   modules-final ("running modules for final"), "config-NAME" ("running config-NAME with frequency
 *   FREQ"); "Cloud-init v. V finished at …"; "Failed to run module scripts_user (scripts in …)";
 *   "Runparts: N failures (…) in M attempted commands".
 */

/** Event types as MaaS's events API returns them in `type` (EVENT_DETAILS descriptions). */
export const EV = {
  changedStatus: 'Node changed status',
  poweredOn: 'Node powered on',
  poweredOff: 'Node powered off',
  powerOnFailed: 'Failed to power on node',
  powerOffFailed: 'Failed to power off node',
  powerCycleFailed: 'Failed to power cycle node',
  powerQueryFailed: "Failed to query node's BMC",
  pxeRequest: 'PXE Request',
  tftpRequest: 'TFTP Request',
  httpRequest: 'HTTP Request',
  performingPxe: 'Performing PXE boot',
  loadingEphemeral: 'Loading ephemeral',
  installationComplete: 'Installation complete',
  install: 'Node installation',
  installFailed: 'Node installation failure',
  postInstallFailed: 'Node post-installation failure',
  commissioning: 'Node commissioning',
  commissioningFailed: 'Node commissioning failure',
  statusEvent: 'Node status event',
  enteringRescue: 'Node entering rescue mode',
  enteringRescueFailed: 'Node entering rescue mode failure',
  disksErased: 'Disks erased',
  configuringStorage: 'Configuring storage',
  installingOs: 'Installing OS',
  configuringOs: 'Configuring OS',
  rebooting: 'Rebooting',
  deploying: 'Deploying',
  deployed: 'Deployed',
  rescueMode: 'Rescue mode',
  gatheringInfo: 'Gathering information',
  runningTest: 'Running test',
  markFailedSystem: 'Marking node failed',
  markFailedUser: 'User marking node failed',
  markBrokenSystem: 'Marking node broken',
  markBrokenUser: 'User marking node broken',
  markFixedSystem: 'Marking node fixed',
  markFixedUser: 'User marking node fixed',
  userStartDeploy: 'User starting deployment',
  userStartCommission: 'User starting node commissioning',
  userStartTesting: 'User starting node testing',
  userEraseDisk: 'User erasing disk',
  userRelease: 'User releasing node',
  userStartRescue: 'User starting rescue mode',
  userPowerUp: 'User powering up node',
} as const;

/** "PXE Request" descriptions (event_log_pxe_request's purposes). */
export const PXE_PURPOSE = {
  commissioning: 'commissioning',
  rescue: 'rescue mode',
  install: 'installation',
  local: 'local boot',
  poweroff: 'power off',
} as const;

/** MaaS's node_timeout default (minutes), and the statuses it watches with their own limits. */
export const NODE_TIMEOUT_MIN = 30;
/** Status code → minutes before MaaS marks the operation failed (status_monitor). */
export const TIMEOUT_MIN_BY_STATUS: Readonly<Record<number, number>> = {
  1: NODE_TIMEOUT_MIN, // Commissioning
  9: NODE_TIMEOUT_MIN, // Deploying
  12: 5, // Releasing
  14: NODE_TIMEOUT_MIN, // Disk erasing
  17: NODE_TIMEOUT_MIN, // Entering rescue mode
  19: 5, // Exiting rescue mode
  21: NODE_TIMEOUT_MIN, // Testing
};

/** The status_monitor's comment when the timer runs out. */
export const TIMED_OUT = /^Node operation '([^']+)' timed out after (\d+) minutes\.?/;
/** "From 'X' to 'Y'" of a status change (maybe followed by " (to USER)"). */
export const STATUS_CHANGE = /^From '([^']+)' to '([^']+)'/;

/** Boot loaders the rack serves over TFTP/HTTP (the first file a PXE or HTTP boot asks for). */
export const BOOT_LOADER_FILE =
  /(^|\/)(pxelinux\.0|lpxelinux\.0|bootx64\.efi|grubx64\.efi|shimx64\.efi|ipxe\.cfg|grub\/grub\.cfg(-[0-9a-f:-]+)?|pxelinux\.cfg\/[^ ]+)$/i;
/** Kernel and initrd as MaaS names them in its boot resources (boot-kernel, boot-initrd). */
export const KERNEL_FILE = /(boot-kernel|boot-initrd|linux|initrd(\.gz)?)$/i;
/** The ephemeral environment's root filesystem: its fetch is what MaaS logs as "Loading ephemeral". */
export const EPHEMERAL_FILE = /squashfs$/i;

/** curtin's install stages, in order, with STAGE_DESCRIPTIONS (the text MaaS shows after 'curtin'). */
export const CURTIN_STAGES = [
  { stage: 'early', description: 'preparing for installation' },
  { stage: 'partitioning', description: 'configuring storage' },
  { stage: 'network', description: 'configuring network' },
  { stage: 'extract', description: 'writing install sources to disk' },
  { stage: 'curthooks', description: 'configuring installed system' },
  { stage: 'hook', description: 'finalizing installation' },
  { stage: 'late', description: 'executing late commands' },
] as const;
export type CurtinStage = (typeof CURTIN_STAGES)[number]['stage'];

export const CURTIN = {
  installStarted: /^curtin: Installation started\./,
  installFinished: /^curtin: Installation finished\./,
  installFailed: /^curtin: Installation failed with exception: (.*)$/,
  /** "finish: cmd-install/stage-partitioning/builtin/cmd-block-meta: FAIL: configuring disk: sda" */
  finishLine: /^finish: (cmd-install(?:\/[^:\s]+)?): (SUCCESS|WARN|FAIL): (.*)$/,
  startLine: /^start: (cmd-install(?:\/[^:\s]+)?): (.*)$/,
  /** The stage inside a reporting name. */
  stageOf: /^cmd-install\/stage-([a-z]+)/,
} as const;

/** cloud-init's reporting names and the descriptions it sends with them. */
export const CLOUD_INIT = {
  final: 'running modules for final',
  config: 'running modules for config',
  localDs: 'searching for local datasources',
  networkDs: 'searching for network datasources',
  /** "running config-scripts_user with frequency once-per-instance" */
  module: /running config-([a-z0-9_]+) with frequency ([a-z-]+)/,
  /** Modules that run the operator's user data: a failure there points at the user data. */
  userDataModules: new Set(['scripts_user', 'runcmd', 'write_files', 'bootcmd', 'scripts_per_instance']),
  finished: /Cloud-init v\. (\S+) finished at/,
  runpartsFailed: /Runparts: (\d+) failures \(([^)]*)\) in (\d+) attempted commands/,
} as const;

/** The origin prefix MaaS puts in front of a reporter's description: "'curtin' …", "'cloudinit' …". */
export const ORIGIN = /^'(curtin|cloudinit)' (.*)$/;

/** Line of a script's or installer's output that tells what went wrong first. */
export const ERROR_LINE =
  /\b(error|failed|failure|exception|traceback|not found|no such|cannot|unable|timed out|denied)\b/i;
