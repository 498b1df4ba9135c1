import type { DialectName } from '../gear/switch/dialect-names.ts';
import type { LabSwitch } from './spec.ts';
import type { LabWorld, PortState } from './world.ts';

/**
 * A ToR switch's CLI as a pure state machine: one line in, text out. The SSH server and the
 * stdio entry (OpenSSH ForceCommand) both drive it through switch-terminal.ts, so the lab speaks
 * the same dialect whatever carries it. Port VLAN membership lives in the shared LabWorld, so
 * the lab MaaS sees what the switch did.
 */

export interface CliReply {
  output: string;
  /** The session ends after the output (exit/logout). */
  close?: boolean;
  /** Fault: the connection dies after writing `output`. */
  drop?: boolean;
  /** Fault: hold the reply this long. */
  delayMs?: number;
  /** Output is long enough that the pager applies. */
  pageable?: boolean;
}

/** Fault hooks the lab consults per command. */
export interface CliFaultHooks {
  beforeCommand?(sw: string, line: string): { error?: string; drop?: boolean; delayMs?: number } | undefined;
  /** MAC → port override: the host's NIC is plugged elsewhere than the rack file says. */
  cabledPort?(sw: string, mac: string, port: string): string;
}

/** Per-switch configuration that outlives one session (VLAN table, port modes). */
export class LabSwitchState {
  readonly vlans = new Map<number, string>();
  /** Port-centric dialects keep mode and lists apart from the derived untagged/tagged view. */
  readonly portCfg = new Map<string, PortCfg>();
  saves = 0;
  private cabled: Map<string, { mac: string; port: string }[]> | null = null;
  constructor(
    readonly world: LabWorld,
    readonly sw: LabSwitch,
  ) {
    this.vlans.set(1, 'default');
    this.vlans.set(sw.pxeVlan, 'pxe');
    for (const port of sw.ports) {
      const p = world.port(sw.name, port);
      if (!this.vlans.has(p.untagged)) this.vlans.set(p.untagged, '');
      for (const v of p.tagged) if (!this.vlans.has(v)) this.vlans.set(v, '');
    }
  }

  /**
   * The NICs the lab's spec cables to this switch, by their MAC's hex digits (the spec is fixed
   * for a lab's life): a MAC table look-up by address reads one entry, not every host of the site.
   */
  cabledNics(): ReadonlyMap<string, readonly CabledNicRow[]> {
    if (!this.cabled) {
      this.cabled = new Map();
      for (const h of this.world.spec.hosts)
        for (const nic of h.nics) {
          if (nic.switch !== this.sw.name) continue;
          const key = hexOf(nic.mac);
          const list = this.cabled.get(key) ?? [];
          list.push({ mac: nic.mac, port: nic.port });
          this.cabled.set(key, list);
        }
    }
    return this.cabled;
  }
}

export interface CabledNicRow {
  mac: string;
  port: string;
}

interface PortCfg {
  trunk: boolean;
  access: number;
  native: number;
  /** null = all VLANs (NX-OS/EOS default on a trunk). */
  allowed: Set<number> | null;
}

type Mode =
  | { kind: 'banner' }
  | { kind: 'exec' }
  | { kind: 'enable' }
  | { kind: 'config' }
  | { kind: 'if'; port: string }
  | { kind: 'vlan'; vlan: number };

const IFACE_TYPES: Record<DialectName, { long: string; short: string; min: number }> = {
  force10: { long: 'tengigabitethernet', short: 'Te', min: 2 },
  os10: { long: 'ethernet', short: 'Eth', min: 1 },
  nxos: { long: 'ethernet', short: 'Eth', min: 1 },
  eos: { long: 'ethernet', short: 'Et', min: 2 },
};

export interface SwitchCliOptions {
  faults?: CliFaultHooks;
  /** Force10 gear often shows a login banner that must be accepted. */
  banner?: boolean;
  /** Lines per page until `terminal length 0`. */
  pageLength?: number;
}

export class SwitchCli {
  private mode: Mode;
  private pageLength: number;
  private readonly d: DialectName;

  constructor(
    private readonly state: LabSwitchState,
    private readonly opts: SwitchCliOptions = {},
  ) {
    this.d = state.sw.dialect;
    this.pageLength = opts.pageLength ?? 24;
    const banner = opts.banner ?? this.d === 'force10';
    this.mode = banner ? { kind: 'banner' } : this.d === 'eos' ? { kind: 'exec' } : { kind: 'enable' };
  }

  get pagerLines(): number {
    return this.pageLength;
  }

  greeting(): string {
    if (this.mode.kind === 'banner') {
      return `\n*** Authorized access only. ${this.state.sw.name} is monitored. ***\nAccept terms? [y/n]: `;
    }
    return `\n${this.prompt()}`;
  }

