import { mkdtempSync, readFileSync, renameSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseRackFile } from '../../src/config/rack/parse.ts';
import { Topology } from '../../src/config/rack/topology.ts';
import type { RunnerNotice } from '../../src/protocol/messages.ts';
import { RackReloader } from '../../src/runner/rack-reload.ts';
import { clearSecretsForTest } from '../../src/util/redact.ts';
import { until } from '../ipmi/helpers.ts';

const fixture = readFileSync(new URL('../fixtures/rack/extended.json', import.meta.url), 'utf8');

/** The fixture with its second rack's last host taken out: one NIC fewer. */
function edited(): string {
  const rack = JSON.parse(fixture) as { racks: { hosts: unknown[] }[] };
  rack.racks[1]!.hosts.pop();
  return JSON.stringify(rack, null, 2);
}

let dir: string;
let path: string;
let reloader: RackReloader;
let topology: Topology;
const notices: RunnerNotice[] = [];

beforeEach(async () => {
  clearSecretsForTest();
  dir = mkdtempSync(join(tmpdir(), 'rp-rack-reload-'));
  path = join(dir, 'rack.json');
  writeFileSync(path, fixture);
  const parsed = parseRackFile(fixture);
  if (!parsed.ok) throw new Error('the fixture is a valid rack file');
  topology = new Topology(parsed.rack);
  notices.length = 0;
  reloader = new RackReloader(path, topology, {
    log: () => undefined,
    onNotice: (n) => notices.push(n),
    pollMs: 20,
    debounceMs: 10,
  });
  await reloader.start();
});

afterEach(() => {
  reloader.close();
  rmSync(dir, { recursive: true, force: true });
});

const nics = () => topology.summary().nics;

describe('the rack file, followed', () => {
  it('reloads an edit written in place', async () => {
    const before = nics();
    writeFileSync(path, edited());
    await until(() => nics() === before - 1, 'the reload');
    expect(reloader.text).toBe(edited());
    expect(notices.at(-1)).toMatchObject({
      level: 'info',
      text: expect.stringMatching(/^rack file reloaded/),
    });
  });

  it("reloads a save by rename, as editors do, and follows the new file's next edit", async () => {
    const before = nics();
    writeFileSync(join(dir, '.rack.json.swp'), edited());
    renameSync(join(dir, '.rack.json.swp'), path);
    await until(() => nics() === before - 1, 'the reload of the renamed file');
    writeFileSync(path, fixture);
    await until(() => nics() === before, 'the next edit');
  });

  it('waits out a file deleted and written again', async () => {
    const before = nics();
    unlinkSync(path);
    writeFileSync(path, edited());
    await until(() => nics() === before - 1, 'the reload');
    expect(notices.filter((n) => n.level === 'warn')).toEqual([]);
  });

  it('keeps the previous file on an invalid edit, says so once, and takes the fix', async () => {
    const before = nics();
    writeFileSync(path, fixture.replace('"52:54:00:00:02:01"', '"not-a-mac"'));
    await until(() => reloader.refusedEdit, 'the refusal');
    expect(nics()).toBe(before);
    expect(notices.filter((n) => n.level === 'warn')).toHaveLength(1);
    writeFileSync(path, edited());
    await until(() => nics() === before - 1, 'the fix');
    expect(reloader.refusedEdit).toBe(false);
  });
});

describe('the rack file the site was opened with', () => {
  /** A reloader started from the text the topology was made of, counting the reloads it makes. */
  async function startFrom(opened: string): Promise<{ reloads: () => number; r: RackReloader }> {
    let reloads = 0;
    const counted = Object.create(topology) as Topology;
    counted.reload = (rack) => {
      reloads++;
      topology.reload(rack);
    };
    const r = new RackReloader(path, counted, { log: () => undefined, onNotice: (n) => notices.push(n) });
    await r.start(opened);
    r.close();
    return { reloads: () => reloads, r };
  }

  it('is not validated again when the file still holds that text', async () => {
    notices.length = 0;
    const { reloads, r } = await startFrom(fixture);
    expect(reloads()).toBe(0);
    expect(r.text).toBe(fixture);
    expect(notices).toEqual([]);
  });

  it('is reloaded, and said so, when the file was edited since', async () => {
    notices.length = 0;
    const before = nics();
    writeFileSync(path, edited());
    const { reloads, r } = await startFrom(fixture);
    expect(reloads()).toBe(1);
    expect(nics()).toBe(before - 1);
    expect(r.text).toBe(edited());
    expect(notices.at(-1)?.text).toMatch(/^rack file reloaded/);
  });
});
