/**
 * The serial consoles of the lab's hosts: each prints what its state implies, when it happens.
 * Power-on runs the firmware (SeaBIOS + iPXE or EDK2), which PXE-boots or tries the disk as the
 * world says; MaaS's progress on the host (its events and curtin's install log) drives the
 * ephemeral kernel, cloud-init and the installer's lines; the installed OS ends at a login prompt.
 * Troubles show as on real gear: no DHCP offer on a tenant VLAN, a blank or half-wiped disk, a
 * kernel panic. Waits follow the lab's time scale. The BMC's SOL carries the bytes (bmc-sol.ts).
 */
import { labBiosBootMethod, type LabProgress } from './maas-core.ts';
import type { LabWorld, WorldEvent } from './world.ts';
import {
  cloudInitBanner,
  cloudInitFinal,
  curtinLine,
  diskBootLines,
  eraseLines,
  GRUB_RESCUE_PROMPT,
  kernelLines,
  kernelPanicLines,
  loginLines,
  loginPrompt,
  postLines,
  pxeOfferLines,
  pxeStartLines,
  pxeTimeoutLines,
  rebootLines,
  type ConsoleHost,
  type DiskState,
} from './console-script.ts';

export interface LabConsolesOptions {
  timeScale: number;
  /** Real-time gap between two printed lines (default 15 ms): text scrolls as on a serial line. */
  lineGapMs?: number;
}

type Prompt = 'none' | 'login' | 'password' | 'grub-rescue';

interface HostConsole {
  host: ConsoleHost;
  listeners: Set<(data: Buffer) => void>;
  /** Lines waiting to be printed, and the timer printing them. */
  queue: (string | (() => void))[];
  timer: NodeJS.Timeout | undefined;
  /** Pending waits of the current boot (cancelled by a power change). */
  waits: Set<NodeJS.Timeout>;
  /** What the local disk holds, and whether a GRUB core image was ever installed on it. */
  disk: DiskState;
  hadGrub: boolean;
  series: string;
  prompt: Prompt;
  typed: string;
  uptime: number;
  panicNextBoot: boolean;
  ephemeral: boolean;
}

/** Real seconds the firmware waits for a DHCP offer before giving up (iPXE and EDK2: tens of seconds). */
const DHCP_TIMEOUT_S = 30;
/** Real seconds MaaS's netboot config takes to chain to the local disk when it has no job for the host. */
const LOCAL_BOOT_S = 20;
const LOGIN_AFTER_S = 25;

export class LabConsoles {
  private readonly world: LabWorld;
  private readonly opts: Required<LabConsolesOptions>;
  private readonly hosts = new Map<string, HostConsole>();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(world: LabWorld, opts: LabConsolesOptions) {
    this.world = world;
    this.opts = { lineGapMs: 15, ...opts };
    world.spec.hosts.forEach((h, i) => {
      this.hosts.set(h.hostname, {
        host: {
          hostname: h.hostname,
          firmware: labBiosBootMethod(h.hostname) === 'uefi' ? 'uefi' : 'bios',
          mac: h.nics[0]?.mac ?? '52:54:00:00:00:01',
          maasIp: '10.20.0.2',
          ip: `10.20.${Math.floor(i / 250)}.${(i % 250) + 5}`,
        },
        listeners: new Set(),
        queue: [],
        timer: undefined,
        waits: new Set(),
        disk: world.installedOs.has(h.hostname) ? 'os' : 'blank',
        hadGrub: world.installedOs.has(h.hostname),
        series: 'jammy',
        prompt: 'none',
        typed: '',
        uptime: 0,
        panicNextBoot: false,
        ephemeral: false,
      });
    });
    this.unsubscribe.push(world.on((e) => this.onWorld(e)));
  }

  /** Print what the lab MaaS does on each host (its events and curtin's install log). */
  followMaas(progress: Set<(hostname: string, p: LabProgress) => void>): void {
    const l = (hostname: string, p: LabProgress) => this.onMaas(hostname, p);
    progress.add(l);
    this.unsubscribe.push(() => progress.delete(l));
  }

  /** Bytes the host's serial port sends from now on. */
  subscribe(hostname: string, fn: (data: Buffer) => void): () => void {
    const c = this.console(hostname);
    c.listeners.add(fn);
    return () => c.listeners.delete(fn);
  }