  prompt(): string {
    const host = this.state.sw.name;
    const m = this.mode;
    switch (m.kind) {
      case 'banner':
        return 'Accept terms? [y/n]: ';
      case 'exec':
        return `${host}>`;
      case 'enable':
        return `${host}#`;
      case 'config':
        return this.d === 'force10' ? `${host}(conf)#` : `${host}(config)#`;
      case 'if': {
        const short = IFACE_TYPES[this.d].short;
        if (this.d === 'force10') return `${host}(conf-if-te-${m.port})#`;
        if (this.d === 'os10') return `${host}(conf-if-eth${m.port})#`;
        if (this.d === 'nxos') return `${host}(config-if)#`;
        return `${host}(config-if-${short}${m.port})#`;
      }
      case 'vlan':
        if (this.d === 'force10' || this.d === 'os10') return `${host}(conf-if-vl-${m.vlan})#`;
        if (this.d === 'nxos') return `${host}(config-vlan)#`;
        return `${host}(config-vlan-${m.vlan})#`;
    }
  }

  line(raw: string): CliReply {
    const line = raw.trim().replace(/\s+/g, ' ');
    if (this.mode.kind === 'banner') {
      if (/^y(es)?$/i.test(line)) {
        this.mode = { kind: 'enable' };
        return { output: '' };
      }
      if (/^n(o)?$/i.test(line)) return { output: 'Terms not accepted.\n', close: true };
      return { output: '' };
    }
    if (line === '') return { output: '' };
    const fault = this.opts.faults?.beforeCommand?.(this.state.sw.name, line);
    if (fault?.drop) return { output: '', drop: true, ...(fault.delayMs ? { delayMs: fault.delayMs } : {}) };
    if (fault?.error)
      return { output: `${fault.error}\n`, ...(fault.delayMs ? { delayMs: fault.delayMs } : {}) };
    const reply = this.exec(line);
    return fault?.delayMs ? { ...reply, delayMs: fault.delayMs } : reply;
  }

  // ---- command dispatch -------------------------------------------------------------------

  private exec(line: string): CliReply {
    const lc = line.toLowerCase();
    const m = this.mode;
    if (lc.startsWith('do ') && m.kind !== 'exec' && m.kind !== 'enable') return this.exec(line.slice(3));
    if (/^show /.test(lc) || lc === 'show') return this.show(line);
    if (/^terminal length \d+$/.test(lc)) {
      this.pageLength = Number(lc.split(' ')[2]);
      return { output: '' };
    }
    if (lc === 'terminal pager 0' || lc === 'terminal no pager') return this.ok(() => (this.pageLength = 0));
    if (lc === 'end') {
      if (m.kind === 'exec' || m.kind === 'enable') return this.invalid(line);
      this.mode = { kind: 'enable' };
      return { output: '' };
    }
    if (lc === 'exit' || lc === 'quit' || lc === 'logout') {
      if (m.kind === 'if' || m.kind === 'vlan') this.mode = { kind: 'config' };
      else if (m.kind === 'config') this.mode = { kind: 'enable' };
      else return { output: '', close: true };
      return { output: '' };
    }
    switch (m.kind) {
      case 'exec':
        if (lc === 'enable' || lc === 'en') return this.ok(() => (this.mode = { kind: 'enable' }));
        return this.invalid(line);
      case 'enable':
        if (
          lc === 'configure' ||
          lc === 'configure terminal' ||
          lc === 'conf t' ||
          lc === 'config terminal'
        ) {
          this.mode = { kind: 'config' };
          return {
            output: this.d === 'nxos' ? 'Enter configuration commands, one per line. End with CNTL/Z.\n' : '',
          };
        }
        if (this.isSave(lc)) return this.save();
        return this.invalid(line);
      case 'config':
        return this.configLine(line);
      case 'if':
        return this.ifLine(line, m.port);
      case 'vlan':
        return this.vlanLine(line, m.vlan);
      default:
        return this.invalid(line);
    }
  }

  private isSave(lc: string): boolean {
    if (this.d === 'force10') return lc === 'write memory' || lc === 'copy running-config startup-config';
    if (this.d === 'os10')
      return lc === 'copy running-configuration startup-configuration' || lc === 'write memory';
    return lc === 'copy running-config startup-config' || (this.d === 'eos' && lc === 'write memory');
  }

