import type { MaasInterface, MaasMachine } from '../../gear/maas/schemas.ts';
import type { WorkflowDeps } from './adapters.ts';
import type { WorkflowStep } from './steps.ts';

/**
 * MaaS's last word on a machine within one run of one task: the machine a read returned, or the
 * one an op= call (allocate, set_owner_data, deploy, release, abort) answered with, as MaaS
 * answers each of them with the machine. The next step's check, and a step's run() after its own
 * verify(), take it instead of asking MaaS again. The task holds the host's lock, so nothing of
 * this rackpilot changes the machine between; what MaaS itself changes meanwhile (a deploy going
 * on) is read fresh by the waits, which never take the memo.
 *
 * Forgotten whenever a step's call fails or an undo starts: a retried attempt, and a rollback,
 * read MaaS again, because a failed call may still have had its effect. A resumed task builds its
 * steps anew, so after a restart every first look is a fresh read.
 */
export class MachineMemo {
  private machines = new Map<string, MaasMachine>();
  private interfaces = new Map<string, MaasInterface[]>();

  constructor(private readonly maas: Pick<WorkflowDeps['maas'], 'readMachine' | 'listInterfaces'>) {}

  /** Keeps MaaS's answer (a read or an op's) as the latest word on the machine; returns it. */
  remember(m: MaasMachine): MaasMachine {
    this.machines.set(m.system_id, m);
    return m;
  }

  /** The latest word on the machine in this run, else a read. */
  async machine(systemId: string, signal?: AbortSignal): Promise<MaasMachine> {
    return this.machines.get(systemId) ?? this.readMachine(systemId, signal);
  }

  /** A read of the machine now, kept as the latest word. */
  async readMachine(systemId: string, signal?: AbortSignal): Promise<MaasMachine> {
    return this.remember(await this.maas.readMachine(systemId, signal));
  }

  /** The interfaces as last listed in this run with no change since, else a list. */
  async listInterfaces(systemId: string, signal?: AbortSignal): Promise<MaasInterface[]> {
    const known = this.interfaces.get(systemId);
    if (known) return known;
    const list = await this.maas.listInterfaces(systemId, signal);
    this.interfaces.set(systemId, list);
    return list;
  }

  /** After a write to the machine's interfaces: the next look lists them again. */
  interfacesChanged(systemId: string): void {
    this.interfaces.delete(systemId);
  }

  forget(): void {
    this.machines.clear();
    this.interfaces.clear();
  }

  /**
   * The steps with the memo forgotten when a call of theirs fails and before each undo, so only a
   * run that went well hands its reads on.
   */
  guard<P>(steps: WorkflowStep<P>[]): WorkflowStep<P>[] {
    return steps.map((s) => {
      const guarded: WorkflowStep<P> = { ...s, run: (ctx) => this.forgetOnFailure(() => s.run(ctx)) };
      if (s.verify) {
        const verify = s.verify.bind(s);
        guarded.verify = (ctx) => this.forgetOnFailure(() => verify(ctx));
      }
      if (s.undo) {
        const undo = s.undo.bind(s);
        guarded.undo = (ctx) => {
          this.forget();
          return this.forgetOnFailure(() => undo(ctx));
        };
      }
      return guarded;
    });
  }

  private async forgetOnFailure<R>(fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      this.forget();
      throw err;
    }
  }
}
