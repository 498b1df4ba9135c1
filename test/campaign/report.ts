/**
 * `npm run campaign`: runs the campaign suites (bad inputs, faults through the runner, secrets
 * audit) and prints the three tables of issue 13 — bad inputs by category, faults injected and how
 * each task ended, secrets. Exit 1 when a suite failed or a table shows what must be 0.
 *
 * The fault tests append one JSON line per injected fault to $RACKPILOT_CAMPAIGN_OUT/faults.jsonl
 * (test/e2e/runner-cases.ts, recordFault); kill.test.ts is read from its test results (each test is
 * one kill: resume → done, rollback → rolled back). The secrets audit is read from
 * $RACKPILOT_CAMPAIGN_OUT/secrets.json when it writes one ({ sinks, secrets, found }), else from its
 * test results.
 *
 *   npm run campaign                  # everything (about 3 minutes on 2 cores)
 *   npm run campaign -- --no-etcd     # without the etcd suites
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { basename, join, relative } from 'node:path';
import type { FaultRow } from '../e2e/runner-cases.ts';

const REPO = new URL('../..', import.meta.url).pathname;
const args = process.argv.slice(2);
const withEtcd = !args.includes('--no-etcd');

const campaignDir = join(REPO, 'test/campaign');
const BAD_INPUT_FILES = readdirSync(campaignDir)
  .filter((f) => f.endsWith('.test.ts') && f !== 'secrets-audit.test.ts')
  .sort()
  .map((f) => `test/campaign/${f}`);
const SECRETS_FILE = 'test/campaign/secrets-audit.test.ts';
const KILL_FILE = 'test/e2e/kill.test.ts';
const OWN_FAULT_FILES = ['test/e2e/kill-lifecycle.test.ts', 'test/e2e/faults-runner.test.ts'];
/** Fault suites counted by their tests only (they do not write fault lines). */
const OTHER_FAULT_FILES = [
  'test/e2e/faults.test.ts',
  ...(withEtcd ? ['test/etcd/outage.test.ts', 'test/etcd/takeover.test.ts'] : []),
];
const files = [
  ...BAD_INPUT_FILES,
  ...(existsSync(join(REPO, SECRETS_FILE)) ? [SECRETS_FILE] : []),
  KILL_FILE,
  ...OWN_FAULT_FILES,
  ...OTHER_FAULT_FILES,
].filter((f) => existsSync(join(REPO, f)));

const CATEGORY: Record<string, string> = {
  'settings.test.ts': 'settings (env, .env)',
  'rack.test.ts': 'rack files',
  'cli-args.test.ts': 'CLI arguments',
  'cli-processes.test.ts': 'CLI processes through the runner',
  'runner-requests.test.ts': 'runner requests',
  'maas.test.ts': 'MaaS responses',
  'switch.test.ts': 'switch output',
  'switch-stall.test.ts': 'switch stops answering mid-batch',
  'ipmi.test.ts': 'IPMI packets and peers',
  'ipmi-session.test.ts': 'IPMI sessions',
  'properties.test.ts': 'property-based (fast-check)',
};

interface AssertionResult {
  title: string;
  fullName: string;
  ancestorTitles: string[];
  status: 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
  failureMessages: string[];
}
interface FileResult {
  name: string;
  status: string;
  message?: string;
  assertionResults: AssertionResult[];
}