  private save(): CliReply {
    this.state.saves++;
    if (this.d === 'force10')
      return {
        output:
          '!\n00:00:01: %STKUNIT1-M:CP %FILEMGR-5-FILESAVED: Copied running-config to startup-config in flash\n',
      };
    if (this.d === 'nxos')
      return {
        output:
          '[########################################] 100%\nCopy complete, now saving to disk (please wait)...\nCopy complete.\n',
      };
    if (this.d === 'eos') return { output: 'Copy completed successfully.\n' };
    return { output: '' };
  }

  private configLine(line: string): CliReply {
    const lc = line.toLowerCase();
    let m: RegExpExecArray | null;
    if ((m = /^interface vlan ?(\S+)$/.exec(lc)) && (this.d === 'force10' || this.d === 'os10')) {
      const v = this.vlanId(m[1]!);
      if (v === null) return this.error(`Invalid VLAN id ${m[1]}.`);
      if (!this.state.vlans.has(v)) this.state.vlans.set(v, '');
      this.mode = { kind: 'vlan', vlan: v };
      return { output: '' };
    }
    if ((m = /^vlan (\S+)$/.exec(lc)) && (this.d === 'nxos' || this.d === 'eos')) {
      const v = this.vlanId(m[1]!);
      if (v === null) return this.invalidValue(line);
      if (!this.state.vlans.has(v)) this.state.vlans.set(v, '');
      this.mode = { kind: 'vlan', vlan: v };
      return { output: '' };
    }
    if ((m = /^interface (.+)$/.exec(line))) {
      const port = this.resolvePort(m[1]!);
      if (port === null) return this.invalid(line);
      this.mode = { kind: 'if', port };
      return { output: '' };
    }
    if (/^hostname /.test(lc) || /^no vlan \d+$/.test(lc)) return { output: '' };
    return this.invalid(line);
  }

  // ---- VLAN-centric (Force10) -------------------------------------------------------------

  private vlanLine(line: string, vlan: number): CliReply {
    const lc = line.toLowerCase();
    if (/^(description|name) .+$/.test(lc)) {
      if (this.d === 'force10' && lc.startsWith('name ') && /^name \d/.test(lc))
        return this.error('Name cannot start with a digit.');
      this.state.vlans.set(vlan, line.split(' ').slice(1).join(' '));
      return { output: '' };
    }
    if (lc === 'no shutdown' || lc === 'shutdown' || lc === 'state active') return { output: '' };
    if (this.d !== 'force10') return this.invalid(line);
    const m = /^(no )?(untagged|tagged) (.+)$/.exec(line);
    if (!m) return this.invalid(line);
    const port = this.resolvePort(m[3]!);
    if (port === null) return this.invalid(line);
    const p = this.world.port(this.name, port);
    const short = `Te ${port}`;
    if (!p.layer2) return this.error(`Port is not in Layer-2 mode ${short}.`);
    const remove = m[1] !== undefined;
    if (m[2] === 'untagged') {
      if (remove) {
        if (p.untagged !== vlan) return this.error(`${short} is not untagged in vlan ${vlan}.`);
        return this.ok(() => this.update(port, (s) => (s.untagged = 1)));
      }
      if (p.tagged.has(vlan)) return this.error(`${short} is already tagged in vlan ${vlan}.`);
      if (p.untagged !== 1 && p.untagged !== vlan) {
        return this.error(`Port is untagged in another Vlan ${p.untagged}: ${short}.`);
      }
      return this.ok(() => this.update(port, (s) => (s.untagged = vlan)));
    }
    if (remove) {
      if (!p.tagged.has(vlan)) return this.error(`${short} is not tagged in vlan ${vlan}.`);
      return this.ok(() => this.update(port, (s) => s.tagged.delete(vlan)));
    }
    if (p.untagged === vlan) return this.error(`${short} is already untagged in vlan ${vlan}.`);
    return this.ok(() => this.update(port, (s) => s.tagged.add(vlan)));
  }

  // ---- port-centric (OS10, NX-OS, EOS) ----------------------------------------------------

