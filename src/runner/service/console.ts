import type { ConsoleHub, ConsoleViewer } from '../console/hub.ts';
import { CONSOLE_DATA_NOTIFICATION, CONSOLE_STATE_NOTIFICATION } from '../../protocol/console.ts';
import type { Caller, Handlers } from './context.ts';

/** Console bytes wait this long for others to share one notification (a burst over many hosts). */
const BATCH_MS = 5;

/** The console requests: each client is one viewer, gone from every console when it leaves. */
export function consoleHandlers(hub: ConsoleHub): Handlers {
  const viewers = new Map<number, ConsoleViewer>();
  const viewer = (caller: Caller): ConsoleViewer => {
    const known = viewers.get(caller.id);
    if (known) return known;
    let pending = new Map<string, Buffer[]>();
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const items = [...pending].map(([host, parts]) => ({
        host,
        data: Buffer.concat(parts).toString('base64'),
      }));
      pending = new Map();
      caller.notify(CONSOLE_DATA_NOTIFICATION, { items });
    };
    const v: ConsoleViewer = {
      id: caller.id,
      onData: (host, data) => {
        const list = pending.get(host);
        if (list) list.push(data);
        else pending.set(host, [data]);
        timer ??= setTimeout(flush, BATCH_MS);
      },
      onState: (state) => caller.notify(CONSOLE_STATE_NOTIFICATION, state),
    };
    viewers.set(caller.id, v);
    caller.subscription.console ??= () => {
      hub.leave(caller.id);
      viewers.delete(caller.id);
      clearTimeout(timer);
    };
    return v;
  };
  return {
    'console.open': async ({ host }, caller) => {
      const r = hub.watch(host, viewer(caller));
      return { scrollback: r.scrollback.toString('base64'), state: r.state };
    },
    'console.close': async ({ host }, caller) => {
      hub.unwatch(host, caller.id);
      return {};
    },
    'console.read': async ({ host, task }) => {
      const r = await hub.read(host, task);
      return { data: r.data.toString('base64'), source: r.source };
    },
    'console.keyboard': async ({ host, take }, caller) => hub.keyboard(host, caller.id, take),
    'console.input': async ({ host, data, break: brk }, caller) => {
      hub.input(host, caller.id, Buffer.from(data, 'base64'), brk ?? false);
      return {};
    },
  };
}
