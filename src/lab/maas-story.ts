/**
 * What the lab MaaS logs as a machine boots and installs, in the words of a real region: the event
 * types and descriptions of MaaS's catalogue (src/maascommon/events.py), the PXE purposes of
 * src/maasserver/rpc/boot.py, the rack's TFTP/HTTP request events, and curtin's and cloud-init's
 * reports as MaaS's metadata server records them ("'curtin' configuring storage"). The doctor's
 * catalogue (src/runner/doctor/catalogue.ts) lists the sources; the lab says the same things.
 */

export type Emit = (level: 'DEBUG' | 'INFO' | 'WARNING' | 'ERROR', type: string, description: string) => void;

/** The boot loader a firmware asks the rack for: UEFI fetches grub's EFI binary, legacy BIOS lpxelinux. */
export function bootLoaderFile(efi: boolean): string {
  return efi ? '/grubx64.efi' : '/lpxelinux.0';
}

/** Kernel, initrd and squashfs paths as the rack serves MaaS's boot resources over HTTP. */
function imagePath(series: string, file: string): string {
  return `/images/ubuntu/amd64/ga-${SERIES_VERSION[series] ?? '22.04'}/${series}/stable/${file}`;
}
const SERIES_VERSION: Record<string, string> = {
  bionic: '18.04',
  focal: '20.04',
  jammy: '22.04',
  noble: '24.04',
};

/** MaaS's answer to a boot config request, then the firmware fetching its boot loader. */
export function pxeBoot(emit: Emit, purpose: string, efi: boolean): void {
  emit('DEBUG', 'PXE Request', purpose);
  emit('INFO', 'Performing PXE boot', '');
  emit('DEBUG', 'TFTP Request', bootLoaderFile(efi));
  emit('DEBUG', 'TFTP Request', efi ? 'grub/grub.cfg' : 'pxelinux.cfg/default');
}

/** The boot loader fetches the ephemeral kernel and initrd. */
export function kernelAndInitrd(emit: Emit, series = 'jammy'): void {
  emit('DEBUG', 'HTTP Request', imagePath(series, 'boot-kernel'));
  emit('DEBUG', 'HTTP Request', imagePath(series, 'boot-initrd'));
}

/** The initrd fetches the squashfs: MaaS logs "Loading ephemeral" when it does. */
export function ephemeral(emit: Emit, series = 'jammy'): void {
  emit('DEBUG', 'HTTP Request', imagePath(series, 'squashfs'));
  emit('INFO', 'Loading ephemeral', '');
}

/** curtin's stages as MaaS records their start (status message events, then the reporter's own). */
export const CURTIN_STAGE_EVENTS = {
  start: [
    ['DEBUG', 'Node installation', "'curtin' curtin command install"],
    ['DEBUG', 'Node installation', "'curtin' preparing for installation"],
  ],
  partitioning: [
    ['INFO', 'Configuring storage', ''],
    ['DEBUG', 'Node installation', "'curtin' configuring storage"],
    ['DEBUG', 'Node installation', "'curtin' curtin command block-meta"],
  ],
  extract: [
    ['INFO', 'Installing OS', ''],
    ['DEBUG', 'Node installation', "'curtin' writing install sources to disk"],
    ['DEBUG', 'Node installation', "'curtin' curtin command extract"],
  ],
  curthooks: [
    ['INFO', 'Configuring OS', ''],
    ['DEBUG', 'Node installation', "'curtin' configuring installed system"],
    ['DEBUG', 'Node installation', "'curtin' curtin command curthooks"],
  ],
} as const;

export function curtinStage(emit: Emit, stage: keyof typeof CURTIN_STAGE_EVENTS): void {
  for (const [level, type, description] of CURTIN_STAGE_EVENTS[stage]) emit(level, type, description);
}

/** curtin's log lines for a stage that passed (install.py's reporting: "start:"/"finish:" lines). */
export function curtinStageLog(stage: 'partitioning' | 'extract' | 'curthooks', image: string): string[] {
  const sub = { partitioning: 'block-meta', extract: 'extract', curthooks: 'curthooks' }[stage];
  const desc = {
    partitioning: 'configuring storage',
    extract: 'writing install sources to disk',
    curthooks: 'configuring installed system',
  }[stage];
  const name = `cmd-install/stage-${stage}`;
  return [
    `start: ${name}: ${desc}`,
    `start: ${name}/builtin/cmd-${sub}: curtin command ${sub}`,
    ...(stage === 'extract' ? [`acquiring and extracting image from ${image}`] : []),
    `finish: ${name}/builtin/cmd-${sub}: SUCCESS: curtin command ${sub}`,
    `finish: ${name}: SUCCESS: ${desc}`,
  ];
}

/** curtin's log when block-meta cannot find the disk the storage layout names. */
export function curtinPartitioningFailure(serial: string): string[] {
  return [
    'start: cmd-install/stage-partitioning: configuring storage',
    'start: cmd-install/stage-partitioning/builtin/cmd-block-meta: curtin command block-meta',
    'get_path_to_storage_volume for volume sda',
    `An error occured handling 'sda': RuntimeError - Failed to find device for serial '${serial}'`,
    'Traceback (most recent call last):',
    '  File "/curtin/curtin/commands/block_meta.py", line 91, in block_meta',
    '    return meta_custom(args)',
    `RuntimeError: Failed to find device for serial '${serial}'`,
    'finish: cmd-install/stage-partitioning/builtin/cmd-block-meta: FAIL: curtin command block-meta',
    'finish: cmd-install/stage-partitioning: FAIL: configuring storage',
    'curtin: Installation failed with exception: Unexpected error while running command.',
    "Command: ['curtin', 'block-meta', 'custom']",
    'Exit code: 3',
    'finish: cmd-install: FAIL: curtin command install',
  ];
}

/** MaaS's record of that failure: each failed finish event, innermost first. */
export function curtinFailureEvents(emit: Emit): void {
  emit('ERROR', 'Node installation failure', "'curtin' curtin command block-meta");
  emit('ERROR', 'Node installation failure', "'curtin' configuring storage");
  emit('ERROR', 'Node installation failure', "'curtin' curtin command install");
}

/** The installed OS's first boot: cloud-init's stages, reported as it starts each. */
export function firstBootCloudInit(emit: Emit): void {
  emit('DEBUG', 'Node installation', "'cloudinit' searching for local datasources");
  emit('DEBUG', 'Node installation', "'cloudinit' searching for network datasources");
}

/** cloud-init in the deployed OS failing the user data's scripts (cc_scripts_user, then modules-final). */
export function userDataFailure(emit: Emit): void {
  emit(
    'ERROR',
    'Node post-installation failure',
    "'cloudinit' running config-scripts_user with frequency once-per-instance",
  );
  emit('ERROR', 'Node post-installation failure', "'cloudinit' running modules for final");
}