  private ifLine(line: string, port: string): CliReply {
    const lc = line.toLowerCase();
    const p = this.world.port(this.name, port);
    if (/^(description .+|no shutdown|shutdown|mtu \d+|flowcontrol .+|spanning-tree .+)$/.test(lc))
      return { output: '' };
    if (lc === 'switchport') return this.ok(() => this.update(port, (s) => (s.layer2 = true)));
    if (lc === 'no switchport') {
      return this.ok(() => {
        this.state.portCfg.delete(port);
        this.update(port, (s) => {
          s.layer2 = false;
          s.untagged = 1;
          s.tagged.clear();
        });
      });
    }
    if (this.d === 'force10') return this.invalid(line);
    if (!/^(no )?switchport /.test(lc)) return this.invalid(line);
    if (!p.layer2) return this.notL2(port);
    const cfg = this.cfg(port);
    let m: RegExpExecArray | null;
    if ((m = /^switchport mode (access|trunk)$/.exec(lc))) {
      cfg.trunk = m[1] === 'trunk';
      if (cfg.trunk && this.d === 'os10' && cfg.allowed === null) cfg.allowed = new Set();
      if (!cfg.trunk && this.d === 'os10') cfg.allowed = new Set();
      return this.ok(() => this.sync(port, cfg));
    }
    if ((m = /^switchport access vlan (\S+)$/.exec(lc))) {
      const v = this.vlanId(m[1]!);
      if (v === null) return this.invalidValue(line);
      if (!this.state.vlans.has(v)) {
        if (this.d === 'os10') return this.error(`vlan${v} does not exist.`);
        this.state.vlans.set(v, '');
      }
      cfg.access = v;
      if (this.d === 'os10') cfg.native = v;
      return this.ok(() => this.sync(port, cfg));
    }
    if (lc === 'no switchport access vlan') {
      cfg.access = 1;
      if (this.d === 'os10') cfg.native = 1;
      return this.ok(() => this.sync(port, cfg));
    }
    if ((m = /^switchport trunk native vlan (\S+)$/.exec(lc)) && this.d !== 'os10') {
      const v = this.vlanId(m[1]!);
      if (v === null) return this.invalidValue(line);
      cfg.native = v;
      return this.ok(() => this.sync(port, cfg));
    }
    if (lc === 'no switchport trunk native vlan' && this.d !== 'os10') {
      cfg.native = 1;
      return this.ok(() => this.sync(port, cfg));
    }
    if ((m = /^(no )?switchport trunk allowed vlan(?: (add|remove|except))? ?(.*)$/.exec(lc))) {
      const no = m[1] !== undefined;
      const verb = m[2];
      const arg = m[3]!.trim();
      if (this.d === 'os10' && !cfg.trunk) return this.error('Interface is not in trunk mode.');
      if (this.d === 'os10' && verb !== undefined) return this.invalid(line);
      if (no && arg === '') {
        cfg.allowed = this.d === 'os10' ? new Set() : null;
        return this.ok(() => this.sync(port, cfg));
      }
      let list: number[] | 'all' | 'none';
      if (arg === 'all') list = 'all';
      else if (arg === 'none') list = 'none';
      else {
        const parsed = this.vlanList(arg);
        if (parsed === null) return this.invalidValue(line);
        list = parsed;
      }
      if (this.d === 'os10') {
        if (list === 'all' || list === 'none') return this.invalid(line);
        for (const v of list) if (!this.state.vlans.has(v)) return this.error(`vlan${v} does not exist.`);
        const set = cfg.allowed ?? new Set<number>();
        for (const v of list) no ? set.delete(v) : set.add(v);
        cfg.allowed = set;
        return this.ok(() => this.sync(port, cfg));
      }
      if (no) return this.invalid(line);
      const all = (): Set<number> => new Set(Array.from({ length: 4094 }, (_, i) => i + 1));
      if (verb === undefined)
        cfg.allowed = list === 'all' ? null : list === 'none' ? new Set() : new Set(list);
      else if (list === 'all' || list === 'none') return this.invalid(line);
      else if (verb === 'add') {
        if (cfg.allowed !== null) for (const v of list) cfg.allowed.add(v);
      } else if (verb === 'remove') {
        const set = cfg.allowed ?? all();
        for (const v of list) set.delete(v);
        cfg.allowed = set;
      } else {
        const set = all();
        for (const v of list) set.delete(v);
        cfg.allowed = set;
      }
      for (const v of list === 'all' || list === 'none' ? [] : list)
        if (!this.state.vlans.has(v)) this.state.vlans.set(v, '');
      return this.ok(() => this.sync(port, cfg));
    }
    return this.invalid(line);
  }

  /** Port-centric configuration, rebuilt from the world when someone else changed the port. */
  private cfg(port: string): PortCfg {
    const p = this.world.port(this.name, port);
    const cached = this.state.portCfg.get(port);
    if (cached && sameState(derive(this.d, cached, this.state.vlans), p)) return cached;
    const trunk = p.tagged.size > 0;
    const cfg: PortCfg =
      this.d === 'os10'
        ? { trunk, access: p.untagged, native: p.untagged, allowed: new Set(p.tagged) }
        : {
            trunk,
            access: trunk ? 1 : p.untagged,
            native: p.untagged,
            allowed: trunk ? new Set([p.untagged, ...p.tagged]) : null,
          };
    this.state.portCfg.set(port, cfg);
    return cfg;
  }

