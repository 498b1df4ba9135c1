import { FIX_IDS } from '../protocol/doctor.ts';
import type { ArgSpec, CommandSpec, FlagSpec } from './spec.ts';

/**
 * Every command of rackpilot, once. main.ts dispatches through it and checks each command line
 * against it (unknown command, subcommand or flag, with a "did you mean"); `help` and `--help`,
 * the usage text, the man page (`rackpilot.1`) and the bash, zsh and fish completions are all
 * generated from it.
 *
 * Adding a command is one entry in COMMANDS: its name, summary, arguments, flags (with their
 * types, and `complete` for values the shell can offer), at least one example, and `run`, which
 * imports the command's module lazily (the dashboard must not load every command to start).
 * A subcommand is an entry in its command's `subcommands`; the command's `run` receives every
 * word after the command's name and dispatches it. The module parses its flags with
 * `parseCommandArgs(argv, flagOptions('cmd sub'), schema, usageOf('cmd sub'))`, so the types
 * come from here. test/cli/registry.test.ts then checks that its --help answers, and that the man
 * page and the completions carry it.
 */

const json: FlagSpec = { name: 'json', type: 'boolean', description: 'machine-readable output' };
const plan: FlagSpec = {
  name: 'plan',
  type: 'boolean',
  description: 'print the exact plan (MaaS calls, switch lines, BMC commands) and change nothing',
};
const detach: FlagSpec = {
  name: 'detach',
  type: 'boolean',
  description: 'start the task and print its id, without following it (it runs on in the runner)',
};
const force: FlagSpec = {
  name: 'force',
  type: 'boolean',
  description: 'act even though a task holds the host (the journal records it)',
};
/** A change shows its plan and asks; these answer on the command line (scripts, no terminal). */
const yes: FlagSpec = {
  name: 'yes',
  short: 'y',
  type: 'boolean',
  description: 'confirm the plan without asking (it is still printed); not enough for what destroys',
};
const confirm: FlagSpec = {
  name: 'confirm',
  type: 'string',
  value: 'NAME',
  description: 'confirm a plan that destroys: the host name the plan asks for',
};
const hostArg: ArgSpec = { name: 'HOST', description: 'a host name, e.g. r01-n003', complete: 'host' };
const taskArg: ArgSpec = { name: 'ID', description: 'a task id (`rackpilot tasks`)', complete: 'task' };
const instanceArg: ArgSpec = {
  name: 'NAME',
  description: 'an instance (`rackpilot ls`)',
  complete: 'instance',
};
const nameArg = (what: string, complete?: 'offering' | 'template' | 'network'): ArgSpec => ({
  name: 'NAME',
  description: `the ${what}'s name: letters, digits, . _ - (at most 63)`,
  ...(complete && { complete }),
});
const intFlag = (name: string, value: string, description: string, required = false): FlagSpec => ({
  name,
  type: 'string',
  value,
  description,
  ...(required && { required }),
});

const TASK_SUBCOMMANDS: CommandSpec[] = [
  {
    name: 'show',
    summary: "a task's steps, error and last log lines",
    args: [taskArg],
    flags: [json],
    examples: [{ command: 'rackpilot task show t-3f9a2c', says: 'the steps of task t-3f9a2c and its log' }],
  },
  {
    name: 'follow',
    summary: 'watch a running task until it ends (Ctrl-C detaches; the task runs on)',
    args: [taskArg],
    flags: [json],
    examples: [
      { command: 'rackpilot task follow t-3f9a2c', says: 'prints each step as the runner reports it' },
    ],
  },
  {
    name: 'resume',
    summary: 'resume an interrupted or failed task from its first unfinished step',
    args: [taskArg],
    flags: [yes, confirm, detach, json],
    examples: [{ command: 'rackpilot task resume t-3f9a2c', says: 'runs the task on and follows it' }],
  },
  {
    name: 'rollback',
    summary: 'undo what a task did, step by step in reverse',
    args: [taskArg],
    flags: [yes, confirm, detach, json],
    examples: [
      { command: 'rackpilot task rollback t-3f9a2c --detach', says: 'shows the undo plan, asks, starts it' },
      {
        command: 'rackpilot task rollback t-3f9a2c --confirm r01-n003',
        says: 'a rollback that releases r01-n003 (disk erase), confirmed by its name',
      },
    ],
  },
  {
    name: 'cancel',
    summary: 'cancel a queued or running task',
    args: [taskArg],
    flags: [yes, confirm, json],
    examples: [{ command: 'rackpilot task cancel t-3f9a2c', says: 'task t-3f9a2c cancelled' }],
  },
];

