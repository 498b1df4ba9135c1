import { watch, type FSWatcher } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { MAX_RACK_FILE_BYTES, parseRackFile } from '../config/rack/parse.ts';
import type { Topology } from '../config/rack/topology.ts';
import { describeError } from '../util/errors.ts';
import type { RunnerNotice } from '../protocol/messages.ts';

/**
 * The runner's rack file, followed: an edit is validated and, when valid, answers every question
 * of the topology from then on; an invalid edit is reported and the file the runner had stays.
 * The directory is watched, not the file: editors save by writing a new file and renaming it.
 */
export class RackReloader {
  /** The text of the rack file in use (what a client's fingerprint is compared with). */
  text: string | undefined;
  loadedAt = new Date();
  /** The text of an edit already refused, so one bad save is reported once. */
  private refused: string | undefined;
  private watcher: FSWatcher | undefined;
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
    },
  ) {}

  /** Reads the file the site was opened with (its text is the fingerprint's), then follows it. */
  async start(): Promise<void> {
    await this.check({ quiet: true });
    try {
      this.watcher = watch(dirname(this.path), (_event, name) => {
        if (name !== null && name !== basename(this.path)) return;
        clearTimeout(this.timer);
        this.timer = setTimeout(() => void this.check(), this.opts.debounceMs ?? 200);
        this.timer.unref();
      });
      this.watcher.on('error', (err) =>
        this.opts.log(`rack file: cannot follow ${this.path}: ${describeError(err)}`),
      );
      this.watcher.unref();
    } catch (err) {
      // The fingerprint still catches an edit: a client's hello makes the runner look again.
      this.opts.log(`rack file: cannot follow ${this.path}: ${describeError(err)}`);
    }
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
    this.watcher?.close();
  }

  private async load(quiet: boolean): Promise<void> {
    let text: string;
    try {
      if ((await stat(this.path)).size > MAX_RACK_FILE_BYTES)
        return this.refuse(`${this.path} is larger than ${MAX_RACK_FILE_BYTES} bytes`, undefined);
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      // A save by rename leaves no file for an instant: the watcher fires again when it is back.
      if (code === 'ENOENT') return;
      return this.refuse(`cannot read ${this.path}: ${code ?? describeError(err)}`, undefined);
    }
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

  private refuse(why: string, text: string | undefined): void {
    this.refused = text;
    this.opts.log(`rack file ${this.path} changed but is refused, the previous one stays in use: ${why}`);
    this.opts.onNotice(
      { at: Date.now(), level: 'warn', text: `rack file edit refused, previous kept: ${why}` },
      false,
    );
  }
}