  private sync(port: string, cfg: PortCfg): void {
    const view = derive(this.d, cfg, this.state.vlans);
    this.update(port, (s) => {
      s.untagged = view.untagged;
      s.tagged.clear();
      for (const v of view.tagged) s.tagged.add(v);
    });
  }

  // ---- show ------------------------------------------------------------------------------

  private show(line: string): CliReply {
    const lc = line.toLowerCase();
    let m: RegExpExecArray | null;
    if (lc === 'show version') return { output: `${this.state.sw.name} lab switch (${this.d})\n` };
    if (this.d === 'force10') {
      if ((m = /^show interfaces? switchport (.+)$/i.exec(line)))
        return this.showForce10Switchport(m[1]!, line);
      if (lc === 'show vlan') return this.page(this.dellVlanTable());
      if ((m = /^show vlan id (\d+)$/.exec(lc))) return this.page(this.dellVlanTable(Number(m[1])));
      if ((m = /^show mac-address-table(?: address (\S+))?$/.exec(lc))) return this.page(this.macTable(m[1]));
    } else if (this.d === 'os10') {
      if ((m = /^show running-configuration interface (.+)$/i.exec(line)))
        return this.showOs10Running(m[1]!, line);
      if (lc === 'show vlan') return this.page(this.dellVlanTable());
      if ((m = /^show mac address-table(?: address (\S+))?$/.exec(lc))) return this.page(this.macTable(m[1]));
    } else {
      if ((m = /^show interfaces? (\S+) switchport$/i.exec(line)))
        return this.showCiscoSwitchport(m[1]!, line);
      if (lc === 'show vlan brief' || lc === 'show vlan') return this.page(this.ciscoVlanTable());
      if ((m = /^show mac address-table(?: address (\S+))?$/.exec(lc))) return this.page(this.macTable(m[1]));
    }
    return this.invalid(line);
  }

  private showForce10Switchport(ifText: string, line: string): CliReply {
    const port = this.resolvePort(ifText);
    if (port === null) return this.invalid(line);
    const p = this.world.port(this.name, port);
    const head =
      'Codes:  U - Untagged, T - Tagged\n' +
      '        x - Dot1x untagged, X - Dot1x tagged\n' +
      '        G - GVRP tagged, M - Trunk\n' +
      '        i - Internal untagged, I - Internal tagged, v - VLT untagged, V - VLT tagged\n\n';
    if (!p.layer2) return { output: head };
    const tagged = [...p.tagged].sort((a, b) => a - b);
    const mode = tagged.length === 0 ? 'False' : p.untagged === 1 ? 'True' : 'Hybrid';
    let out = `${head}Name: TenGigabitEthernet ${port}\n802.1QTagged: ${mode}\nVlan membership:\nQ       Vlans\n`;
    out += `U       ${p.untagged}\n`;
    // OS9 wraps long lists; continuation lines hold only the list.
    const chunks = chunk(ranges(tagged).split(',').filter(Boolean), 6);
    chunks.forEach(
      (c, i) =>
        (out += `${i === 0 ? 'T       ' : '        '}${c.join(',')}${i < chunks.length - 1 ? ',' : ''}\n`),
    );
    out += `\nNative VlanId:     ${p.untagged}.\n`;
    return { output: out };
  }

  private showOs10Running(ifText: string, line: string): CliReply {
    const port = this.resolvePort(ifText);
    if (port === null) return this.invalid(line);
    const p = this.world.port(this.name, port);
    let out = `!\ninterface ethernet${port}\n no shutdown\n`;
    if (!p.layer2) return { output: `${out} no switchport\n` };
    const cfg = this.cfg(port);
    if (cfg.trunk) out += ' switchport mode trunk\n';
    if (cfg.access !== 1) out += ` switchport access vlan ${cfg.access}\n`;
    if (cfg.trunk && cfg.allowed && cfg.allowed.size > 0)
      out += ` switchport trunk allowed vlan ${ranges([...cfg.allowed])}\n`;
    out += ' flowcontrol receive on\n';
    return { output: out };
  }