  /** Keys typed at the host's serial console (through SOL). */
  input(hostname: string, data: Buffer): void {
    const c = this.console(hostname);
    if (c.prompt === 'none') return;
    for (const ch of data.toString('latin1')) {
      if (ch === '\r' || ch === '\n') this.enter(c);
      else if (ch === '\x7f' || ch === '\b') {
        if (c.typed.length > 0) {
          c.typed = c.typed.slice(0, -1);
          if (c.prompt !== 'password') this.emit(c, '\b \b');
        }
      } else if (ch >= ' ') {
        c.typed += ch;
        if (c.prompt !== 'password') this.emit(c, ch);
      }
    }
  }

  /** Trouble: the next netboot's initrd arrives corrupt and the ephemeral kernel panics. */
  panicNextNetboot(hostname: string): void {
    this.console(hostname).panicNextBoot = true;
  }

  clear(hostname?: string): void {
    for (const [name, c] of this.hosts) if (!hostname || name === hostname) c.panicNextBoot = false;
  }

  dispose(): void {
    for (const u of this.unsubscribe) u();
    for (const c of this.hosts.values()) this.cancel(c);
  }

  private console(hostname: string): HostConsole {
    const c = this.hosts.get(hostname);
    if (!c) throw new Error(`no lab host ${hostname}`);
    return c;
  }

  private scaled(realSeconds: number): number {
    return Math.max(50, realSeconds * 1000 * this.opts.timeScale);
  }

  private emit(c: HostConsole, text: string): void {
    if (c.listeners.size === 0) return;
    const data = Buffer.from(text, 'utf8');
    for (const l of c.listeners) l(data);
  }

  /** Queue lines; they print one per line gap, in order, each ended by CR LF as a serial console does. */
  private print(c: HostConsole, lines: string[], then?: () => void): void {
    c.queue.push(...lines);
    if (then) c.queue.push(then);
    this.drain(c);
  }

  private drain(c: HostConsole): void {
    if (c.timer || c.queue.length === 0) return;
    const line = c.queue.shift()!;
    if (typeof line === 'function') {
      line();
      this.drain(c);
      return;
    }
    this.emit(c, `${line}\r\n`);
    c.timer = setTimeout(() => {
      c.timer = undefined;
      this.drain(c);
    }, this.opts.lineGapMs);
    c.timer.unref();
  }

  private after(c: HostConsole, realSeconds: number, fn: () => void): void {
    const t = setTimeout(() => {
      c.waits.delete(t);
      fn();
    }, this.scaled(realSeconds));
    t.unref();
    c.waits.add(t);
  }

  private cancel(c: HostConsole): void {
    if (c.timer) clearTimeout(c.timer);
    c.timer = undefined;
    c.queue = [];
    for (const t of c.waits) clearTimeout(t);
    c.waits.clear();
    c.prompt = 'none';
    c.typed = '';
    c.ephemeral = false;
  }

  private onWorld(e: WorldEvent): void {
    if (e.kind !== 'power') return;
    const c = this.hosts.get(e.hostname);
    if (!c) return;
    if (e.power === 'off') {
      // The OS's own reboot says goodbye; a BMC power-off just cuts the line.
      const goodbye = e.source === 'os' && (c.prompt === 'login' || c.ephemeral);
      this.cancel(c);
      if (goodbye) this.emit(c, rebootLines().join('\r\n') + '\r\n');
      return;
    }
    this.cancel(c);
    this.boot(c, this.world.host(e.hostname).bootedFrom ?? 'disk');
  }

  private boot(c: HostConsole, from: string): void {
    const h = c.host;
    c.uptime = 0;
    this.print(c, postLines(h));
    if (from !== 'pxe') {
      this.print(c, [], () => this.fromDisk(c));
      return;
    }
    this.print(c, pxeStartLines(h));
    // The ROM waits for an offer; only the PXE VLAN carries MaaS's DHCP.
    this.after(c, 3, () => {
      if (this.world.onPxeNetwork(h.hostname)) {
        this.print(c, pxeOfferLines(h));
        // MaaS answers with a netboot job (its 'Loading ephemeral' event) or chains to the disk.
        this.after(c, LOCAL_BOOT_S, () => {
          if (c.ephemeral) return;
          this.print(c, ['Booting local disk...'], () => this.fromDisk(c));
        });
        return;
      }
      this.after(c, DHCP_TIMEOUT_S, () => this.print(c, pxeTimeoutLines(h), () => this.fromDisk(c)));
    });
  }

