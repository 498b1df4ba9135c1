import type { ConsoleHub, ConsoleViewer } from '../console/hub.ts';
import { CONSOLE_DATA_NOTIFICATION, CONSOLE_STATE_NOTIFICATION } from '../console-protocol.ts';
import type { Caller, Handlers } from './context.ts';

/** The console requests: each client is one viewer, gone from every console when it leaves. */
export function consoleHandlers(hub: ConsoleHub): Handlers {
  const viewer = (caller: Caller): ConsoleViewer => {
    caller.subscription.console ??= () => hub.leave(caller.id);
    return {
      id: caller.id,
      onData: (host, data) =>
        caller.notify(CONSOLE_DATA_NOTIFICATION, { host, data: data.toString('base64') }),
      onState: (state) => caller.notify(CONSOLE_STATE_NOTIFICATION, state),
    };
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
      const r = hub.read(host, task);
      return { data: r.data.toString('base64'), source: r.source };
    },
    'console.keyboard': async ({ host, take }, caller) => hub.keyboard(host, caller.id, take),
    'console.input': async ({ host, data, break: brk }, caller) => {
      hub.input(host, caller.id, Buffer.from(data, 'base64'), brk ?? false);
      return {};
    },
  };
}