const taskCommand = async (argv: string[], ctx: Parameters<NonNullable<CommandSpec['run']>>[1]) =>
  (await import('./tasks.ts')).taskCommand(argv, ctx);

const lifecycle = (
  verb: 'start' | 'stop' | 'destroy' | 'attach' | 'detach',
  summary: string,
  example: string,
  says: string,
): CommandSpec => ({
  name: verb,
  summary,
  args: [
    instanceArg,
    ...(verb === 'attach' || verb === 'detach'
      ? [{ name: 'NETWORK', description: 'a network (`rackpilot network ls`)', complete: 'network' as const }]
      : []),
  ],
  flags: [plan, yes, confirm, detach, json],
  examples: [{ command: example, says }],
  run: async (argv, ctx) => (await import('./instances.ts')).lifecycleCommand(verb, argv, ctx),
});

const catalogLs = (what: string, example: string): CommandSpec => ({
  name: 'ls',
  summary: `list the ${what}s`,
  flags: [json],
  examples: [{ command: example, says: `one ${what} a line` }],
});
const catalogRm = (
  what: string,
  complete: 'offering' | 'template' | 'network',
  example: string,
): CommandSpec => ({
  name: 'rm',
  summary: `remove a ${what} from rackpilot`,
  args: [nameArg(what, complete)],
  examples: [{ command: example, says: `the ${what} is gone from the catalogue` }],
});