const out = mkdtempSync(join(tmpdir(), 'rp-campaign-'));
const jsonPath = join(out, 'results.json');
const started = Date.now();
console.error(`running ${files.length} files: ${files.join(' ')}`);
const run = spawnSync(
  join(REPO, 'node_modules/.bin/vitest'),
  [
    'run',
    '--config',
    'test/vitest.config.ts',
    '--reporter=dot',
    '--reporter=json',
    `--outputFile.json=${jsonPath}`,
    ...files,
  ],
  {
    cwd: REPO,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, RACKPILOT_CAMPAIGN_OUT: out },
  },
);
const wallS = (Date.now() - started) / 1000;
if (!existsSync(jsonPath)) {
  console.error(`vitest wrote no results (exit ${run.status}): nothing to report`);
  process.exit(1);
}
const results = (JSON.parse(readFileSync(jsonPath, 'utf8')) as { testResults: FileResult[] }).testResults;
const byFile = new Map(results.map((r) => [relative(REPO, r.name), r]));
const faultRows: FaultRow[] = existsSync(join(out, 'faults.jsonl'))
  ? readFileSync(join(out, 'faults.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as FaultRow)
  : [];
const secretsJson = join(out, 'secrets.json');
const secretsReport = existsSync(secretsJson)
  ? (JSON.parse(readFileSync(secretsJson, 'utf8')) as { sinks?: number; secrets?: number; found?: number })
  : undefined;
rmSync(out, { recursive: true, force: true });

let bad = 0;

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [line(cells[0]!), line(head.map(() => '---')), ...cells.slice(1).map(line)].join('\n');
}
const tests = (f: string) => byFile.get(f)?.assertionResults ?? [];
const count = (rs: AssertionResult[], s: AssertionResult['status']) =>
  rs.filter((r) => r.status === s).length;

// ---- (a) bad inputs by category ----
/** What a failed case broke, from its failure message (a case asserts all four properties). */
function broke(r: AssertionResult): Set<'clear' | 'stack' | 'hang' | 'half'> {
  const m = r.failureMessages.join('\n');
  if (/a hang|timed out/i.test(m)) return new Set(['hang']);
  if (/\\n\\s\+at /.test(m)) return new Set(['stack']);
  if (/half|left|applied|store/i.test(m)) return new Set(['half']);
  return new Set(['clear']);
}
const aRows: (string | number)[][] = [];
const aTotal = { cases: 0, clear: 0, stack: 0, hang: 0, half: 0, failed: 0 };
for (const f of BAD_INPUT_FILES) {
  const rs = tests(f).filter((r) => r.status === 'passed' || r.status === 'failed');
  const failed = rs.filter((r) => r.status === 'failed');
  const ok = (k: 'clear' | 'stack' | 'hang' | 'half') =>
    rs.length - failed.filter((r) => broke(r).has(k)).length;
  const row = {
    cases: rs.length,
    clear: ok('clear'),
    stack: ok('stack'),
    hang: ok('hang'),
    half: ok('half'),
  };
  if (!byFile.has(f) || byFile.get(f)!.status !== 'passed') bad++;
  aRows.push([
    CATEGORY[basename(f)] ?? basename(f, '.test.ts'),
    row.cases,
    row.clear,
    row.stack,
    row.hang,
    row.half,
    failed.length,
  ]);
  for (const k of ['cases', 'clear', 'stack', 'hang', 'half'] as const) aTotal[k] += row[k];
  aTotal.failed += failed.length;
}
aRows.push(['**all**', aTotal.cases, aTotal.clear, aTotal.stack, aTotal.hang, aTotal.half, aTotal.failed]);

// ---- (b) faults ----
type Tally = { faults: number; done: number; rolledBack: number; refused: number; inconsistent: number };
const zero = (): Tally => ({ faults: 0, done: 0, rolledBack: 0, refused: 0, inconsistent: 0 });
const bRows: (string | number)[][] = [];
const bTotal = zero();
function addRow(what: string, t: Tally) {
  bRows.push([what, t.faults, t.done, t.rolledBack, t.refused, t.inconsistent]);
  for (const k of Object.keys(bTotal) as (keyof Tally)[]) bTotal[k] += t[k];
}
// kill.test.ts: one kill per test; resume tests end done, rollback tests rolled back.
{
  const rs = tests(KILL_FILE).filter((r) => r.status !== 'skipped');
  for (const [what, re] of [
    ['runner SIGKILLed at every step of deploy (create)', /deploy/],
    ['runner SIGKILLed at every step of destroy', /destroy/],
  ] as const) {
    const mine = rs.filter((r) => re.test(r.ancestorTitles.join(' ')));
    const t = zero();
    t.faults = mine.length;
    for (const r of mine) {
      if (r.status === 'failed') t.inconsistent++;
      else if (/rollback/.test(r.title)) t.rolledBack++;
      else t.done++;
    }
    addRow(`${what}, then resume / rollback`, t);
  }
  if (!byFile.has(KILL_FILE) || byFile.get(KILL_FILE)!.status !== 'passed') bad++;
}
// Our own suites: one line per injected fault.
const groups = new Map<string, FaultRow[]>();
for (const r of faultRows) {
  const key =
    r.family === 'kill' ? `runner SIGKILLed at every step of ${r.workflow}, then resume / rollback` : r.fault;
  groups.set(key, [...(groups.get(key) ?? []), r]);
}
for (const [what, rs] of [...groups].sort(([a], [b]) =>
  a.startsWith('runner') === b.startsWith('runner') ? 0 : a.startsWith('runner') ? -1 : 1,
)) {
  const t = zero();
  for (const r of rs) {
    t.faults++;
    if (r.mismatches.length) t.inconsistent++;
    if (r.outcome === 'rolled-back') t.rolledBack++;
    else if (r.outcome === 'refused') t.refused++;
    else if (r.outcome === 'done' || r.outcome === 'done-before-kill') t.done++;
  }
  addRow(what, t);
}
for (const f of OWN_FAULT_FILES) if (!byFile.has(f) || byFile.get(f)!.status !== 'passed') bad++;
bRows.push(['**all**', bTotal.faults, bTotal.done, bTotal.rolledBack, bTotal.refused, bTotal.inconsistent]);
if (bTotal.inconsistent > 0) bad++;
const otherRows = OTHER_FAULT_FILES.map((f) => {
  const rs = tests(f);
  if (!byFile.has(f) || byFile.get(f)!.status !== 'passed') bad++;
  return [f, rs.length, count(rs, 'passed'), count(rs, 'failed'), count(rs, 'skipped')];
});
const failedMessages = faultRows.filter((r) => r.message).map((r) => `- ${r.fault}: ${r.message}`);

// ---- (c) secrets ----
const sRs = tests(SECRETS_FILE);
const sRan = byFile.has(SECRETS_FILE) && sRs.some((r) => r.status === 'passed' || r.status === 'failed');
let cRow: (string | number)[];
if (secretsReport) {
  cRow = [
    SECRETS_FILE,
    secretsReport.sinks ?? 'not reported',
    secretsReport.secrets ?? 'not reported',
    secretsReport.found ?? 'not reported',
    `${count(sRs, 'passed')}/${sRs.length}`,
  ];
  if ((secretsReport.found ?? 0) > 0 || count(sRs, 'failed') > 0) bad++;
} else if (sRan) {
  const noLeak = sRs.find((r) => /no secret in any sink/.test(r.title));
  const found = noLeak?.status === 'passed' ? 0 : noLeak ? 'some (see the failed check)' : 'not checked';
  cRow = [
    SECRETS_FILE,
    'not reported by the audit',
    'not reported by the audit',
    found,
    `${count(sRs, 'passed')}/${sRs.length}`,
  ];
  if (count(sRs, 'failed') > 0) bad++;
} else {
  cRow = [SECRETS_FILE, 'not run', 'not run', 'not run', 'not run'];
}

// ---- print ----
const cpu = cpus();
console.log(`\n# rackpilot campaign — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`);
console.log(
  `machine: ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, ` +
    `Linux ${release()}, Node ${process.version}; ${files.length} files in ${wallS.toFixed(0)} s`,
);
console.log('\n## Bad inputs by category\n');
console.log(
  table(
    ['category', 'cases', 'clear message', 'no stack', 'no hang', 'nothing half-applied', 'failed'],
    aRows,
  ),
);
console.log(
  '\nEach case asserts all four (one message naming the thing to fix, no stack trace, a deadline, ' +
    'no change left behind); a property-based case is one test of many generated inputs.',
);
console.log('\n## Faults injected through the runner\n');
console.log(
  table(
    [
      'fault',
      'injected',
      'task ended done',
      'rolled back',
      'refused, nothing started',
      'hosts left inconsistent',
    ],
    bRows,
  ),
);
console.log(
  '\n"done" counts tasks the retries carried through, tasks resumed to their end after a kill or ' +
    'once the fault was gone, and kills that landed after the task had finished; a host is ' +
    'inconsistent when MaaS, its ToR ports or its BMC disagree with what the journal and the store say.',
);
if (failedMessages.length)
  console.log(`\nWhat the operator read when a task failed:\n${failedMessages.join('\n')}`);
console.log('\nOther fault suites (pass/fail only):\n');
console.log(table(['suite', 'tests', 'passed', 'failed', 'skipped'], otherRows));
console.log('\n## Secrets\n');
console.log(
  table(['audit', 'sinks scanned', 'secrets searched', 'found outside 0600 files', 'checks passed'], [cRow]),
);
console.log(bad ? `\n${bad} problem(s): see above and the vitest output` : '\nall clean');
process.exit(bad || run.status ? 1 : 0);
