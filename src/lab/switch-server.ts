import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server as TcpServer } from 'node:net';
import ssh2 from 'ssh2';
import type { AuthContext, Connection, ParsedKey, PublicKeyAuthContext, ServerChannel } from 'ssh2';
import type { DialectName } from '../gear/switch/dialect-names.ts';
import { corkEachTurn } from '../util/cork-each-turn.ts';
import { LabSwitchState, SwitchCli } from './switch-emulator.ts';
import { SwitchFaults } from './switch-faults.ts';
import { CliTerminal } from './switch-terminal.ts';
import type { LabWorld } from './world.ts';

const { Server, utils } = ssh2;

export interface LabSwitchEndpoint {
  name: string;
  dialect: DialectName;
  host: '127.0.0.1';
  port: number;
  /** `SHA256:…` of the throw-away host key, as `ssh-keygen -l` prints it. */
  hostKeyFingerprint: string;
}

export interface LabSwitchesOptions {
  /** Only these switches of the spec; all otherwise. */
  only?: string[];
  faults?: SwitchFaults;
  /** OpenSSH public keys (`ssh-ed25519 AAAA…`) accepted for every switch's user, besides the password. */
  authorizedKeys?: string[];
  /** Fixed host keys (PEM/OpenSSH private key) per switch name; generated otherwise. */
  hostKeys?: Record<string, string>;
  /** Force10 login banner with `[y/n]`; on by default for Force10 as on much deployed gear. */
  banner?: boolean;
  /** Fixed listening ports per switch name; the OS picks otherwise. */
  ports?: Record<string, number>;
}

export interface LabSwitches {
  switches: LabSwitchEndpoint[];
  faults: SwitchFaults;
  /** Per-switch CLI state (VLAN table, saves) for inspection. */
  state(name: string): LabSwitchState;
  /** Sessions opened so far per switch (a batching client opens few). */
  logins(name: string): number;
  /** CLI shells open on a switch now, and the most ever open at once (1 = changes never overlapped). */
  shells(name: string): { open: number; peak: number };
  close(): Promise<void>;
}