  private fromDisk(c: HostConsole): void {
    const h = c.host;
    // The world's record of the disk wins: a deploy finished or an erase happened while we looked away.
    if (this.world.installedOs.has(h.hostname)) {
      c.disk = 'os';
      c.hadGrub = true;
    } else if (c.disk === 'os') c.disk = 'blank';
    this.print(c, diskBootLines(h, c.disk, c.hadGrub));
    if (c.disk === 'os') {
      const os = this.world.installedOs.get(h.hostname);
      if (os) c.series = os.split('/')[1] ?? c.series;
      this.print(c, [...kernelLines(h, c.series, 'disk'), cloudInitBanner('init', 6.41)]);
      this.after(c, LOGIN_AFTER_S, () => this.showLogin(c));
      return;
    }
    if (c.disk === 'wiped' && c.hadGrub && h.firmware === 'bios') {
      this.print(c, [], () => {
        c.prompt = 'grub-rescue';
        this.emit(c, GRUB_RESCUE_PROMPT);
      });
    }
  }

  private showLogin(c: HostConsole): void {
    this.print(c, loginLines(c.host, c.series), () => {
      c.prompt = 'login';
      this.emit(c, loginPrompt(c.host.hostname));
    });
  }

  private enter(c: HostConsole): void {
    const typed = c.typed;
    c.typed = '';
    switch (c.prompt) {
      case 'login':
        c.prompt = 'password';
        this.emit(c, '\r\nPassword: ');
        return;
      case 'password':
        // The lab's OS has no password logins: as sshd-only cloud images answer.
        c.prompt = 'login';
        this.emit(c, '\r\n\r\nLogin incorrect\r\n' + loginPrompt(c.host.hostname));
        return;
      case 'grub-rescue': {
        const word = typed.trim().split(/\s+/)[0] ?? '';
        const answer = word === '' ? '' : `error: unknown command \`${word}'.\r\n`;
        this.emit(c, '\r\n' + answer + GRUB_RESCUE_PROMPT);
        return;
      }
      default:
        return;
    }
  }

  private onMaas(hostname: string, p: LabProgress): void {
    const c = this.hosts.get(hostname);
    if (!c || this.world.host(hostname).power !== 'on') return;
    if (p.kind === 'install') {
      c.uptime += 3.2;
      if (p.line.includes('cmd-block-meta: curtin command block-meta') && p.line.startsWith('start:')) {
        // curtin rewrites the partition table: whatever OS was there is gone.
        c.hadGrub = c.hadGrub || c.disk === 'os';
        c.disk = 'wiped';
      }
      if (p.line === 'curtin: Installation finished.') {
        c.disk = 'os';
        c.hadGrub = true;
      }
      this.print(c, [curtinLine(p.line, 40 + c.uptime)]);
      return;
    }
    if (p.type === 'Loading ephemeral') {
      c.ephemeral = true;
      const series = p.description.split('/')[3];
      if (series) c.series = series;
      this.print(c, kernelLines(c.host, c.series, 'ephemeral'));
      if (c.panicNextBoot) {
        c.panicNextBoot = false;
        this.print(c, kernelPanicLines(c.series), () => this.world.halt(hostname));
        return;
      }
      this.print(c, [cloudInitBanner('init-local', 5.12), cloudInitBanner('init', 8.93)]);
    } else if (p.type === 'Node installation' && p.description.includes('running modules for config')) {
      this.print(c, [cloudInitBanner('modules:config', 21.4)]);
    } else if (p.type === 'Erasing disk') {
      const mode = /Performing (\w+) erase/.exec(p.description)?.[1] ?? 'full';
      this.print(c, eraseLines(mode));
      c.disk = 'blank';
    } else if (p.type === 'Node installation' && p.description.includes("'cloudinit' finish")) {
      this.print(c, [cloudInitFinal(c.host, 58.37)]);
    }
  }
}