  private showCiscoSwitchport(ifText: string, line: string): CliReply {
    const port = this.resolvePort(ifText);
    if (port === null) return this.invalid(line);
    const p = this.world.port(this.name, port);
    const nx = this.d === 'nxos';
    const name = nx ? `Ethernet${port}` : `Et${port}`;
    if (!p.layer2) return { output: `Name: ${name}\n${nx ? '  ' : ''}Switchport: Disabled\n` };
    const cfg = this.cfg(port);
    const vname = (v: number) => (v === 1 ? 'default' : `VLAN${String(v).padStart(4, '0')}`);
    const allowed =
      cfg.allowed === null
        ? nx
          ? '1-4094'
          : 'ALL'
        : cfg.allowed.size === 0
          ? 'NONE'
          : ranges([...cfg.allowed]);
    const i = nx ? '  ' : '';
    let out = `Name: ${name}\n${i}Switchport: Enabled\n`;
    if (nx)
      out += `  Switchport Monitor: Not enabled\n  Operational Mode: ${cfg.trunk ? 'trunk' : 'access'}\n`;
    else
      out += `Administrative Mode: ${cfg.trunk ? 'trunk' : 'static access'}\nOperational Mode: ${cfg.trunk ? 'trunk' : 'static access'}\nMAC Address Learning: enabled\n`;
    out += `${i}Access Mode VLAN: ${cfg.access} (${vname(cfg.access)})\n`;
    out += `${i}Trunking Native Mode VLAN: ${cfg.native} (${vname(cfg.native)})\n`;
    if (nx) {
      // NX-OS wraps the allowed list at ~60 characters.
      const items = allowed.split(',');
      const wrapped = chunk(items, 10).map((c) => c.join(','));
      out += `  Trunking VLANs Allowed: ${wrapped.join(',\n    ')}\n  FabricPath Topology List Allowed: 0\n`;
    } else {
      out += `Administrative Native VLAN tagging: disabled\nTrunking VLANs Enabled: ${allowed}\nStatic Trunk Groups:\n`;
    }
    return { output: out };
  }

  private vlanMembers(): Map<number, { untagged: string[]; tagged: string[] }> {
    const members = new Map<number, { untagged: string[]; tagged: string[] }>();
    for (const v of this.state.vlans.keys()) members.set(v, { untagged: [], tagged: [] });
    for (const port of this.state.sw.ports) {
      const p = this.world.port(this.name, port);
      if (!p.layer2) continue;
      if (!members.has(p.untagged)) members.set(p.untagged, { untagged: [], tagged: [] });
      members.get(p.untagged)!.untagged.push(port);
      for (const v of p.tagged) {
        if (!members.has(v)) members.set(v, { untagged: [], tagged: [] });
        members.get(v)!.tagged.push(port);
      }
    }
    return members;
  }

  private dellVlanTable(only?: number): string {
    const f10 = this.d === 'force10';
    let out = f10
      ? 'Codes: * - Default VLAN, G - GVRP VLANs, R - Remote Port Mirroring VLANs, P - Primary, C - Community, I - Isolated\n' +
        '       O - Openflow, Vx - Vxlan\nQ: U - Untagged, T - Tagged\n   x - Dot1x untagged, X - Dot1x tagged\n' +
        '   o - OpenFlow untagged, O - OpenFlow tagged\n   G - GVRP tagged, M - Vlan-stack\n' +
        '   i - Internal untagged, I - Internal tagged, v - VLT untagged, V - VLT tagged\n\n'
      : 'Codes: * - Default VLAN, M - Management VLAN, R - Remote Port Mirroring VLANs,\n' +
        '       @ - Attached to Virtual Network, P - Primary, C - Community, I - Isolated\n' +
        'Q: A - Access (Untagged), T - Tagged\n';
    out += '    NUM    Status    Description                     Q Ports\n';
    const members = this.vlanMembers();
    const type = f10 ? 'Te ' : 'Eth';
    for (const [vlan, m] of [...members].sort(([a], [b]) => a - b)) {
      if (only !== undefined && vlan !== only) continue;
      const groups: [string, string[]][] = [];
      if (m.untagged.length) groups.push([f10 ? 'U' : 'A', m.untagged]);
      if (m.tagged.length) groups.push(['T', m.tagged]);
      const lines: string[] = [];
      for (const [q, ports] of groups) {
        // OS9 writes `Te 1/1/2-4,8` and wraps every few items; OS10 writes `Eth1/1/3-1/1/48`.
        for (const c of chunk(portItems(ports), 4))
          lines.push(`${q} ${type}${f10 ? renderOs9(c) : renderOs10(c)}`);
      }
      const status = lines.length ? 'Active' : 'Inactive';
      const desc = this.state.vlans.get(vlan) ?? '';
      const head = `${vlan === 1 ? '*' : ' '}   ${String(vlan).padEnd(7)}${status.padEnd(10)}${(vlan === 1 ? '' : desc).slice(0, 31).padEnd(32)}`;
      out += `${(head + (lines[0] ?? '')).trimEnd()}\n`;
      for (const l of lines.slice(1)) out += `${' '.repeat(head.length)}${l}\n`;
    }
    return out;
  }

