import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { appendFile, chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  openStore,
  readStore,
  STORE_VERSION,
  type Host,
  type NewRecord,
  type Store,
  type Task,
} from '../../src/runner/store/store.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { clearSecretsForTest, redact } from '../../src/util/redact.ts';

let dir: string;
let file: string;
const open: Store[] = [];

async function openTracked(path = file, opts = {}): Promise<Store> {
  const s = await openStore(path, opts);
  open.push(s);
  return s;
}

function newHost(over: Partial<Host> = {}): NewRecord<Host> {
  return {
    hostname: 'r01-n001',
    mac: '00:18:8b:52:79:80',
    macs: ['00:18:8b:52:79:80', '00:18:8b:52:79:81'],
    ipmi: { address: '127.0.0.1', port: 623, username: 'admin', password: 'bmc-secret-pass' },
    cpuCores: 16,
    cpuMhz: 2400,
    memoryMb: 65536,
    rack: 'r01',
    ...over,
  };
}

async function refusal(p: Promise<unknown>): Promise<OperatorError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(OperatorError);
  return err as OperatorError;
}

async function until(cond: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-store-'));
  file = join(dir, 'sub', 'store.json');
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  await rm(dir, { recursive: true, force: true });
});

describe('openStore', () => {
  it('creates a version-1 file with mode 0600 and an empty inventory', async () => {
    const s = await openTracked();
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const doc = JSON.parse(await readFile(file, 'utf8'));
    expect((await stat(`${file}.journal`)).mode & 0o777).toBe(0o600);
    expect(doc).toEqual({
      version: STORE_VERSION,
      journalGen: expect.any(String),
      hosts: [],
      templates: [],
      offerings: [],
      networks: [],
      instances: [],
      tasks: [],
    });
    expect(s.notices).toEqual([]);
  });

  it('tightens a file readable by others and says so', async () => {
    await (await openTracked()).close();
    await chmod(file, 0o644);
    const notes: string[] = [];
    const s = await openTracked(file, { onNotice: (t: string) => notes.push(t) });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('0644');
    expect(notes[0]).toContain(file);
    expect(s.notices).toEqual(notes);
  });

  it('refuses a corrupt file, naming it and the problem, and leaves it byte for byte', async () => {
    await (await openTracked()).close();
    const garbage = '{"version":1,"hosts":[ {oops';
    await writeFile(file, garbage, { mode: 0o600 });
    const err = await refusal(openStore(file));
    expect(err.message).toContain(file);
    expect(err.message).toContain('not valid JSON');
    expect(err.hint).toBeTruthy();
    expect(await readFile(file, 'utf8')).toBe(garbage);
    // The lock was released: a fixed file opens.
    await writeFile(file, JSON.stringify({ version: 1 }), { mode: 0o600 });
    const err2 = await refusal(openStore(file));
    expect(err2.message).toMatch(/hosts/);
  });

  it('refuses a file that breaks the schema, naming the field', async () => {
    await (await openTracked()).close();
    const doc = JSON.parse(await readFile(file, 'utf8'));
    doc.networks.push({ id: 'net-1', name: 'prod', vlan: 5000 });
    const text = JSON.stringify(doc);
    await writeFile(file, text);
    const err = await refusal(openStore(file));
    expect(err.message).toContain('networks.0.vlan');
    expect(await readFile(file, 'utf8')).toBe(text);
  });

  it('refuses a file from a newer version and one with no migration path', async () => {
    await writeFile(join(dir, 'new.json'), JSON.stringify({ version: 7 }));
    expect((await refusal(openStore(join(dir, 'new.json')))).message).toContain('newer rackpilot');
    await writeFile(join(dir, 'old.json'), JSON.stringify({ hosts: [] }));
    const err = await refusal(openStore(join(dir, 'old.json'), { migrations: {} }));
    expect(err.message).toContain('no migration');
  });

  it('migrates a v0 file to v1 through the migration hook, keeping the original', async () => {
    // v0: no version field, a host with only its primary MAC, several collections missing.
    const v0 = {
      hosts: [
        {
          id: 'h-old',
          hostname: 'r01-n007',
          mac: '00:18:8b:52:79:90',
          ipmi: { address: '10.0.0.7', username: 'root', password: 'old-bmc-pass' },
          cpuCores: 8,
          cpuMhz: 2000,
          memoryMb: 32768,
          addedAt: '2017-05-09T00:00:00.000Z',
        },
      ],
      templates: [{ id: 'tpl-1', name: 'CentOS 7', image: 'centos7', createdAt: '2017-05-09T00:00:00.000Z' }],
    };
    const path = join(dir, 'v0.json');
    await writeFile(path, JSON.stringify(v0), { mode: 0o600 });
    const calls: number[] = [];
    const { migrations } = await import('../../src/protocol/records.ts');
    const notes: string[] = [];
    const s = await openTracked(path, {
      migrations: { 0: (old: Record<string, unknown>) => (calls.push(0), migrations[0]!(old)) },
      onNotice: (t: string) => notes.push(t),
    });
    expect(calls).toEqual([0]);
    expect(s.hosts.get('h-old')?.macs).toEqual(['00:18:8b:52:79:90']);
    expect(s.templates.list().map((t) => t.image)).toEqual(['centos7']);
    expect(s.tasks.list()).toEqual([]);
    const onDisk = JSON.parse(await readFile(path, 'utf8'));
    expect(onDisk.version).toBe(1);
    expect(onDisk.hosts[0].macs).toEqual(['00:18:8b:52:79:90']);
    expect(JSON.parse(await readFile(`${path}.v0.bak`, 'utf8'))).toEqual(v0);
    expect(notes.join('\n')).toContain('migrated from schema version 0 to 1');
  });
});

