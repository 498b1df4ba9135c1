import type { RunnerClient } from '../src/client/runner-client.ts';
import {
  CONSOLE_DATA_NOTIFICATION,
  CONSOLE_STATE_NOTIFICATION,
  consoleDataSchema,
  consoleStateSchema,
  type ConsoleState,
} from '../src/protocol/console.ts';
import { describeError } from '../src/util/errors.ts';

export type { ConsoleState };

export interface ConsoleListener {
  /** The scrollback first, then each chunk as the host sends it. */
  data(bytes: Buffer): void;
  state(state: ConsoleState): void;
}

/** Where the dashboard's console pane gets a host's console (the runner, or a test's fake). */
export interface ConsoleSource {
  watch(host: string, listener: ConsoleListener): () => void;
  keyboard(host: string, take: boolean): Promise<ConsoleState>;
  input(host: string, keys: Buffer): Promise<void>;
}

/** A host's console through the runner, which holds the one SOL session and shares it. */
export class RunnerConsole implements ConsoleSource {
  private readonly listeners = new Map<string, Set<ConsoleListener>>();

  constructor(private readonly client: RunnerClient) {
    client.onNotification(CONSOLE_DATA_NOTIFICATION, (raw) => {
      const p = consoleDataSchema.safeParse(raw);
      if (!p.success) return;
      for (const item of p.data.items) {
        const set = this.listeners.get(item.host);
        if (!set) continue;
        const bytes = Buffer.from(item.data, 'base64');
        for (const l of set) l.data(bytes);
      }
    });
    client.onNotification(CONSOLE_STATE_NOTIFICATION, (raw) => {
      const p = consoleStateSchema.safeParse(raw);
      if (!p.success) return;
      for (const l of this.listeners.get(p.data.host) ?? []) l.state(p.data);
    });
  }

  watch(host: string, listener: ConsoleListener): () => void {
    let set = this.listeners.get(host);
    if (!set) this.listeners.set(host, (set = new Set()));
    set.add(listener);
    this.client
      .call('console.open', { host })
      .then((r) => {
        if (!set.has(listener)) return;
        listener.data(Buffer.from(r.scrollback, 'base64'));
        listener.state(r.state);
      })
      .catch((err: unknown) =>
        listener.state({
          host,
          state: 'unavailable',
          error: describeError(err),
          keyboard: 'none',
          viewers: 0,
        }),
      );
    return () => {
      set.delete(listener);
      if (set.size === 0) {
        this.listeners.delete(host);
        void this.client.call('console.close', { host }).catch(() => undefined);
      }
    };
  }

  keyboard(host: string, take: boolean): Promise<ConsoleState> {
    return this.client.call('console.keyboard', { host, take });
  }

  async input(host: string, keys: Buffer): Promise<void> {
    await this.client.call('console.input', { host, data: keys.toString('base64') });
  }
}