  private ciscoVlanTable(): string {
    const nx = this.d === 'nxos';
    const idW = nx ? 5 : 6;
    let out = nx ? '\n' : '';
    out += `${'VLAN'.padEnd(idW)}${'Name'.padEnd(33)}${'Status'.padEnd(10)}Ports\n`;
    out += `${'-'.repeat(idW - 1)} ${'-'.repeat(32)} ${'-'.repeat(9)} ${'-'.repeat(31)}\n`;
    const prefix = nx ? 'Eth' : 'Et';
    for (const [vlan, m] of [...this.vlanMembers()].sort(([a], [b]) => a - b)) {
      const ports = [...new Set([...m.untagged, ...m.tagged])].sort((a, b) =>
        a.localeCompare(b, 'en', { numeric: true }),
      );
      const given = this.state.vlans.get(vlan);
      const name = vlan === 1 ? 'default' : given ? given : `VLAN${String(vlan).padStart(4, '0')}`;
      const rows = chunk(
        ports.map((p) => `${prefix}${p}`),
        4,
      ).map((c) => c.join(', '));
      const head = `${String(vlan).padEnd(idW)}${name.slice(0, 32).padEnd(33)}${'active'.padEnd(10)}`;
      out += `${(head + (rows[0] ?? '')).trimEnd()}\n`;
      for (const r of rows.slice(1)) out += `${' '.repeat(head.length)}${r}\n`;
    }
    return out;
  }

  private macTable(filter?: string): string {
    const cabled = this.state.cabledNics();
    const nics = filter === undefined ? [...cabled.values()].flat() : (cabled.get(hexOf(filter)) ?? []);
    const rows: { vlan: number; mac: string; port: string }[] = [];
    for (const nic of nics) {
      const port = this.opts.faults?.cabledPort?.(this.name, nic.mac, nic.port) ?? nic.port;
      const p = this.world.port(this.name, port);
      rows.push({ vlan: p.untagged, mac: nic.mac.toLowerCase(), port });
    }
    const dotted = (mac: string) => {
      const x = hexOf(mac);
      return `${x.slice(0, 4)}.${x.slice(4, 8)}.${x.slice(8)}`;
    };
    if (this.d === 'force10') {
      let out = 'VlanId     Mac Address           Type          Interface        State\n';
      for (const r of rows)
        out += ` ${String(r.vlan).padEnd(10)}${r.mac.padEnd(22)}${'Dynamic'.padEnd(14)}${`Te ${r.port}`.padEnd(17)}Active\n`;
      return out;
    }
    if (this.d === 'os10') {
      let out = 'VlanId    MAC Address         Type          Interface\n';
      for (const r of rows)
        out += `${String(r.vlan).padEnd(10)}${r.mac.padEnd(20)}${'dynamic'.padEnd(14)}ethernet${r.port}\n`;
      return out;
    }
    if (this.d === 'nxos') {
      let out =
        'Legend: \n        * - primary entry, G - Gateway MAC, (R) - Routed MAC, O - Overlay MAC\n' +
        '        age - seconds since last seen,+ - primary entry using vPC Peer-Link,\n' +
        '        (T) - True, (F) - False, C - ControlPlane MAC, ~ - vsan\n' +
        '   VLAN     MAC Address      Type      age     Secure NTFY Ports\n' +
        '---------+-----------------+--------+---------+------+----+------------------\n';
      for (const r of rows)
        out += `*${String(r.vlan).padStart(5)}     ${dotted(r.mac)}   dynamic  0         F      F    Eth${r.port}\n`;
      return out;
    }
    let out =
      '          Mac Address Table\n------------------------------------------------------------------\n\n' +
      'Vlan    Mac Address       Type        Ports      Moves   Last Move\n' +
      '----    -----------       ----        -----      -----   ---------\n';
    for (const r of rows)
      out += `${String(r.vlan).padStart(4)}    ${dotted(r.mac)}    DYNAMIC     ${`Et${r.port}`.padEnd(11)}1       0:00:12 ago\n`;
    out += `Total Mac Addresses for this criterion: ${rows.length}\n`;
    return out;
  }

  // ---- helpers ---------------------------------------------------------------------------

  private get world(): LabWorld {
    return this.state.world;
  }
  private get name(): string {
    return this.state.sw.name;
  }

  private update(port: string, change: (p: PortState) => void): void {
    this.world.updatePort(this.name, port, change);
  }

  private page(output: string): CliReply {
    return { output, pageable: true };
  }

  private ok(fn: () => unknown): CliReply {
    fn();
    return { output: '' };
  }

  private error(msg: string): CliReply {
    if (this.d === 'nxos') return { output: `ERROR: ${msg}\n` };
    return { output: `% Error: ${msg}\n` };
  }

  private notL2(port: string): CliReply {
    if (this.d === 'eos') return { output: `% Interface Ethernet${port} is not a switchport\n` };
    if (this.d === 'nxos')
      return { output: `% Error: Ethernet${port} is not a switchport (Layer-3 interface)\n` };
    return this.error(`Port is not in Layer-2 mode ethernet${port}.`);
  }