/** SHA256 fingerprint of an SSH public key blob in OpenSSH's form (base64, no padding). */
export function sshFingerprint(publicKeyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(publicKeyBlob).digest('base64').replace(/=+$/, '')}`;
}

/**
 * A throw-away ed25519 key pair in OpenSSH form. ssh2's generator now and then (about 1 in 300)
 * writes an ed25519 key its own parser rejects as malformed; such a key is simply made again.
 */
export function generateKeyPair(): { privateKey: string; publicKey: string; fingerprint: string } {
  for (let attempt = 0; ; attempt++) {
    const pair = utils.generateKeyPairSync('ed25519');
    const parsed = utils.parseKey(pair.private);
    if (!(parsed instanceof Error)) {
      return {
        privateKey: pair.private,
        publicKey: pair.public,
        fingerprint: sshFingerprint(parsed.getPublicSSH()),
      };
    }
    if (attempt >= 20) throw parsed;
  }
}

export function generateHostKey(): { privateKey: string; fingerprint: string } {
  const { privateKey, fingerprint } = generateKeyPair();
  return { privateKey, fingerprint };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * One SSH server per lab switch on 127.0.0.1, each speaking its switch's dialect over an
 * interactive shell, with VLAN state in the shared world.
 */
export async function startLabSwitches(world: LabWorld, opts: LabSwitchesOptions = {}): Promise<LabSwitches> {
  const faults = opts.faults ?? new SwitchFaults();
  const authorized: ParsedKey[] = (opts.authorizedKeys ?? []).map((k) => {
    const parsed = utils.parseKey(k);
    if (parsed instanceof Error) throw new Error(`lab switch authorized key: ${parsed.message}`);
    return parsed;
  });
  const specs = world.spec.switches.filter((s) => !opts.only || opts.only.includes(s.name));
  const servers: TcpServer[] = [];
  const conns = new Set<Connection>();
  const states = new Map<string, LabSwitchState>();
  const loginCounts = new Map<string, number>();
  const shellCounts = new Map<string, { open: number; peak: number }>();
  const endpoints: LabSwitchEndpoint[] = [];

  for (const sw of specs) {
    const key = opts.hostKeys?.[sw.name] ?? generateHostKey().privateKey;
    const parsedHostKey = utils.parseKey(key);
    if (parsedHostKey instanceof Error) throw parsedHostKey;
    const state = new LabSwitchState(world, sw);
    states.set(sw.name, state);
    loginCounts.set(sw.name, 0);
    const shellCount = { open: 0, peak: 0 };
    shellCounts.set(sw.name, shellCount);

    const server = new Server({ hostKeys: [key], ident: `SSH-2.0-${sw.dialect}-lab` }, (client) => {
      conns.add(client);
      // Nagle + delayed ACK stalls every prompt round trip ~40 ms; interactive SSH turns it off.
      (client as unknown as { setNoDelay(on: boolean): void }).setNoDelay(true);
      client.on('error', () => {});
      client.on('close', () => conns.delete(client));
      client.on('authentication', (ctx) => authenticate(ctx, sw, faults, authorized));
      client.on('ready', () => {
        loginCounts.set(sw.name, (loginCounts.get(sw.name) ?? 0) + 1);
        client.on('session', (acceptSession) => {
          const session = acceptSession();
          session.on('pty', (accept) => accept?.());
          session.on('window-change', (accept) => accept?.());
          session.on('env', (accept) => accept?.());
          session.on('exec', (_accept, reject) => reject?.());
          session.on('shell', (accept) =>
            serveShell(client, accept(), state, faults, opts.banner, shellCount),
          );
        });
      });
    });
    // A switch's sshd writes each packet whole; ssh2 writes it in three parts unless corked.
    const tcp = createServer((socket) => server.injectSocket(corkEachTurn(socket)));
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject);
      tcp.listen(opts.ports?.[sw.name] ?? 0, '127.0.0.1', () => resolve());
    });
    servers.push(tcp);
    const addr = tcp.address();
    if (addr === null || typeof addr === 'string') throw new Error('lab switch did not bind a TCP port');
    endpoints.push({
      name: sw.name,
      dialect: sw.dialect,
      host: '127.0.0.1',
      port: addr.port,
      hostKeyFingerprint: sshFingerprint(parsedHostKey.getPublicSSH()),
    });
  }

  return {
    switches: endpoints,
    faults,
    state(name) {
      const s = states.get(name);
      if (!s) throw new Error(`no lab switch ${name}`);
      return s;
    },
    logins: (name) => loginCounts.get(name) ?? 0,
    shells: (name) => ({ ...(shellCounts.get(name) ?? { open: 0, peak: 0 }) }),
    async close() {
      for (const c of conns) c.end();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

type SwitchSpec = LabWorld['spec']['switches'][number];

/** The switch's user by password or an authorized key; refused outright while the fault is on. */
function authenticate(ctx: AuthContext, sw: SwitchSpec, faults: SwitchFaults, authorized: ParsedKey[]): void {
  if (faults.loginRefused(sw.name) || ctx.username !== sw.username)
    return ctx.reject(['password', 'publickey']);
  if (ctx.method === 'password') {
    return safeEqual(ctx.password, sw.password) ? ctx.accept() : ctx.reject(['password', 'publickey']);
  }
  if (ctx.method === 'publickey') return publicKeyAuth(ctx, authorized);
  ctx.reject(['password', 'publickey']);
}

/** An interactive shell: the switch's CLI on the SSH channel, counted while open. */
function serveShell(
  client: Connection,
  stream: ServerChannel,
  state: LabSwitchState,
  faults: SwitchFaults,
  banner: boolean | undefined,
  shellCount: { open: number; peak: number },
): void {
  shellCount.peak = Math.max(shellCount.peak, ++shellCount.open);
  stream.once('close', () => shellCount.open--);
  const cli = new SwitchCli(state, {
    faults,
    ...(banner !== undefined ? { banner } : {}),
  });
  const term = new CliTerminal(cli, {
    write: (t) => {
      if (stream.writable) stream.write(t);
    },
    close: () => {
      stream.exit(0);
      stream.end();
    },
    drop: () => {
      // Tear the TCP link down with no SSH goodbye, as a dying switch or link does.
      const sock = (client as unknown as { _sock?: { destroy(): void } })._sock;
      if (sock) sock.destroy();
      else client.end();
    },
  });
  stream.on('data', (d: Buffer) => term.input(d.toString('latin1')));
  stream.on('close', () => term.stop());
  stream.on('error', () => term.stop());
  term.start();
}

function publicKeyAuth(ctx: PublicKeyAuthContext, authorized: ParsedKey[]): void {
  const match = authorized.find((k) => Buffer.compare(k.getPublicSSH(), ctx.key.data) === 0);
  if (!match) return ctx.reject(['password', 'publickey']);
  // Without a signature the client only asks whether the key would do; with one, it must verify.
  if (!ctx.signature || !ctx.blob) return ctx.accept();
  if (match.verify(ctx.blob, ctx.signature, ctx.hashAlgo) === true) return ctx.accept();
  ctx.reject(['password', 'publickey']);
}
