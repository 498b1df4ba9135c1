import type { BigIntStats } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { MAX_RACK_FILE_BYTES, parseRackFile } from '../config/rack/parse.ts';
import type { Topology } from '../config/rack/topology.ts';
import { describeError } from '../util/errors.ts';
import type { RunnerNotice } from '../protocol/messages.ts';

/**
 * How often the runner looks at its rack file. The file is polled (a stat), not watched: editors
 * save by writing a new file and renaming it, which a watch on the file misses, and a watch on its
 * directory woke the runner for every write beside it (the store's journal, the runner log, when
 * the rack file is kept with them: thousands a minute with tasks running).
 */
export const RACK_POLL_MS = 1000;

/**
 * The runner's rack file, followed: an edit is validated and, when valid, answers every question
 * of the topology from then on; an invalid edit is reported and the file the runner had stays.
 */
export class RackReloader {
  /** The text of the rack file in use (what a client's fingerprint is compared with). */
  text: string | undefined;
  loadedAt = new Date();
  /** The text of an edit already refused, so one bad save is reported once. */
  private refused: string | undefined;
  /** The file's stat as it was just before its last read: any change since means an edit. */
  private seen: string | undefined;
  private poller: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | null = null;

  constructor(
    readonly path: string,
    private readonly topology: Topology,
    private readonly opts: {
      log: (line: string) => void;
      /** A reload or a refused edit, for the dashboards' header. */
      onNotice: (notice: RunnerNotice, reloaded: boolean) => void;
      debounceMs?: number;
      pollMs?: number;
    },
  ) {}

  /**
   * Reads the file the site was opened with (its text is the fingerprint's), then follows it.
   * `opened`: the text the site's topology was made from, so the same text is not validated twice
   * (a quarter of a second at 10,000 hosts); a file edited since is reloaded as any edit is.
   */
  async start(opened?: string): Promise<void> {
    this.text = opened;
    await this.check({ quiet: true });
    // Unref'd: following the file never keeps the runner alive.
    this.poller = setInterval(() => void this.poll(), this.opts.pollMs ?? RACK_POLL_MS).unref();
  }

  /**
   * An edit, a save by rename, the file gone or back: any change of its stat since the last read
   * is read once the writes settle. The stat is taken before each read, so an edit made while the
   * runner reads is seen at the next look.
   */
  private async poll(): Promise<void> {
    if (this.checking || this.timer) return;
    const now = await stat(this.path, { bigint: true }).then(statKey, () => undefined);
    if (now === this.seen) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.check();
    }, this.opts.debounceMs ?? 200).unref();
  }

  /** Reads the file again now; concurrent callers share one read. */
  check(opts: { quiet?: boolean } = {}): Promise<void> {
    this.checking ??= this.load(opts.quiet ?? false).finally(() => (this.checking = null));
    return this.checking;
  }

  /** Whether the last edit was refused (the file on disk is not the one in use). */
  get refusedEdit(): boolean {
    return this.refused !== undefined;
  }

  close(): void {
    clearTimeout(this.timer);
    clearInterval(this.poller);
  }

  private async load(quiet: boolean): Promise<void> {
    const text = await this.read();
    if (text === undefined) return;
    if (text === this.text) {
      this.refused = undefined;
      return;
    }
    if (text === this.refused) return;
    const parsed = parseRackFile(text, { source: this.path });
    if (!parsed.ok) {
      const first = parsed.errors[0]!;
      const more = parsed.errors.length > 1 ? ` (and ${parsed.errors.length - 1} more)` : '';
      for (const e of parsed.errors.slice(0, 20)) this.opts.log(`rack file: ${e.path}: ${e.message}`);
      return this.refuse(`${first.path}: ${first.message}${more}`, text);
    }
    const first = this.text === undefined;
    this.topology.reload(parsed.rack);
    this.text = text;
    this.refused = undefined;
    this.loadedAt = new Date();
    if (first && quiet) return;
    const s = this.topology.summary();
    const what = `${s.racks} racks, ${s.switches} switches, ${s.nics} NICs`;
    this.opts.log(`rack file ${this.path} changed: validated and reloaded (${what})`);
    this.opts.onNotice(
      { at: this.loadedAt.getTime(), level: 'info', text: `rack file reloaded (${what})` },
      true,
    );
  }

  /** The file's text, or undefined when there is none to use (too large or unreadable: said so). */
  private async read(): Promise<string | undefined> {
    try {
      const st = await stat(this.path, { bigint: true }).catch((err: unknown) => {
        this.seen = undefined;
        throw err;
      });
      this.seen = statKey(st);
      if (st.size > MAX_RACK_FILE_BYTES) {
        this.refuse(`${this.path} is larger than ${MAX_RACK_FILE_BYTES} bytes`, undefined);
        return undefined;
      }
      return await readFile(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A save that deletes first leaves no file for an instant: the next look sees it back.
      if (code !== 'ENOENT')
        this.refuse(`cannot read ${this.path}: ${code ?? describeError(err)}`, undefined);
      return undefined;
    }
  }

  private refuse(why: string, text: string | undefined): void {
    this.refused = text;
    this.opts.log(`rack file ${this.path} changed but is refused, the previous one stays in use: ${why}`);
    this.opts.onNotice(
      { at: Date.now(), level: 'warn', text: `rack file edit refused, previous kept: ${why}` },
      false,
    );
  }
}

/** What tells one version of the file from another without reading it. */
function statKey(s: BigIntStats): string {
  return `${s.ino}:${s.size}:${s.mtimeNs}:${s.ctimeNs}`;
}
