import type { Host, Instance, Network, Offering, Template } from '../src/protocol/records.ts';
import type { Cabling, Diagnosis, Inspection } from '../src/protocol/doctor.ts';
import type { Triage } from '../src/protocol/doctor.ts';
import type { ActionPlan, ActionRequest, CreateRequest } from '../src/protocol/messages.ts';

export type { ActionPlan, ActionRequest };

/**
 * What the dashboard asks of the site. Every call that changes gear starts a task (run by the site's
 * runner) and resolves as soon as the task is accepted, with its id; it rejects with an Error whose
 * message is fit to show an operator as is. The dashboard never waits on these: it shows the request
 * as pending in the footer and carries on.
 */
export interface TaskRef {
  taskId: string;
}

/** A host as the dashboard names it: the hostname, and MaaS's system id when MaaS knows the host. */
export interface HostTarget {
  hostname: string;
  systemId: string | null;
  macs: readonly string[];
}

/** The instance running on a host; `instance` is undefined when the catalog knows none there. */
export interface InstanceTarget extends HostTarget {
  instance: string | undefined;
}

/**
 * A deploy as the form collects it: the runner's create request (catalog entries by name, as the
 * CLI takes them; the first network is the default, untagged on the ToR ports) with the host
 * chosen, and the user-data file's path, which this process reads.
 */
export type DeployRequest = Omit<CreateRequest, 'userData' | 'mac' | 'host'> & {
  host: string;
  userDataPath?: string;
};

/** One step of a plan with the exact MaaS calls, switch CLI lines and IPMI commands it would issue. */
export type PlanStep = { step: string; actions: string[] };

/** A deploy's plan: the host it picked and the instance's MAC, which the deploy sends back. */
export interface DeployPlan extends ActionPlan {
  host: string;
  mac: string;
}

export type PowerOp = 'on' | 'off' | 'cycle';
export type BootDevice = 'pxe' | 'disk';
export type { EraseMode } from '../src/protocol/messages.ts';

export interface DashboardActions {
  /** A deploy's plan, touching nothing: its host, MAC, state and steps. */
  plan(req: DeployRequest): Promise<DeployPlan>;
  /** The deploy as planned: the runner refuses when the plan is no longer the confirmed one. */
  deploy(req: DeployRequest, confirmed: Pick<DeployPlan, 'digest' | 'mac'>): Promise<TaskRef>;
  /**
   * Any other change's plan (power, boot device, MaaS ops, instance verbs, doctor fixes, reconcile,
   * resume, rollback, cancel, adding a host), read live by the runner and touching nothing.
   */
  planAction(req: ActionRequest): Promise<ActionPlan>;
  /** The change as confirmed (`digest` of its plan): refused by the runner if the plan changed. */
  runAction(req: ActionRequest, digest: string): Promise<TaskRef>;
  /** The stuck-deployment doctor's reading of a host (reads only). */
  doctor(hostname: string): Promise<Diagnosis>;
  /** The bond and VLAN tree with the expected values and the drift (reads only). */
  inspect(hostname: string): Promise<Inspection>;
  /** Every rack-file NIC of a rack against the switches' MAC tables (reads only). */
  cabling(rack: string): Promise<Cabling>;
  /** Every host in a transitional or failed state, most urgent first (`doctor --all`). */
  triage(): Promise<Triage>;
}

/** The store's hosts without their BMC credentials: a client never needs the password. */
export type CatalogHost = Omit<Host, 'ipmi'> & { ipmi?: { address: string; port?: number | undefined } };

export interface CatalogSnapshot {
  offerings: readonly Offering[];
  templates: readonly Template[];
  networks: readonly Network[];
  instances: readonly Instance[];
  hosts: readonly CatalogHost[];
}

/** What runs on a host, shown in its row; a host with a `task` is held and refuses conflicting actions. */
export interface HostExtras {
  task?: { id: string; kind: string; /** e.g. 'deploy 7/13' */ step: string };
  instance?: string;
  /** e.g. '200,201' (the first untagged). */
  vlans?: string;
}

/** A peer the dashboard depends on besides MaaS (the runner, a switch…), for the header. */
export interface PeerStatus {
  name: string;
  /** What is wrong with it ('unreachable' when not said). */
  what?: string;
  /** Why it is not answering; undefined when it is fine. */
  error?: string;
  /** Epoch ms of its last good answer. */
  since?: number;
}

/** One line of the `:events` view (MaaS events, switch lines, IPMI commands, task log lines). */
export interface DashboardEvent {
  at: string;
  host?: string;
  source: string;
  text: string;
  level?: 'debug' | 'info' | 'warn' | 'error';
}