describe('collections', () => {
  it('inserts with generated id and time, validates, enforces unique fields, persists', async () => {
    const s = await openTracked();
    const h = await s.hosts.insert(newHost({ mac: '00:18:8B:52:79:80' }));
    expect(h.id).toMatch(/^h-[0-9a-f]{8}$/);
    expect(Date.parse(h.addedAt)).not.toBeNaN();
    expect(h.mac).toBe('00:18:8b:52:79:80');

    const bad = await refusal(
      s.hosts.insert(newHost({ hostname: 'bad name; reload', mac: '00:18:8b:52:79:99' })),
    );
    expect(bad.message).toContain('hostname');
    const dup = await refusal(s.hosts.insert(newHost({ mac: '00:18:8b:52:79:99' })));
    expect(dup.message).toContain(`hostname r01-n001 is already used by ${h.id}`);

    const net = await s.networks.insert({ name: 'prod', vlan: 100 });
    await refusal(s.networks.insert({ name: 'prod2', vlan: 100 }));
    await s.hosts.update(h.id, { maasSystemId: 'abc123' });
    await refusal(s.hosts.update(h.id, { cpuCores: -1 }));
    await s.close();

    const again = await openTracked();
    expect(again.hosts.get(h.id)?.maasSystemId).toBe('abc123');
    expect(again.hosts.get(h.id)?.cpuCores).toBe(16);
    expect(again.networks.list()).toEqual([net]);
    expect(await again.networks.remove(net.id)).toBe(true);
    expect(await again.networks.remove(net.id)).toBe(false);
    await again.close();
    expect((await openTracked()).networks.list()).toEqual([]);
  });

  it('returns copies, so callers cannot change the store behind its back', async () => {
    const s = await openTracked();
    const h = await s.hosts.insert(newHost());
    const copy = s.hosts.get(h.id)!;
    copy.cpuCores = 1;
    s.hosts.list()[0]!.hostname = 'changed';
    expect(s.hosts.get(h.id)?.cpuCores).toBe(16);
    expect(s.hosts.get(h.id)?.hostname).toBe('r01-n001');
  });

  it('registers IPMI passwords as secrets when loaded', async () => {
    const s = await openTracked();
    await s.hosts.insert(newHost());
    await s.close();
    clearSecretsForTest();
    expect(redact('pw=bmc-secret-pass')).toBe('pw=bmc-secret-pass');
    await openTracked();
    expect(redact('pw=bmc-secret-pass')).toBe('pw=***');
  });

  it('update(fn) changes several records atomically or not at all', async () => {
    const s = await openTracked();
    const net = await s.networks.insert({ name: 'prod', vlan: 100 });
    await expect(
      s.update((d) => {
        d.networks[0]!.vlan = 200;
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(s.networks.get(net.id)?.vlan).toBe(100);

    await refusal(
      s.update((d) => {
        d.networks[0]!.vlan = 200;
        d.networks.push({ id: 'net-x', name: 'prod', vlan: 300 });
      }),
    );
    expect(s.networks.list()).toHaveLength(1);

    const r = await s.update((d) => {
      d.networks[0]!.vlan = 200;
      d.offerings.push({ id: 'off-1', name: 'large', cpuCores: 16, cpuMhz: 2400, memoryMb: 65536 });
      return 'ok';
    });
    expect(r).toBe('ok');
    // On disk (store file plus journal, as a restart reads them), and as one journal record.
    const disk = await readStore(file);
    expect(disk.networks[0]!.vlan).toBe(200);
    expect(disk.offerings).toHaveLength(1);
    const journal = (await readFile(`${file}.journal`, 'utf8')).trim().split('\n');
    const last = JSON.parse(journal.at(-1)!);
    expect(last.rows.map((o: { collection: string }) => o.collection).sort()).toEqual([
      'networks',
      'offerings',
    ]);
  });

  it('finds records by id and by field through an index that follows every kind of change', async () => {
    const s = await openTracked();
    const a = await s.hosts.insert(newHost());
    expect(s.hosts.peekBy('hostname', 'r01-n001')?.id).toBe(a.id);
    // Appended after the index was built.
    const b = await s.hosts.insert(newHost({ hostname: 'r01-n002', mac: '00:18:8b:52:79:90', macs: [] }));
    expect(s.hosts.peekBy('hostname', 'r01-n002')?.id).toBe(b.id);
    expect(s.hosts.get(b.id)?.hostname).toBe('r01-n002');
    // Renamed through the collection.
    await s.hosts.update(a.id, { hostname: 'r01-n009' });
    expect(s.hosts.peekBy('hostname', 'r01-n001')).toBeUndefined();
    expect(s.hosts.peekBy('hostname', 'r01-n009')?.id).toBe(a.id);
    // A unique field's index refuses a value another record holds, and keeps its own.
    await expect(s.hosts.update(b.id, { hostname: 'r01-n009' })).rejects.toThrow(/already used by/);
    await s.hosts.update(a.id, { hostname: 'r01-n009', cpuCores: 32 });
    expect(s.hosts.peekBy('hostname', 'r01-n009')?.id).toBe(a.id);
    // A field whose values repeat: the first record with the value, as the change leaves them.
    expect(s.hosts.peekBy('memoryMb', 65536)?.id).toBe(a.id);
    await s.hosts.update(a.id, { memoryMb: 131072 });
    expect(s.hosts.peekBy('memoryMb', 65536)?.id).toBe(b.id);
    expect(s.hosts.peekBy('memoryMb', 131072)?.id).toBe(a.id);
    // Renamed and removed through a transaction (which replaces the arrays).
    await s.update((d) => {
      d.hosts = d.hosts.filter((h) => h.id !== b.id);
      d.hosts[0]!.hostname = 'r01-n010';
    });
    expect(s.hosts.peekBy('hostname', 'r01-n009')).toBeUndefined();
    expect(s.hosts.peekBy('hostname', 'r01-n010')?.id).toBe(a.id);
    expect(s.hosts.get(b.id)).toBeUndefined();
    await s.hosts.remove(a.id);
    expect(s.hosts.peekBy('id', a.id)).toBeUndefined();
    // Tasks: inserted, pruned.
    const now = new Date().toISOString();
    const task = (id: string): Task => ({
      id,
      kind: 'demo',
      target: { hostname: 'x' },
      params: null,
      state: 'done',
      steps: [],
      log: [],
      createdAt: now,
      updatedAt: now,
    });
    await s.tasks.insert(task('t-1'));
    expect(s.tasks.peek('t-1')?.id).toBe('t-1');
    await s.tasks.insert(task('t-2'));
    expect(s.tasks.peek('t-2')?.id).toBe('t-2');
    await s.tasks.removeWhere((t) => t.id === 't-1');
    expect(s.tasks.peek('t-1')).toBeUndefined();
    expect(s.tasks.peek('t-2')?.id).toBe('t-2');
  });
});

describe('writes', () => {
  function taskRecord(id: string) {
    const now = new Date().toISOString();
    return {
      id,
      kind: 'demo',
      target: { hostname: 'r01-n001' },
      params: {},
      state: 'pending' as const,
      steps: [{ title: 'one', state: 'pending' as const, attempts: 0 }],
      log: [],
      createdAt: now,
      updatedAt: now,
    };
  }

  /** The task's first step in memory, and the store file and journal as they are on disk. */
  function stepAndDisk(s: Store, id: string) {
    return () => ({
      step: s.tasks.get(id)!.steps[0]!,
      disk: readFileSync(file, 'utf8') + readFileSync(`${file}.journal`, 'utf8'),
    });
  }

  /**
   * A lazy change of the task's first step on the next check phase, where a write asked for now
   * drains: it lands after that write began, before it is on disk.
   */
  function changeDuringWrite(s: Store, id: string, attempts: number): void {
    setImmediate(
      () =>
        void s.tasks.mutate(
          id,
          (t) => {
            t.steps[0]!.attempts = attempts;
          },
          { durable: false },
        ),
    );
  }

  it('coalesces concurrent journal changes into fewer writes, every change on disk when awaited', async () => {
    const s = await openTracked();
    for (let i = 0; i < 5; i++) await s.tasks.insert(taskRecord(`t-${i}`));
    const before = s.stats().journalAppends;
    const n = 200;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        s.tasks.mutate(`t-${i % 5}`, (t) => {
          t.steps[0]!.attempts += 1;
        }),
      ),
    );
    const writes = s.stats().journalAppends - before;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(n / 10);
    const disk = await readStore(file);
    expect(disk.tasks.map((t) => t.steps[0]!.attempts)).toEqual([40, 40, 40, 40, 40]);
  });

  it('reads once memory and disk agree, a change made while a write was under way included', async () => {
    const s = await openTracked(file, { lazyWriteMs: 3_600_000 });
    await s.tasks.insert(taskRecord('t-read'));
    // The engine marks a step running and waits for its write; a client asks meanwhile.
    const running = s.tasks.mutate('t-read', (t) => {
      t.steps[0]!.state = 'running';
    });
    changeDuringWrite(s, 't-read', 7);
    const seen = await s.readWritten(stepAndDisk(s, 't-read'));
    await running;
    expect(seen.step).toMatchObject({ state: 'running', attempts: 7 });
    expect(seen.disk).toContain('"attempts":7');
  });

  it("reads one task once its own record is on disk, while other tasks' changes keep the writer busy", async () => {
    const s = await openTracked(file, { lazyWriteMs: 3_600_000 });
    await s.tasks.insert(taskRecord('t-mine'));
    await s.tasks.insert(taskRecord('t-busy'));
    // Another task changes on every turn of the event loop, so one changes during every write.
    let churning = true;
    let n = 0;
    const churn = () => {
      if (!churning) return;
      void s.tasks.mutate('t-busy', (t) => t.log.push({ at: 'now', level: 'info', text: `${n++}` }), {
        durable: false,
      });
      setImmediate(churn);
    };
    churn();
    let wholeAgreed = false;
    const whole = s.readWritten(() => (wholeAgreed = true));
    const running = s.tasks.mutate('t-mine', (t) => {
      t.steps[0]!.state = 'running';
    });
    const seen = await s.readWrittenTask('t-mine', stepAndDisk(s, 't-mine'));
    await running;
    expect(seen.step.state).toBe('running');
    expect(seen.disk).toContain('"state":"running"');
    // Three more writes while the churn goes on: the store as a whole never agrees with its disk.
    for (let i = 0; i < 3; i++) await s.flush();
    expect(wholeAgreed).toBe(false);
    churning = false;
    await whole;
    expect(wholeAgreed).toBe(true);
    // An unknown task is the read's to report, without waiting.
    await expect(s.readWrittenTask('t-none', () => s.tasks.get('t-none') ?? 'none')).resolves.toBe('none');
  });

  it('reads one task whose change is being written once that write is on disk, and one changed during it after the next', async () => {
    const s = await openTracked(file, { lazyWriteMs: 3_600_000 });
    await s.tasks.insert(taskRecord('t-read'));
    const read = stepAndDisk(s, 't-read');
    const order: string[] = [];
    const running = s.tasks.mutate('t-read', (t) => {
      t.steps[0]!.state = 'running';
    });
    void running.then(() => order.push('on disk'));
    // Asked on the next check phase: the write carrying the change began, and is not on disk yet.
    const inFlight = await new Promise<ReturnType<typeof read>>((resolve) =>
      setImmediate(
        () =>
          void s.readWrittenTask('t-read', read).then((r) => {
            order.push('answered');
            resolve(r);
          }),
      ),
    );
    expect(order).toEqual(['on disk', 'answered']);
    expect(inFlight.step.state).toBe('running');
    expect(inFlight.disk).toContain('"state":"running"');

    const retried = s.tasks.mutate('t-read', (t) => {
      t.steps[0]!.attempts = 2;
    });
    changeDuringWrite(s, 't-read', 7);
    const seen = await s.readWrittenTask('t-read', read);
    await retried;
    expect(seen.step).toMatchObject({ state: 'running', attempts: 7 });
    expect(seen.disk).toContain('"attempts":7');
  });

  it('writes lazy changes later without being asked', async () => {
    const s = await openTracked(file, { lazyWriteMs: 5 });
    await s.tasks.insert(taskRecord('t-lazy'));
    await s.tasks.mutate('t-lazy', (t) => t.log.push({ at: 'now', level: 'info', text: 'hello' }), {
      durable: false,
    });
    await until(async () => (await readStore(file)).tasks[0]!.log.length === 1, 'the lazy write');
    expect((await readStore(file)).tasks[0]!.log).toEqual([{ at: 'now', level: 'info', text: 'hello' }]);
  });

  it('settles a pending lazy change when the store closes, with the change on disk', async () => {
    const s = await openTracked(file, { lazyWriteMs: 3_600_000 });
    await s.tasks.insert(taskRecord('t-close'));
    const pending = s.tasks.mutate('t-close', (t) => t.log.push({ at: 'now', level: 'info', text: 'last' }), {
      durable: false,
    });
    await s.close();
    await pending;
    expect((await readStore(file)).tasks[0]!.log.map((l) => l.text)).toEqual(['last']);
  });

  it('journals record changes as small appends and replays them on open', async () => {
    const s = await openTracked();
    const sizeBefore = (await stat(file)).size;
    const a = await s.networks.insert({ name: 'a', vlan: 101 });
    const b = await s.networks.insert({ name: 'b', vlan: 102 });
    await s.networks.update(a.id, { vlan: 111 });
    await s.networks.remove(b.id);
    await s.update((d) => {
      d.offerings.push({ id: 'off-9', name: 'x', cpuCores: 1, cpuMhz: 1, memoryMb: 1 });
    });
    // The store file itself was not rewritten for any of them.
    expect((await stat(file)).size).toBe(sizeBefore);
    const disk = await readStore(file);
    expect(disk.networks).toEqual([expect.objectContaining({ id: a.id, vlan: 111 })]);
    expect(disk.offerings.map((o) => o.id)).toEqual(['off-9']);
    await s.close();
    const again = await openTracked();
    expect(again.networks.list().map((n) => [n.name, n.vlan])).toEqual([['a', 111]]);
  });

  it('refuses a transaction that touches tasks: they belong to the engine', async () => {
    const s = await openTracked();
    await expect(
      s.update((d) => {
        d.tasks.push({} as Task);
      }),
    ).rejects.toThrow(TypeError);
  });

  it('replaces a stale temp file (a write cut short by a crash) and leaves none behind', async () => {
    const first = await openTracked();
    await first.close();
    const temp = join(dir, 'sub', '.store.json.tmp');
    await writeFile(temp, 'half a write', { mode: 0o644 });
    const s = await openTracked();
    await s.networks.insert({ name: 'prod', vlan: 100 });
    expect((await readdir(join(dir, 'sub'))).sort()).toEqual([
      'store.json',
      'store.json.journal',
      'store.json.lock',
    ]);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
});

describe('task journal', () => {
  function taskRecord(id: string): Task {
    const now = new Date().toISOString();
    return {
      id,
      kind: 'demo',
      target: { hostname: 'r01-n001' },
      params: {},
      state: 'pending',
      steps: [{ title: 'one', state: 'pending', attempts: 0 }],
      log: [],
      createdAt: now,
      updatedAt: now,
    };
  }
  const rawTasks = async (): Promise<Task[]> => JSON.parse(await readFile(file, 'utf8')).tasks;

  it('appends task changes instead of rewriting the store file; opening replays them', async () => {
    const s = await openTracked();
    const fileWrites = s.stats().fileWrites;
    await s.tasks.insert(taskRecord('t-1'));
    await s.tasks.mutate('t-1', (t) => {
      t.state = 'running';
      t.steps[0]!.state = 'running';
      t.log.push({ at: 'a', level: 'info', text: 'first' });
    });
    await s.tasks.mutate('t-1', (t) => {
      t.steps[0]!.state = 'done';
      t.steps[0]!.output = { systemId: 'abc' };
      t.log.push({ at: 'b', level: 'info', text: 'second' });
    });
    expect(s.stats().fileWrites).toBe(fileWrites);
    expect(await rawTasks()).toEqual([]);
    // Closing does not fold the journal in: the files are as a crash would leave them.
    await s.close();
    const again = await openTracked();
    const t = again.tasks.get('t-1')!;
    expect(t.steps[0]).toMatchObject({ state: 'done', output: { systemId: 'abc' } });
    expect(t.log.map((l) => l.text)).toEqual(['first', 'second']);
    // Opening folded it into the store file.
    expect((await rawTasks())[0]?.log.map((l) => l.text)).toEqual(['first', 'second']);
  });

  it('writes a confirmed plan once, not with each step change, and replays it; a new plan is written', async () => {
    const s = await openTracked();
    await s.tasks.insert({ ...taskRecord('t-plan') });
    await s.tasks.mutate('t-plan', (t) => {
      t.steps[0]!.plan = ['MaaS POST machines/abc/?op=deploy distro_series=ubuntu/jammy'];
    });
    for (const state of ['running', 'done'] as const)
      await s.tasks.mutate('t-plan', (t) => {
        t.steps[0]!.state = state;
      });
    const journal = (await readFile(`${file}.journal`, 'utf8')).trim().split('\n');
    expect(journal.filter((l) => l.includes('op=deploy'))).toHaveLength(1);
    expect(journal.filter((l) => l.includes('"plansKept":true'))).toHaveLength(2);
    // A rollback's plan is new lines: written with the change that sets them.
    await s.tasks.mutate('t-plan', (t) => {
      t.steps[0]!.undoPlan = ['MaaS POST machines/abc/?op=release'];
    });
    await s.tasks.mutate('t-plan', (t) => {
      t.steps[0]!.state = 'undone';
    });
    await s.close();
    const again = await openTracked();
    expect(again.tasks.get('t-plan')!.steps[0]).toMatchObject({
      state: 'undone',
      plan: ['MaaS POST machines/abc/?op=deploy distro_series=ubuntu/jammy'],
      undoPlan: ['MaaS POST machines/abc/?op=release'],
    });
  });

  it("writes only a task's changed steps, and replays the others from its last record, across a compaction", async () => {
    let s = await openTracked(file, { journalLimitBytes: 1e9 });
    await s.tasks.insert({
      ...taskRecord('t-steps'),
      steps: ['allocate', 'deploy', 'power on'].map((title) => ({ title, state: 'pending', attempts: 0 })),
    });
    const run = async (i: number, output?: { systemId: string }) => {
      await s.tasks.mutate('t-steps', (t) => {
        t.steps[i]!.state = 'running';
        t.steps[i]!.attempts += 1;
      });
      await s.tasks.mutate('t-steps', (t) => {
        t.steps[i]!.state = 'done';
        if (output !== undefined) t.steps[i]!.output = output;
      });
    };
    const records = async () =>
      (await readFile(`${file}.journal`, 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { task?: { id: string; steps: unknown[] }; stepsKept?: boolean })
        .filter((r) => r.task?.id === 't-steps');
    const shape = (rs: { task?: { steps: unknown[] } }[]) =>
      rs.map((r) => r.task!.steps.map((x) => (x === null ? '-' : 'W')).join(''));
    await run(0, { systemId: 'abc' });
    await run(1);
    // Inserted whole, then each change carries only the step it changed.
    expect(shape(await records())).toEqual(['WWW', 'W--', 'W--', '-W-', '-W-']);
    expect((await records()).slice(1).every((r) => r.stepsKept === true)).toBe(true);
    await s.close();
    // Opening folds the journal into the store file; the next changes build on that file's record.
    s = await openTracked(file, { journalLimitBytes: 1e9 });
    await run(2);
    expect(shape(await records())).toEqual(['--W', '--W']);
    const expected = s.tasks.get('t-steps')!;
    await s.close();
    const again = await openTracked();
    expect(again.tasks.get('t-steps')).toEqual(expected);
    expect(expected.steps.map((x) => [x.state, x.attempts, x.output ?? null])).toEqual([
      ['done', 1, { systemId: 'abc' }],
      ['done', 1, null],
      ['done', 1, null],
    ]);
  });

  it('refuses a journal record that leaves steps out for a task no earlier record holds', async () => {
    const s = await openTracked();
    await s.tasks.insert(taskRecord('t-known'));
    await s.close();
    const orphan = { task: { ...taskRecord('t-orphan'), steps: [null] }, log: [], stepsKept: true };
    await appendFile(`${file}.journal`, `${JSON.stringify(orphan)}\n`);
    await expect(openTracked()).rejects.toThrow(/invalid record at line \d+; it was left untouched/);
  });

  it('carries log lines as deltas and keeps exactly the last 500 across replays', async () => {
    const s = await openTracked(file, { journalLimitBytes: 1e9 });
    await s.tasks.insert(taskRecord('t-log'));
    let n = 0;
    for (const batch of [3, 250, 1, 400, 7]) {
      await s.tasks.mutate('t-log', (t) => {
        for (let i = 0; i < batch; i++) t.log.push({ at: 'x', level: 'info', text: `line ${n++}` });
        if (t.log.length > 500) t.log.splice(0, t.log.length - 500);
      });
    }
    const inMemory = s.tasks.get('t-log')!.log;
    expect(inMemory).toHaveLength(500);
    await s.close();
    expect((await readStore(file)).tasks[0]!.log).toEqual(inMemory);
  });

  it('drops a record cut short by a crash mid-append, and says so', async () => {
    const s = await openTracked();
    await s.tasks.insert(taskRecord('t-1'));
    await s.tasks.mutate('t-1', (t) => void (t.state = 'running'));
    await s.close();
    await appendFile(`${file}.journal`, '{"task":{"id":"t-1","state":"do');
    const again = await openTracked();
    expect(again.tasks.get('t-1')?.state).toBe('running');
    expect(again.notices.join('\n')).toContain('cut short by a crash');
  });

  it('refuses a journal damaged before its last line, and leaves both files alone', async () => {
    const s = await openTracked();
    await s.tasks.insert(taskRecord('t-1'));
    await s.tasks.mutate('t-1', (t) => void (t.state = 'running'));
    await s.close();
    const lines = (await readFile(`${file}.journal`, 'utf8')).split('\n');
    lines.splice(1, 0, 'garbage');
    const damaged = lines.join('\n');
    await writeFile(`${file}.journal`, damaged);
    const main = await readFile(file, 'utf8');
    const err = await refusal(openStore(file));
    expect(err.message).toContain(`${file}.journal is damaged at line 2`);
    expect(await readFile(`${file}.journal`, 'utf8')).toBe(damaged);
    expect(await readFile(file, 'utf8')).toBe(main);
  });

  it('ignores a journal of another generation (already folded in before a crash)', async () => {
    const s = await openTracked();
    await s.tasks.insert(taskRecord('t-1'));
    await s.close();
    await openTracked().then((x) => x.close());
    const stale = { task: { ...taskRecord('t-1'), log: undefined, state: 'failed' }, log: [] };
    await writeFile(
      `${file}.journal`,
      `${JSON.stringify({ journal: 'old-gen' })}\n${JSON.stringify(stale)}\n`,
    );
    expect((await openTracked()).tasks.get('t-1')?.state).toBe('pending');
  });

  it('folds the journal into the store file once it passes its size limit', async () => {
    const s = await openTracked(file, { journalLimitBytes: 2_000 });
    await s.tasks.insert(taskRecord('t-1'));
    const before = s.stats().fileWrites;
    for (let i = 0; i < 40; i++) await s.tasks.mutate('t-1', (t) => void (t.steps[0]!.attempts = i));
    expect(s.stats().fileWrites).toBeGreaterThan(before);
    expect((await stat(`${file}.journal`)).size).toBeLessThan(4_000);
    await s.close();
    expect((await readStore(file)).tasks[0]!.steps[0]!.attempts).toBe(39);
  });
});

describe('lock', () => {
  it('refuses a second writer, allows a read-only reader', async () => {
    const s = await openTracked();
    await s.networks.insert({ name: 'prod', vlan: 100 });
    const err = await refusal(openStore(file));
    expect(err.message).toContain(`in use by process ${process.pid}`);
    const ro = await openTracked(file, { readOnly: true });
    expect(ro.networks.list()).toHaveLength(1);
    await refusal(ro.networks.insert({ name: 'dev', vlan: 101 }));
  });

  it('takes over a lock left by a process that is gone, and says so', async () => {
    await (await openTracked()).close();
    // The pid of a process that has already exited, as after a SIGKILL.
    const gone = spawnSync(process.execPath, ['-e', '0']).pid;
    await writeFile(`${file}.lock`, `${gone}\n`);
    const s = await openTracked();
    expect(s.notices.join('\n')).toContain(`stale lock ${file}.lock left by process ${gone}`);
  });
});
