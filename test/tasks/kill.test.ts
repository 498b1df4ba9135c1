import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Task } from '../../src/protocol/records.ts';
import { openStore, readStore, type Store } from '../../src/runner/store/store.ts';
import { TaskEngine } from '../../src/runner/tasks/engine.ts';
import { until } from './helpers.ts';
import { KILL_STEPS, defineKillDemo, effects } from './fixtures/kill-steps.ts';

/**
 * A real crash: a child process runs a task and is SIGKILLed inside step 3. The parent then opens the
 * same store, recovers and resumes (or rolls back), and checks that the journal on disk was exact and
 * that no effect happened twice.
 */
const repo = new URL('../..', import.meta.url).pathname;
const HANG_AT = 3;

let dir: string;
let storePath: string;
let effectsFile: string;
let store: Store | null = null;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rp-kill-'));
  storePath = join(dir, 'store.json');
  effectsFile = join(dir, 'effects.log');
});
afterEach(async () => {
  await store?.close();
  store = null;
  await rm(dir, { recursive: true, force: true });
});

/** Runs the child until it prints `marker`, then SIGKILLs it (the real node process, not tsx). */
async function runAndKill(args: string[], marker: string): Promise<number> {
  const child = spawn(
    join(repo, 'node_modules/.bin/tsx'),
    ['test/tasks/fixtures/kill-child.ts', storePath, effectsFile, ...args],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code)),
  );
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(
      () => reject(new Error(`child never printed ${marker}: ${out} ${err}`)),
      25_000,
    );
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes(`${marker}\n`) && /PID \d+/.test(out)) {
        clearTimeout(deadline);
        resolve();
      }
    });
    child.on('exit', () => reject(new Error(`child exited early: ${out} ${err}`)));
  });
  const pid = Number(/PID (\d+)/.exec(out)?.[1]);
  expect(pid).toBeGreaterThan(0);
  process.kill(pid, 'SIGKILL');
  await exited;
  // The killed process must really be gone before the parent takes its store over.
  await until(() => !alive(pid), `process ${pid} to exit`);
  return pid;
}

const killInStep = (n: number, order: 'effect-first' | 'signal-first') =>
  runAndKill(['run', String(n), order], `STARTED ${n}`);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The task as a restart sees it: store file plus journal. */
async function journal(): Promise<Task> {
  const doc = await readStore(storePath);
  expect(doc.tasks).toHaveLength(1);
  return doc.tasks[0]!;
}

function count(line: string): number {
  return effects(effectsFile).filter((l) => l === line).length;
}

async function reopen(): Promise<TaskEngine> {
  store = await openStore(storePath);
  const engine = new TaskEngine({ store, concurrency: 2 });
  defineKillDemo(engine, effectsFile);
  return engine;
}

describe('SIGKILL inside a step', () => {
  it.each([0, 3, KILL_STEPS - 1])(
    'killed in step %i: an exact journal, and resume repeats no effect that is in place',
    async (at) => {
      const pid = await killInStep(at, 'effect-first');
      const before = await journal();
      expect(before.state).toBe('running');
      expect(before.steps.map((s) => s.state)).toEqual(
        Array.from({ length: KILL_STEPS }, (_, n) => (n < at ? 'done' : n === at ? 'running' : 'pending')),
      );
      expect(before.steps.map((s) => s.output ?? null)).toEqual(
        Array.from({ length: KILL_STEPS }, (_, n) => (n < at ? { n } : null)),
      );
      expect(readFileSync(`${storePath}.lock`, 'utf8').trim()).toBe(String(pid));

      const engine = await reopen();
      expect(store!.notices.join('\n')).toContain(`left by process ${pid}`);
      expect(await engine.recover()).toEqual([before.id]);
      await engine.resume(before.id);
      const after = await engine.wait(before.id);
      expect(after.error).toBeUndefined();
      expect(after.state).toBe('done');
      expect(after.steps[at]).toMatchObject({ state: 'done', note: 'already in place', attempts: 1 });
      expect(effects(effectsFile)).toEqual(Array.from({ length: KILL_STEPS }, (_, n) => `run step ${n}`));
    },
  );

  it('re-runs the killed step when its effect had not happened', async () => {
    await killInStep(HANG_AT, 'signal-first');
    const before = await journal();
    expect(before.steps[HANG_AT]!.state).toBe('running');
    expect(count(`run step ${HANG_AT}`)).toBe(0);

    const engine = await reopen();
    await engine.recover();
    await engine.resume(before.id);
    const after = await engine.wait(before.id);
    expect(after.state).toBe('done');
    expect(after.steps[HANG_AT]!.attempts).toBe(2);
    for (let n = 0; n < KILL_STEPS; n++) expect(count(`run step ${n}`)).toBe(1);
  });

  it('rolls back the killed task: undo of every started step, last first', async () => {
    await killInStep(HANG_AT, 'effect-first');
    const engine = await reopen();
    const [id] = await engine.recover();
    await engine.rollback(id!);
    const after = await engine.wait(id!);
    expect(after.state).toBe('rolled-back');
    expect(effects(effectsFile)).toEqual([
      'run step 0',
      'run step 1',
      'run step 2',
      'run step 3',
      'undo step 3',
      'undo step 2',
      'undo step 1',
      'undo step 0',
    ]);
    expect(after.steps.map((s) => s.state)).toEqual([
      'undone',
      'undone',
      'undone',
      'undone',
      'pending',
      'pending',
    ]);
    await store!.close();
    store = null;
    expect(existsSync(`${storePath}.lock`)).toBe(false);
    expect((await journal()).state).toBe('rolled-back');
  });

  it('a rollback killed inside an undo continues where it stopped, repeating no finished undo', async () => {
    await killInStep(HANG_AT, 'effect-first');
    // Second process: recovers, starts the rollback, and is killed inside the undo of step 1.
    await runAndKill(['rollback', '1'], 'UNDOING 1');
    const mid = await journal();
    expect(mid.state).toBe('rolling-back');
    expect(mid.steps.map((s) => s.state)).toEqual(['done', 'done', 'undone', 'undone', 'pending', 'pending']);
    expect(mid.steps[1]!.undoStartedAt).toBeDefined();

    const engine = await reopen();
    const [id] = await engine.recover();
    expect((await journal()).error).toContain('during step 2 (step 1)');
    await engine.rollback(id!);
    expect((await engine.wait(id!)).state).toBe('rolled-back');
    // The undo cut off by the kill runs again (undo must be idempotent); finished ones do not.
    expect(effects(effectsFile)).toEqual([
      'run step 0',
      'run step 1',
      'run step 2',
      'run step 3',
      'undo step 3',
      'undo step 2',
      'undo step 1',
      'undo step 1',
      'undo step 0',
    ]);
  });
});
