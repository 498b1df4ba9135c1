/**
 * The child of bench/client.ts: connects to the bench's socket and takes its stream of task-event
 * notifications in one of three ways, then prints its CPU (user + system ms) from connecting until
 * the stream ends:
 * - `wake`: reads the bytes and does nothing with them (the cost of being woken for each write);
 * - `parse`: through vscode-jsonrpc as the clients do, without the protocol's schema checks;
 * - `client`: through RunnerClient, which checks every event against the protocol's schema.
 */
import { connect } from 'node:net';
import { RunnerClient } from '../../src/client/runner-client.ts';
import { runnerPaths } from '../../src/config/runner-paths.ts';
import { EVENT_NOTIFICATION } from '../../src/protocol/messages.ts';
import { socketConnection } from '../../src/protocol/transport.ts';

const [mode, path] = process.argv.slice(2) as ['wake' | 'parse' | 'client', string];
const socket = connect(path);
await new Promise((resolve) => socket.once('connect', resolve));
const cpu0 = process.cpuUsage();
let events = 0;
if (mode === 'wake') socket.on('data', () => undefined);
else {
  const connection = socketConnection(socket);
  if (mode === 'parse')
    connection.onNotification(EVENT_NOTIFICATION, (p: { events: unknown[] }) => {
      events += p.events.length;
    });
  else new RunnerClient(connection, socket, runnerPaths(path), 0).onEvent(() => events++);
  connection.listen();
}
await new Promise((resolve) => socket.once('close', resolve));
const cpu = process.cpuUsage(cpu0);
process.stdout.write(JSON.stringify({ cpuMs: (cpu.user + cpu.system) / 1000, events }) + '\n');