  private invalid(line: string): CliReply {
    const marker = `${' '.repeat(this.prompt().length)}^\n`;
    if (this.d === 'force10' || this.d === 'os10')
      return { output: `${marker}% Error: Invalid input at "^" marker.\n` };
    if (this.d === 'nxos') return { output: `${marker}% Invalid command at '^' marker.\n` };
    return { output: `% Invalid input (at token 0: '${line.split(' ')[0]}')\n` };
  }

  private invalidValue(line: string): CliReply {
    return this.invalid(line);
  }

  private vlanId(s: string): number | null {
    if (!/^\d{1,4}$/.test(s)) return null;
    const v = Number(s);
    return v >= 1 && v <= 4094 ? v : null;
  }

  private vlanList(s: string): number[] | null {
    const out: number[] = [];
    for (const part of s.split(',')) {
      const m = /^(\d{1,4})(?:-(\d{1,4}))?$/.exec(part.trim());
      if (!m) return null;
      const a = Number(m[1]);
      const b = m[2] === undefined ? a : Number(m[2]);
      if (a < 1 || b > 4094 || b < a) return null;
      for (let v = a; v <= b; v++) out.push(v);
    }
    return out;
  }

  /** Interface text → the switch's port (rack form), or null when there is no such port. */
  private resolvePort(text: string): string | null {
    const m = /^([A-Za-z-]+)\s*(\d+(?:\/\d+)*(?::\d+)?)$/.exec(text.trim());
    if (!m) return null;
    const t = IFACE_TYPES[this.d];
    const type = m[1]!.toLowerCase();
    if (type.length < t.min || !t.long.startsWith(type)) return null;
    return this.state.sw.ports.includes(m[2]!) ? m[2]! : null;
  }
}

function derive(
  d: DialectName,
  cfg: PortCfg,
  vlans: Map<number, string>,
): { untagged: number; tagged: number[] } {
  if (d === 'os10') return { untagged: cfg.access, tagged: cfg.trunk && cfg.allowed ? [...cfg.allowed] : [] };
  if (!cfg.trunk) return { untagged: cfg.access, tagged: [] };
  const allowed = cfg.allowed ?? new Set(vlans.keys());
  // The world models one untagged VLAN per port; a trunk whose native VLAN is not allowed carries
  // nothing untagged, which the world records as VLAN 1 (never a tenant or the PXE VLAN).
  return {
    untagged: allowed.has(cfg.native) ? cfg.native : 1,
    tagged: [...allowed].filter((v) => v !== cfg.native),
  };
}

function sameState(a: { untagged: number; tagged: number[] }, p: PortState): boolean {
  return (
    a.untagged === p.untagged && a.tagged.length === p.tagged.size && a.tagged.every((v) => p.tagged.has(v))
  );
}

function hexOf(mac: string): string {
  return mac.toLowerCase().replace(/[^0-9a-f]/g, '');
}

function chunk<T>(items: T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

function ranges(nums: number[]): string {
  const s = [...new Set(nums)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < s.length;) {
    let j = i;
    while (j + 1 < s.length && s[j + 1] === s[j]! + 1) j++;
    parts.push(i === j ? `${s[i]}` : `${s[i]}-${s[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/** Port ranges with the full slot prefix on every item: `1/1/2-4`, `1/1/8`. */
function portItems(ports: string[]): { head: string; range: string }[] {
  const byHead = new Map<string, number[]>();
  for (const p of ports) {
    const i = p.lastIndexOf('/');
    const head = p.slice(0, i + 1);
    if (!byHead.has(head)) byHead.set(head, []);
    byHead.get(head)!.push(Number(p.slice(i + 1)));
  }
  const items: { head: string; range: string }[] = [];
  for (const [head, nums] of byHead) for (const range of ranges(nums).split(',')) items.push({ head, range });
  return items;
}

/** OS9 style `1/1/2-4,8`: only the first item of a run with the same slot carries the prefix. */
function renderOs9(items: { head: string; range: string }[]): string {
  let last: string | undefined;
  return items
    .map((it) => {
      const s = it.head === last ? it.range : `${it.head}${it.range}`;
      last = it.head;
      return s;
    })
    .join(',');
}

/** OS10 style `1/1/3-1/1/48,1/1/50`. */
function renderOs10(items: { head: string; range: string }[]): string {
  return items
    .map((it) => {
      const [a, b] = it.range.split('-');
      return b === undefined ? `${it.head}${a}` : `${it.head}${a}-${it.head}${b}`;
    })
    .join(',');
}
