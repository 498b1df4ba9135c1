import {
  BOOT_LOADER_FILE,
  CLOUD_INIT,
  EPHEMERAL_FILE,
  EV,
  KERNEL_FILE,
  PXE_PURPOSE,
  STATUS_CHANGE,
} from './catalogue.ts';

/**
 * The stages of each MaaS operation, in order, and the events that mark a stage as reached. A
 * stage is entered by the first event matching it (or a later stage) once the ones before are
 * behind: the rack's TFTP log may be absent (HTTP boot), so stages can be skipped, never reordered.
 */

export interface StoryEvent {
  id: number;
  /** Epoch ms; NaN when MaaS's date did not parse. */
  at: number;
  level: string;
  type: string;
  description: string;
}

export const OPERATIONS = ['deploy', 'commission', 'erase', 'release', 'rescue'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface StageDef {
  id: string;
  label: string;
  /** Does this event mark the stage? `reached` is the index of the stage reached so far. */
  match: (e: StoryEvent, reached: number) => boolean;
  /** How long we wait in this stage, without a site history, before calling it stalled (seconds). */
  patienceS: number;
}

const to = (status: string) => (e: StoryEvent) =>
  e.type === EV.changedStatus && STATUS_CHANGE.exec(e.description)?.[2] === status;
const is =
  (...types: string[]) =>
  (e: StoryEvent) =>
    types.includes(e.type);
const pxe = (purpose: string) => (e: StoryEvent) => e.type === EV.pxeRequest && e.description === purpose;
const file = (re: RegExp) => (e: StoryEvent) =>
  (e.type === EV.tftpRequest || e.type === EV.httpRequest) && re.test(e.description.trim());
const reporter = (origin: 'curtin' | 'cloudinit', re: RegExp) => (e: StoryEvent) =>
  (e.type === EV.install || e.type === EV.statusEvent || e.type === EV.commissioning) &&
  e.description.startsWith(`'${origin}' `) &&
  re.test(e.description);
const any =
  (...fs: ((e: StoryEvent) => boolean)[]) =>
  (e: StoryEvent) =>
    fs.some((f) => f(e));
const always = (f: (e: StoryEvent) => boolean) => (e: StoryEvent) => f(e);

/** The network boot every operation but a release goes through: power, PXE, loader, kernel, ephemeral. */
function netboot(purpose: string): StageDef[] {
  return [
    { id: 'powered-on', label: 'powered on', match: always(is(EV.poweredOn)), patienceS: 180 },
    {
      id: 'pxe',
      label: `PXE request (${purpose})`,
      match: always(any(pxe(purpose), is(EV.performingPxe))),
      patienceS: 300,
    },
    {
      id: 'boot-loader',
      label: 'boot loader over TFTP/HTTP',
      match: always(file(BOOT_LOADER_FILE)),
      patienceS: 120,
    },
    { id: 'kernel', label: 'kernel and initrd', match: always(file(KERNEL_FILE)), patienceS: 180 },
    {
      id: 'ephemeral',
      label: 'ephemeral environment loaded',
      match: always(any(is(EV.loadingEphemeral), file(EPHEMERAL_FILE))),
      patienceS: 300,
    },
  ];
}

const DEPLOY: StageDef[] = [
  {
    id: 'requested',
    label: 'deployment requested',
    match: always(any(to('Deploying'), is(EV.userStartDeploy, EV.deploying))),
    patienceS: 180,
  },
  ...netboot(PXE_PURPOSE.install),
  {
    id: 'installer',
    label: 'curtin started',
    match: always(reporter('curtin', /curtin command install|preparing for installation/)),
    patienceS: 600,
  },
  {
    id: 'partitioning',
    label: 'curtin: partitioning (configuring storage)',
    match: always(
      any(is(EV.configuringStorage), reporter('curtin', /configuring storage|cmd-block-meta|block-meta/)),
    ),
    patienceS: 900,
  },
  {
    id: 'extract',
    label: 'curtin: extract (writing install sources to disk)',
    match: always(
      any(is(EV.installingOs), reporter('curtin', /writing install sources|curtin command extract/)),
    ),
    patienceS: 1200,
  },
  {
    id: 'curthooks',
    label: 'curtin: curthooks (configuring installed system)',
    match: always(
      any(is(EV.configuringOs), reporter('curtin', /configuring installed system|curtin command curthooks/)),
    ),
    patienceS: 1200,
  },
  {
    id: 'installed',
    label: 'installation complete',
    match: always(is(EV.installationComplete)),
    patienceS: 180,
  },
  { id: 'rebooting', label: 'rebooting', match: always(is(EV.rebooting)), patienceS: 600 },
  {
    id: 'local-boot',
    label: 'first boot from disk (local-boot PXE request)',
    match: (e, reached) => reached >= DEPLOY_REBOOT && pxe(PXE_PURPOSE.local)(e),
    patienceS: 600,
  },
  {
    id: 'cloud-init',
    label: 'cloud-init in the installed OS',
    match: (e, reached) => reached >= DEPLOY_REBOOT && reporter('cloudinit', /./)(e),
    patienceS: 600,
  },
  {
    id: 'deployed',
    label: 'Deployed',
    match: always(any(to('Deployed'), is(EV.deployed))),
    patienceS: Infinity,
  },
];
const DEPLOY_REBOOT = DEPLOY.findIndex((s) => s.id === 'rebooting');

const COMMISSION: StageDef[] = [
  {
    id: 'requested',
    label: 'commissioning requested',
    match: always(any(to('Commissioning'), is(EV.userStartCommission))),
    patienceS: 180,
  },
  ...netboot(PXE_PURPOSE.commissioning),
  {
    id: 'scripts',
    label: 'commissioning scripts',
    match: always(any(is(EV.commissioning, EV.gatheringInfo), reporter('cloudinit', /./))),
    patienceS: 1200,
  },
  {
    id: 'testing',
    label: 'testing',
    match: always(any(to('Testing'), is(EV.runningTest, EV.userStartTesting))),
    patienceS: 1800,
  },
  { id: 'ready', label: 'Ready', match: always(to('Ready')), patienceS: Infinity },
];

const ERASE: StageDef[] = [
  {
    id: 'requested',
    label: 'disk erase requested',
    match: always(any(to('Disk erasing'), is(EV.userEraseDisk))),
    patienceS: 180,
  },
  ...netboot(PXE_PURPOSE.commissioning),
  {
    id: 'erasing',
    label: 'erasing disks',
    match: always(any(is(EV.statusEvent), reporter('cloudinit', new RegExp(CLOUD_INIT.config)))),
    // Replaced by the expected duration from the disk sizes.
    patienceS: 7200,
  },
  { id: 'erased', label: 'disks erased', match: always(is(EV.disksErased)), patienceS: 600 },
  { id: 'releasing', label: 'releasing', match: always(to('Releasing')), patienceS: 300 },
  { id: 'ready', label: 'Ready', match: always(to('Ready')), patienceS: Infinity },
];

const RELEASE: StageDef[] = [
  {
    id: 'requested',
    label: 'release requested',
    match: always(any(to('Releasing'), is(EV.userRelease))),
    patienceS: 120,
  },
  { id: 'powered-off', label: 'powered off', match: always(is(EV.poweredOff)), patienceS: 180 },
  { id: 'ready', label: 'Ready', match: always(to('Ready')), patienceS: Infinity },
];

const RESCUE: StageDef[] = [
  {
    id: 'requested',
    label: 'rescue mode requested',
    match: always(any(to('Entering rescue mode'), is(EV.userStartRescue))),
    patienceS: 180,
  },
  ...netboot(PXE_PURPOSE.rescue),
  {
    id: 'rescue',
    label: 'in rescue mode',
    match: always(any(to('Rescue mode'), is(EV.rescueMode))),
    // A rescue session is the operator's; past a working day it is forgotten more often than used.
    patienceS: 8 * 3600,
  },
  { id: 'exiting', label: 'exiting rescue mode', match: always(to('Exiting rescue mode')), patienceS: 300 },
  {
    id: 'done',
    label: 'rescue mode ended',
    match: (e) =>
      e.type === EV.changedStatus && STATUS_CHANGE.exec(e.description)?.[1] === 'Exiting rescue mode',
    patienceS: Infinity,
  },
];

export const STAGES: Record<Operation, StageDef[]> = {
  deploy: DEPLOY,
  commission: COMMISSION,
  erase: ERASE,
  release: RELEASE,
  rescue: RESCUE,
};

/** The MaaS status that starts each operation (the "Node changed status" target). */
export const OPERATION_OF_STATUS: Readonly<Record<string, Operation>> = {
  Deploying: 'deploy',
  Commissioning: 'commission',
  Testing: 'commission',
  'Disk erasing': 'erase',
  Releasing: 'release',
  'Entering rescue mode': 'rescue',
  'Rescue mode': 'rescue',
  'Exiting rescue mode': 'rescue',
};

/** Failed statuses MaaS puts an operation in. */
export const FAILED_STATUSES = new Set([
  'Failed deployment',
  'Failed commissioning',
  'Failed testing',
  'Failed disk erasing',
  'Releasing failed',
  'Failed to enter rescue mode',
  'Failed to exit rescue mode',
]);