export const COMMANDS: CommandSpec[] = [
  {
    name: 'dashboard',
    summary: 'the dashboard (also with no command): hosts, tasks, logs; the lab when no MaaS is configured',
    examples: [
      { command: 'rackpilot', says: 'opens the dashboard' },
      { command: 'rackpilot --read-only', says: 'the dashboard without any action that changes gear' },
    ],
    run: async (_argv, ctx) => (await import('./dashboard.tsx')).dashboardCommand(ctx),
  },
  {
    name: 'help',
    summary: 'help for rackpilot or one command',
    args: [{ name: 'COMMAND', description: 'a command, and a subcommand', optional: true, variadic: true }],
    examples: [
      { command: 'rackpilot help', says: 'every command' },
      { command: 'rackpilot help task follow', says: 'the same as rackpilot task follow --help' },
    ],
  },
  {
    name: 'hosts',
    summary: "the site's hosts with MaaS status, power and instance",
    flags: [json],
    examples: [{ command: 'rackpilot hosts --json', says: 'every host as JSON' }],
    run: async (argv, ctx) => (await import('./hosts.ts')).hostsCommand(argv, ctx),
  },
  {
    name: 'lab',
    summary: 'the built-in lab (MaaS, switches, BMCs on loopback) in the foreground until Ctrl-C',
    flags: [
      intFlag('hosts', 'N', 'number of hosts (1-20000)'),
      intFlag('racks', 'N', 'number of racks (1-64; default: as many as the hosts need)'),
      intFlag('time-scale', 'X', 'speed of MaaS phases, e.g. 0.05 for 20 times faster (0-100)'),
      intFlag('seed', 'N', "the lab world's seed"),
      intFlag('list-cost-ms', 'X', 'milliseconds each machine adds to a MaaS machine list'),
      intFlag('redfish', 'PERCENT', 'share of the hosts whose BMC speaks Redfish instead of IPMI (0-100)'),
      {
        name: 'env-out',
        type: 'string',
        value: 'FILE',
        complete: 'file',
        description: 'write the settings a second rackpilot needs to use the lab as a site (mode 0600)',
      },
    ],
    examples: [
      {
        command: 'rackpilot lab --hosts 12 --env-out lab.env',
        says: 'a lab of 12 hosts; lab.env points at it',
      },
    ],
    run: async (argv, ctx) => (await import('./lab.ts')).labCommand(argv, ctx),
  },
  {
    name: 'rack',
    summary: 'rack files',
    subcommands: [
      {
        name: 'validate',
        summary: 'check a rack file before rackpilot touches a switch (exit 0 valid, 1 invalid)',
        description:
          'Checks a rack file (the seed\'s rack.conf JSON, with rackpilot\'s optional fields) and prints a summary, or every problem as "path: message".',
        args: [{ name: 'FILE', description: 'the rack file', complete: 'file' }],
        flags: [json],
        examples: [
          {
            command: 'rackpilot rack validate rack.json',
            says: 'a summary, or each problem with its JSON path',
          },
        ],
      },
    ],
    run: async (argv, ctx) =>
      (await import('./rack.ts')).rackCommand(argv, ctx.io, { env: ctx.config().env }),
  },
  {
    name: 'host',
    summary: 'add, remove and list hosts',
    subcommands: [
      {
        name: 'add',
        summary: 'adopt a host from MaaS by its MAC, or create it in MaaS',
        description:
          "The BMC's password comes from RACKPILOT_IPMI_PASSWORD, --ipmi-password-stdin, or the rack file's bmc entry; never from the command line.",
        flags: [
          {
            name: 'hostname',
            type: 'string',
            value: 'NAME',
            required: true,
            description: 'the host name',
            complete: 'host',
          },
          { name: 'mac', type: 'string', value: 'MAC', description: 'the PXE NIC, e.g. 00:18:8b:52:79:80' },
          { name: 'ipmi', type: 'string', value: 'HOST[:PORT]', description: "the BMC's address" },
          { name: 'ipmi-user', type: 'string', value: 'USER', description: "the BMC's user" },
          {
            name: 'ipmi-password-stdin',
            type: 'boolean',
            description: "read the BMC's password from the first line of standard input (empty is refused)",
          },
          intFlag('cores', 'N', 'CPU cores', true),
          intFlag('mhz', 'N', 'CPU speed in MHz', true),
          intFlag('memory', 'MB', 'memory in MB', true),
          {
            name: 'rack',
            type: 'string',
            value: 'NAME',
            description: 'the rack it stands in',
            complete: 'rack',
          },
          plan,
          yes,
          confirm,
          detach,
          json,
        ],
        examples: [
          {
            command:
              'printf %s "$PW" | rackpilot host add --hostname r01-n003 --mac 00:18:8b:52:79:80 --ipmi 10.0.0.13 --ipmi-user admin --ipmi-password-stdin --cores 8 --mhz 2400 --memory 32768 --plan',
            says: 'the plan of adopting r01-n003',
          },
        ],
      },
      {
        name: 'rm',
        summary: 'forget a host (MaaS keeps it)',
        args: [hostArg],
        flags: [json],
        examples: [
          {
            command: 'rackpilot host rm r01-n003',
            says: 'host r01-n003 removed from rackpilot; MaaS still has it',
          },
        ],
      },
      {
        name: 'ls',
        summary: 'the hosts rackpilot manages, with MAC, BMC and sizes',
        flags: [json],
        examples: [{ command: 'rackpilot host ls', says: 'one host a line' }],
      },
    ],
    run: async (argv, ctx) => (await import('./catalog.ts')).hostCommand(argv, ctx),
  },
  {
    name: 'template',
    summary: 'OS templates (MaaS images) instances are deployed from',
    subcommands: [
      {
        name: 'add',
        summary: 'add a template; the image is checked against MaaS boot resources',
        args: [nameArg('template')],
        flags: [
          {
            name: 'image',
            type: 'string',
            value: 'MAAS_IMAGE',
            required: true,
            description: "MaaS's image name, e.g. ubuntu/jammy",
          },
          { name: 'description', type: 'string', value: 'TEXT', description: 'a note for operators' },
          json,
        ],
        examples: [
          { command: 'rackpilot template add jammy --image ubuntu/jammy', says: 'template jammy added' },
        ],
      },
      catalogRm('template', 'template', 'rackpilot template rm jammy'),
      catalogLs('template', 'rackpilot template ls'),
    ],
    run: async (argv, ctx) => (await import('./catalog.ts')).templateCommand(argv, ctx),
  },
  {
    name: 'offering',
    summary: 'offerings: the sizes an instance can ask for',
    subcommands: [
      {
        name: 'add',
        summary: 'add an offering',
        args: [nameArg('offering')],
        flags: [
          intFlag('cores', 'N', 'CPU cores at least', true),
          intFlag('mhz', 'N', 'CPU speed in MHz at least', true),
          intFlag('memory', 'MB', 'memory in MB at least', true),
          json,
        ],
        examples: [
          {
            command: 'rackpilot offering add big --cores 64 --mhz 2100 --memory 262144',
            says: 'offering big added',
          },
        ],
      },
      catalogRm('offering', 'offering', 'rackpilot offering rm big'),
      catalogLs('offering', 'rackpilot offering ls'),
    ],
    run: async (argv, ctx) => (await import('./catalog.ts')).offeringCommand(argv, ctx),
  },
  {
    name: 'network',
    summary: 'networks: VLANs instances attach to',
    subcommands: [
      {
        name: 'add',
        summary: 'add a network',
        args: [nameArg('network')],
        flags: [
          intFlag('vlan', 'N', 'the VLAN id (1-4094)', true),
          { name: 'description', type: 'string', value: 'TEXT', description: 'a note for operators' },
          json,
        ],
        examples: [{ command: 'rackpilot network add tenant-a --vlan 200', says: 'network tenant-a added' }],
      },
      catalogRm('network', 'network', 'rackpilot network rm tenant-a'),
      {
        ...catalogLs('network', 'rackpilot network ls'),
        summary: "list the networks, and each switch's PXE VLAN",
      },
    ],
    run: async (argv, ctx) => (await import('./catalog.ts')).networkCommand(argv, ctx),
  },
  {
    name: 'deploy',
    summary: 'deploy an instance: pick a host, set its switch ports, deploy it through MaaS',
    args: [{ name: 'NAME', description: "the new instance's name: letters, digits, . _ - (at most 63)" }],
    flags: [
      {
        name: 'offering',
        type: 'string',
        value: 'OFFERING',
        required: true,
        description: 'its size',
        complete: 'offering',
      },
      {
        name: 'template',
        type: 'string',
        value: 'TEMPLATE',
        required: true,
        description: 'its OS',
        complete: 'template',
      },
      {
        name: 'network',
        type: 'string',
        value: 'NET',
        multiple: true,
        required: true,
        description: 'a network, once or more; the first is the default NIC',
        complete: 'network',
      },
      {
        name: 'host',
        type: 'string',
        value: 'HOST',
        description: 'this host rather than the first free one',
        complete: 'host',
      },
      {
        name: 'user-data',
        type: 'string',
        value: 'FILE',
        description: 'cloud-init user data',
        complete: 'file',
      },
      {
        name: 'mac',
        type: 'string',
        value: 'MAC',
        description: 'the NIC to boot from, e.g. 02:00:0a:0b:0c:0d',
      },
      plan,
      yes,
      confirm,
      detach,
      json,
    ],
    examples: [
      {
        command: 'rackpilot deploy vm1 --offering big --template jammy --network tenant-a --plan',
        says: 'the host it would take and every MaaS call and switch line, changing nothing',
      },
      {
        command: 'rackpilot deploy vm1 --offering big --template jammy --network tenant-a',
        says: 'deploys and follows the task',
      },
    ],
    run: async (argv, ctx) => (await import('./instances.ts')).deployCommand(argv, ctx),
  },
  lifecycle('start', "power an instance's host on", 'rackpilot start vm1', 'starts vm1 and follows the task'),
  lifecycle('stop', "power an instance's host off", 'rackpilot stop vm1 --plan', 'the plan of stopping vm1'),
  lifecycle(
    'destroy',
    'release an instance: MaaS erases its disks, its switch ports go back to the PXE VLAN',
    'rackpilot destroy vm1 --plan',
    'the plan of destroying vm1, the erase mode included',
  ),
  lifecycle(
    'attach',
    'add a network to an instance',
    'rackpilot attach vm1 tenant-b',
    'tags tenant-b on its ports',
  ),
  lifecycle('detach', 'take a network off an instance', 'rackpilot detach vm1 tenant-b', 'untags tenant-b'),
  {
    name: 'ls',
    summary: 'instances with their host, networks and state',
    flags: [json],
    examples: [{ command: 'rackpilot ls', says: 'one instance a line' }],
    run: async (argv, ctx) => (await import('./instances.ts')).listInstancesCommand(argv, ctx),
  },
  {
    name: 'tasks',
    summary: 'the task journal: unfinished and failed tasks first',
    description:
      '`rackpilot tasks follow ID` (and show, resume, rollback, cancel) is the same as `rackpilot task follow ID`.',
    flags: [{ name: 'all', type: 'boolean', description: 'finished tasks too' }, json],
    subcommands: TASK_SUBCOMMANDS.map((s) => ({
      ...s,
      summary: `${s.summary} (as task ${s.name})`,
      run: taskCommand,
    })),
    examples: [{ command: 'rackpilot tasks --all', says: 'every task, finished ones included' }],
    run: async (argv, ctx) => (await import('./tasks.ts')).tasksCommand(argv, ctx),
  },
  {
    name: 'task',
    summary: 'one task: show, follow, resume, roll back or cancel it',
    subcommands: TASK_SUBCOMMANDS,
    run: taskCommand,
  },
  {
    name: 'switch',
    summary: "read a ToR switch's VLANs and MAC table; plan port changes",
    description:
      'The runner reads the switch, through the session, queue and lock its tasks use. Switch passwords come from the rack file (passwordEnv), stay in the runner, and are never taken from the command line.',
    subcommands: [
      {
        name: 'show',
        summary: "the switch's VLAN table, or one port's membership",
        args: [
          { name: 'SWITCH', description: 'a switch of the rack file', complete: 'switch' },
          { name: 'PORT', description: 'a port, e.g. 1/1 or ethernet1/1/3', optional: true },
        ],
        flags: [json],
        examples: [
          { command: 'rackpilot switch show tor-r01 1/3', says: "port 1/3's untagged and tagged VLANs" },
        ],
      },
      {
        name: 'mac',
        summary: 'which port the switch learned a MAC on',
        args: [
          { name: 'SWITCH', description: 'a switch of the rack file', complete: 'switch' },
          { name: 'MAC', description: 'a MAC address' },
        ],
        flags: [json],
        examples: [{ command: 'rackpilot switch mac tor-r01 00:18:8b:52:79:80', says: 'the port and VLAN' }],
      },
      {
        name: 'plan',
        summary: 'the exact CLI lines a port change would send; nothing is sent',
        args: [
          { name: 'SWITCH', description: 'a switch of the rack file', complete: 'switch' },
          {
            name: 'PORT OP [VLAN]',
            description: 'a port and access, tag-add, tag-remove (with a VLAN) or reset; repeatable',
            variadic: true,
          },
        ],
        flags: [
          {
            name: 'live',
            type: 'boolean',
            description: 'read the ports first (else they are assumed on the PXE VLAN)',
          },
          json,
        ],
        examples: [
          {
            command: 'rackpilot switch plan tor-r01 1/3 tag-add 200',
            says: 'the lines that would tag VLAN 200 on 1/3',
          },
        ],
      },
    ],
    run: async (argv, ctx) => {
      const { switchCommand, runnerSwitchReader } = await import('./switch.ts');
      return switchCommand(argv, { reader: runnerSwitchReader(() => ctx.runner()), io: ctx.io });
    },
  },
  {
    name: 'ipmi',
    summary: "a host's BMC: power, boot device, identity",
    description:
      'Reads are answered by the runner through its BMC sessions; changes are tasks in the runner holding the host. BMC passwords come from the store or the environment (rack file passwordEnv), stay in the runner, and are never taken from the command line.',
    lead: [hostArg],
    subcommands: [
      {
        name: 'power',
        summary: 'read or change the power state',
        args: [
          {
            name: 'ACTION',
            description: 'status, on, off, soft, cycle or reset',
            choices: ['status', 'on', 'off', 'soft', 'cycle', 'reset'],
          },
        ],
        flags: [yes, confirm, force, detach, json],
        examples: [
          { command: 'rackpilot ipmi r01-n003 power status', says: 'on or off' },
          { command: 'rackpilot ipmi r01-n003 power cycle', says: 'a power cycle as a task' },
        ],
      },
      {
        name: 'bootdev',
        summary: 'read or set the next boot device',
        args: [
          {
            name: 'DEVICE',
            description: 'pxe, disk, bios, or show',
            choices: ['pxe', 'disk', 'bios', 'show'],
          },
        ],
        flags: [
          { name: 'persistent', type: 'boolean', description: 'every boot, not only the next' },
          { name: 'efi', type: 'boolean', description: 'EFI boot' },
          yes,
          confirm,
          force,
          detach,
          json,
        ],
        examples: [
          { command: 'rackpilot ipmi r01-n003 bootdev pxe --persistent', says: 'PXE on every boot' },
        ],
      },
      {
        name: 'info',
        summary: "the BMC's IPMI version, firmware and vendor",
        flags: [json],
        examples: [
          {
            command: 'rackpilot ipmi r01-n003 info',
            says: 'IPMI 2.0, firmware, manufacturer and product ids',
          },
        ],
      },
    ],
    run: async (argv, ctx) => (await import('./ipmi-site.ts')).ipmiViaRunner(argv, ctx),
  },
  {
    name: 'runner',
    summary: "the site's runner: the background process that owns the store and runs every task",
    subcommands: [
      {
        name: 'status',
        summary: 'pid, clients, tasks, store, socket, log',
        flags: [json],
        examples: [
          { command: 'rackpilot runner status', says: "the runner's pid, uptime, clients and tasks" },
        ],
      },
      {
        name: 'stop',
        summary: 'stop the runner when its tasks end, or at once with --force',
        flags: [
          { name: 'force', type: 'boolean', description: 'stop now: running tasks are left interrupted' },
          json,
        ],
        examples: [{ command: 'rackpilot runner stop', says: 'runner 1234 stopping' }],
      },
      {
        name: 'restart',
        summary:
          "a new runner with this client's settings, once the running tasks end (or at once with --now)",
        flags: [
          { name: 'now', type: 'boolean', description: 'do not wait: running tasks are left interrupted' },
        ],
        examples: [
          { command: 'rackpilot runner restart', says: 'waits for running tasks, then a new runner' },
        ],
      },
      {
        name: 'logs',
        summary: "the runner's log",
        flags: [
          {
            name: 'lines',
            short: 'n',
            type: 'string',
            value: 'LINES',
            description: 'how many of the last lines (default 50)',
          },
          {
            name: 'follow',
            short: 'f',
            type: 'boolean',
            description: 'print new lines as they come, until Ctrl-C',
          },
        ],
        examples: [
          { command: 'rackpilot runner logs -n 200 --follow', says: 'the last 200 lines, then new ones' },
        ],
      },
      {
        name: 'serve',
        summary: 'the runner process itself (started by clients)',
        hidden: true,
        flags: [json],
      },
    ],
    run: async (argv, ctx) => (await import('./runner.ts')).runnerCommand(argv, ctx),
  },
  {
    name: 'doctor',
    summary:
      "why a host is stuck: MaaS's events, curtin and cloud-init as a timeline, live checks as evidence, with fixes",
    description:
      'The stages of the operation in progress, when each began and how long it took against the typical time at this site; the cause the timeline shows (the most specific), its evidence and fixes; what could not be checked. --all lists every host in a transitional or failed state, most urgent first.',
    args: [{ ...hostArg, optional: true }],
    flags: [
      {
        name: 'fix',
        type: 'string',
        value: 'FIX',
        choices: FIX_IDS,
        description: `start one of the fixes the diagnosis offers (${FIX_IDS.join(', ')})`,
      },
      {
        name: 'log',
        type: 'boolean',
        description: "the whole installation log (curtin's output) of the host",
      },
      {
        name: 'all',
        type: 'boolean',
        description:
          'every host in a transitional or failed state: stage, cause, time left before MaaS gives up',
      },
      yes,
      confirm,
      detach,
      json,
    ],
    examples: [
      {
        command: 'rackpilot doctor r01-n003',
        says: 'the timeline, the cause with its evidence, and the fixes',
      },
      {
        command: 'rackpilot doctor --all',
        says: 'the morning triage: every host in trouble, most urgent first',
      },
      {
        command: 'rackpilot doctor r01-n003 --fix ports-pxe',
        says: 'puts its ports back on the PXE VLAN as a task',
      },
    ],
    run: async (argv, ctx) => (await import('./troubleshoot.ts')).doctorCommand(argv, ctx),
  },
  {
    name: 'inspect',
    summary: "a host's intended state against MaaS, its switch ports and its BMC: drift",
    args: [hostArg],
    flags: [
      { name: 'reconcile', type: 'boolean', description: 'start the task that puts the drift right' },
      yes,
      confirm,
      detach,
      json,
    ],
    examples: [{ command: 'rackpilot inspect r01-n003', says: 'the tree of what is and what should be' }],
    run: async (argv, ctx) => (await import('./troubleshoot.ts')).inspectCommand(argv, ctx),
  },
  {
    name: 'cabling',
    summary: "a rack's cabling: each NIC on the port the rack file says",
    args: [{ name: 'RACK', description: 'a rack of the rack file', complete: 'rack' }],
    flags: [json],
    examples: [{ command: 'rackpilot cabling r01', says: 'each NIC with the port the switch learned it on' }],
    run: async (argv, ctx) => (await import('./troubleshoot.ts')).cablingCommand(argv, ctx),
  },
  {
    name: 'power',
    summary: "a host's power through its BMC (IPMI or Redfish): read it, or change it as a task",
    description:
      'status reads the BMC through the runner; on, off, soft and cycle are tasks holding the host, shown and planned like every change.',
    args: [
      hostArg,
      {
        name: 'ACTION',
        description: 'status, on, off, soft or cycle',
        choices: ['status', 'on', 'off', 'soft', 'cycle'],
      },
    ],
    flags: [yes, confirm, force, detach, json],
    examples: [
      { command: 'rackpilot power r01-n003 status', says: 'on or off, and the boot device' },
      { command: 'rackpilot power r01-n003 soft', says: 'an ACPI shutdown as a task' },
    ],
    run: async (argv, ctx) => (await import('./power.ts')).powerCommand(argv, ctx),
  },
  {
    name: 'boot',
    summary: "a host's next boot device through its BMC (IPMI or Redfish), as a task",
    args: [hostArg, { name: 'DEVICE', description: 'pxe or disk', choices: ['pxe', 'disk'] }],
    flags: [
      { name: 'persistent', type: 'boolean', description: 'every boot, not the next one only' },
      { name: 'efi', type: 'boolean', description: 'UEFI boot' },
      { name: 'legacy', type: 'boolean', description: 'legacy (BIOS) boot' },
      yes,
      confirm,
      force,
      detach,
      json,
    ],
    examples: [
      { command: 'rackpilot boot r01-n003 disk --persistent', says: 'boot from disk from now on' },
      { command: 'rackpilot boot r01-n003 pxe', says: 'network boot, the next boot only' },
    ],
    run: async (argv, ctx) => (await import('./power.ts')).bootCommand(argv, ctx),
  },
  {
    name: 'console',
    summary: "a host's serial console (IPMI Serial-over-LAN), shared through the runner",
    description:
      'One SOL session per BMC, shared by every viewer; the last lines are kept (RACKPILOT_CONSOLE_SCROLLBACK), and a task holding the host records its console. Escape sequences are filtered before they reach this terminal.',
    args: [hostArg],
    flags: [
      { name: 'follow', short: 'f', type: 'boolean', description: 'keep printing what the console prints' },
      {
        name: 'keyboard',
        type: 'boolean',
        description:
          "with --follow: take the console's keyboard (one viewer at a time; ctrl-] gives it back)",
      },
      {
        name: 'lines',
        short: 'n',
        type: 'string',
        value: 'N',
        description: 'how many of the last lines to print',
      },
      {
        name: 'task',
        type: 'string',
        value: 'ID',
        complete: 'task',
        description: "a task's recording of the console",
      },
      {
        name: 'raw',
        type: 'boolean',
        description: 'the bytes as the host sent them (refused on a terminal)',
      },
    ],
    examples: [
      { command: 'rackpilot console r01-n003', says: 'the last lines of its console' },
      { command: 'rackpilot console r01-n003 --follow', says: 'the console as it prints' },
      { command: 'rackpilot console r01-n003 --task t-1a2b3c4d', says: 'what it printed during that task' },
    ],
    run: async (argv, ctx) => (await import('./console.ts')).consoleCommand(argv, ctx),
  },
  {
    name: 'check',
    summary: 'try everything a new site needs, in order, each result with its fix; changes nothing',
    description:
      'Settings and rack file; MaaS reachable, the key valid, admin rights, boot images present; each switch: login, host key, dialect, PXE VLAN; the BMCs (a sample, or --all); etcd when configured. Exit 0 only when all pass.',
    flags: [
      { name: 'all', type: 'boolean', description: 'read every BMC, not a sample (one per rack)' },
      json,
    ],
    examples: [
      { command: 'rackpilot check', says: 'each item ok or FAIL, with its fix' },
      { command: 'rackpilot check --all --json', says: 'every BMC too, as JSON' },
    ],
    run: async (argv, ctx) => (await import('./check.ts')).checkCommand(argv, ctx),
  },
  {
    name: 'completion',
    summary: 'the shell completion script for bash, zsh or fish',
    args: [{ name: 'SHELL', description: 'bash, zsh or fish', choices: ['bash', 'zsh', 'fish'] }],
    examples: [
      { command: 'source <(rackpilot completion bash)', says: 'completion in this bash' },
      {
        command: 'rackpilot completion fish > ~/.config/fish/completions/rackpilot.fish',
        says: 'for every fish',
      },
    ],
    run: async (argv, ctx) => (await import('./completion.ts')).completionCommand(argv, ctx.io),
  },
  {
    name: '__man',
    summary: 'the man page, rackpilot.1, in roff (the release writes it beside the executable)',
    hidden: true,
    run: async (_argv, ctx) => {
      ctx.io.stdout.write((await import('./man.ts')).manPage());
      return 0;
    },
  },
  {
    name: '__complete',
    summary: 'the words that may come next on a command line (the completion scripts ask it)',
    hidden: true,
    args: [{ name: 'WORD', description: 'the words so far, the last one being completed', variadic: true }],
    run: async (argv, ctx) => (await import('./complete.ts')).completeCommand(argv, ctx),
  },
];
