import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { expect } from 'vitest';
import type { Task } from '../../src/protocol/records.ts';
import { NODE_STATUS, NODE_STATUS_NAME } from '../../src/gear/maas/node-status.ts';
import { awaitChildExit, killRunner, reportOnSignal } from '../runner/helpers.ts';
import { testRunMark } from '../runner/cli-process.ts';
import {
  REPO,
  expectRunning,
  openOperator,
  peerState,
  seedCatalog,
  type Operator,
  type TestLab,
} from './helpers.ts';

/**
 * What the fault campaign through the runner shares: a child `rackpilot` against the test's lab
 * (its runner started by that child, as an operator's would be), a SIGKILL of that runner when a
 * step starts, the journal check after the kill, and the tally `npm run campaign` prints.
 */

/** The env of a child `rackpilot` using the test lab with its own store. */
export function childEnv(tl: TestLab, storePath: string, extra: Record<string, string> = {}) {
  return {
    ...testRunMark(),
    PATH: process.env['PATH'] ?? '',
    HOME: tl.dir,
    RACKPILOT_ENV_FILE: tl.envFile,
    RACKPILOT_STORE: storePath,
    // Killed runners would each leave a sweep session open on every lab BMC.
    RACKPILOT_POWER_SWEEP_MS: '0',
    RACKPILOT_POLL_MS: '100',
    ...extra,
  };
}

/** A store of its own for one case (under the lab's directory), opened with the catalog seeded. */
export async function caseStore(tl: TestLab, label: string): Promise<{ op: Operator; storePath: string }> {
  const dir = join(tl.dir, label);
  mkdirSync(dir, { recursive: true });
  const storePath = join(dir, 'store.json');
  const op = await openOperator(tl, { storePath });
  try {
    await seedCatalog(op);
  } catch (err) {
    await op.close();
    throw err;
  }
  return { op, storePath };
}

/** The `[N] ` lines a following command prints: whether step `step` (or a later one) started. */
export function stepStarted(text: string, step: number): boolean {
  return [...text.matchAll(/^\[(\d+)\] /gm)].some((m) => Number(m[1]) >= step);
}

/**
 * Runs the CLI until it prints `[step] …` (or a later step: one found already in place prints no
 * line), then SIGKILLs the runner executing the task, and waits for the CLI to give up.
 */
export async function runAndKill(
  tl: TestLab,
  args: string[],
  storePath: string,
  step: number,
  extra: Record<string, string> = {},
): Promise<string> {
  const reportDir = join(dirname(storePath), `report-${step}-${Date.now()}`);
  mkdirSync(reportDir, { recursive: true });
  const child = spawn(join(REPO, 'node_modules/.bin/tsx'), ['src/cli/index.tsx', ...args], {
    cwd: REPO,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...childEnv(tl, storePath, extra), NODE_OPTIONS: reportOnSignal(reportDir) },
  });
  let out = '';
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const deadline = setTimeout(() => reject(new Error(`step ${step} never started:\n${out}`)), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (stepStarted(out, step)) {
        clearTimeout(deadline);
        if (killRunner(storePath) === null) reject(new Error(`no runner to kill at step ${step}:\n${out}`));
        else resolve();
      }
    };
    child.stderr.on('data', onData);
    child.stdout.on('data', onData);
    child.on('exit', () => {
      clearTimeout(deadline);
      if (!stepStarted(out, step)) reject(new Error(`child exited before step ${step}:\n${out}`));
    });
  });
  await awaitChildExit(child, exited, `rackpilot ${args.join(' ')} (step ${step})`, {
    output: () => out,
    reportDir,
  });
  return out;
}

/**
 * The journal a kill at the start of step `step` leaves: earlier steps done, at most one running
 * (step N or later), nothing after it. Returns false when the kill landed after the task finished.
 */
export function expectExactJournal(task: Task, step: number, count: number): boolean {
  expect(task.steps).toHaveLength(count);
  if (task.state === 'done') return false;
  expect(task.state).toBe('interrupted');
  const settled = (s: Task['steps'][number]) => s.state === 'done' || s.state === 'skipped';
  expect(task.steps.slice(0, step - 1).every(settled)).toBe(true);
  const running = task.steps.findIndex((s) => s.state === 'running');
  if (running < 0) {
    // The kill landed while a later step's verify() read the gear, before it was journaled running.
    const firstPending = task.steps.findIndex((s) => s.state === 'pending');
    expect(firstPending, 'the kill landed after step N began').toBeGreaterThanOrEqual(step);
    expect(task.steps.slice(0, firstPending).every(settled)).toBe(true);
    expect(task.steps.slice(firstPending).every((s) => s.state === 'pending')).toBe(true);
    return true;
  }
  expect(running, 'the running step is step N or later').toBeGreaterThanOrEqual(step - 1);
  expect(task.steps.filter((s) => s.state === 'running')).toHaveLength(1);
  expect(task.steps.slice(running + 1).every((s) => s.state === 'pending')).toBe(true);
  return true;
}

/** One fault the campaign injected and how it ended (a line of faults.jsonl for the report). */
export interface FaultRow {
  /** Family: 'kill' (runner SIGKILLed at a step boundary) or 'lab' (a peer misbehaving). */
  family: 'kill' | 'lab';
  fault: string;
  workflow: string;
  /** How the task ended: done (resumed or absorbed), rolled-back, failed (left so), refused (no task started), or done before the kill. */
  outcome: 'done' | 'rolled-back' | 'failed' | 'refused' | 'done-before-kill';
  /** Peers disagreeing with what the journal and store say (must be empty). */
  mismatches: string[];
  /** The message the operator saw, when the task failed. */
  message?: string;
}

export function recordFault(row: FaultRow): void {
  const dir = process.env['RACKPILOT_CAMPAIGN_OUT'];
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  appendFileSync(join(dir, 'faults.jsonl'), JSON.stringify(row) + '\n');
}

/** Runs peer checks (expect… helpers); returns what did not hold instead of throwing. */
export async function mismatchesOf(check: () => Promise<unknown>): Promise<string[]> {
  try {
    await check();
    return [];
  } catch (err) {
    return [(err as Error).message.split('\n')[0]!];
  }
}

export const steps = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** A stopped instance: still Deployed, on its VLANs, powered off, recorded stopped. */
export async function expectStopped(op: Operator, name = 'vm1') {
  const inst = op.wb.store.instances.find((i) => i.name === name)!;
  expect(inst.state).toBe('stopped');
  const host = op.wb.store.hosts.get(inst.hostId)!;
  const s = await peerState(op, host);
  expect(s.statusName, host.hostname).toBe(NODE_STATUS_NAME[NODE_STATUS.DEPLOYED]);
  const [access, ...tagged] = inst.networkIds.map((id) => op.wb.store.networks.get(id)!.vlan);
  for (const p of s.ports)
    expect({ untagged: p.untagged, tagged: p.tagged }, `${p.switch} ${p.port}`).toEqual({
      untagged: access,
      tagged: [...tagged].sort(),
    });
  expect(s.power, `${host.hostname} power`).toBe('off');
}

export async function expectRunningWith(op: Operator, networks: number, name = 'vm1') {
  const inst = op.wb.store.instances.find((i) => i.name === name)!;
  expect(inst.networkIds, 'networks of the instance').toHaveLength(networks);
  await expectRunning(op, inst.id);
}
