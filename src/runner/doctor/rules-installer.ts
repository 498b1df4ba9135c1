import { CLOUD_INIT, CURTIN, CURTIN_STAGES, ERROR_LINE, EV, ORIGIN } from './catalogue.ts';
import { last, opEvents, statusCode, type Rule } from './cause.ts';
import { resetFix, resumeFix } from './fixes.ts';
import { line } from './timeline.ts';

/** The installers' own failures: curtin's (its log and MaaS's events) and cloud-init's after it. */

// ---------- curtin ----------

function curtinFailure(log: readonly string[]): {
  stage: string | null;
  firstError: string | null;
  finish: string | null;
} {
  let stage: string | null = null;
  let finish: string | null = null;
  for (const l of log) {
    const m = CURTIN.finishLine.exec(l);
    if (m && m[2] === 'FAIL') {
      finish ??= l;
      stage ??= CURTIN.stageOf.exec(m[1]!)?.[1] ?? null;
    }
  }
  const firstError =
    log.find((l) => ERROR_LINE.test(l) && !CURTIN.finishLine.test(l) && !/^Traceback/.test(l)) ?? null;
  return { stage, firstError, finish };
}

export const curtinFailed: Rule = ({ f, t, installLog }) => {
  if (t.operation !== 'deploy' && statusCode(f) !== 11) return null;
  const failEvent = opEvents(
    t,
    (e) => e.type === EV.installFailed && ORIGIN.exec(e.description)?.[1] === 'curtin',
  )[0];
  const c = curtinFailure(installLog);
  const logFailed = c.finish !== null || installLog.some((l) => CURTIN.installFailed.test(l));
  if (!failEvent && !logFailed) return null;
  // Without the log (the triage reads none), the stage the timeline reached says where curtin was.
  const reachedStage = CURTIN_STAGES.find((x) => x.stage === last(t)?.id)?.stage ?? null;
  const stageName = c.stage ?? reachedStage;
  const desc = CURTIN_STAGES.find((s) => s.stage === stageName)?.description;
  const stage = stageName ? `curtin stage ${stageName}${desc ? ` (${desc})` : ''}` : 'curtin';
  const quote = c.firstError ?? c.finish ?? (failEvent ? `${failEvent.type} - ${failEvent.description}` : '');
  return {
    id: 'curtin-failed',
    title: `curtin failed in ${stageName ?? 'its install'}`,
    stage,
    sentence: `curtin failed in ${stage}: "${quote}".`,
    evidence: [
      ...(failEvent ? [line(failEvent)] : []),
      ...(c.finish ? [c.finish] : []),
      ...(c.firstError ? [c.firstError] : []),
    ],
    fixes: [...resetFix(f, 'fix what curtin refused (storage layout, the disk, the image)'), ...resumeFix(f)],
    hints: [`the whole installation log: rackpilot doctor ${f.hostname} --log`],
    specificity: 75,
  };
};

// ---------- cloud-init / post-install ----------

export const postInstall: Rule = ({ f, t }) => {
  const fails = opEvents(
    t,
    (e) =>
      e.type === EV.postInstallFailed ||
      (e.type === EV.installFailed && ORIGIN.exec(e.description)?.[1] === 'cloudinit'),
  );
  // A post-install failure arrives after Deployed: the timeline's events run past the last stage.
  const after = (f.events ?? []).filter(
    (e) => e.type === EV.postInstallFailed && (t.startEventId === null || e.id > t.startEventId),
  );
  const all = [...new Map([...fails, ...after].map((e) => [e.id, e])).values()].sort((a, b) => a.id - b.id);
  if (all.length === 0) return null;
  const module = all.map((e) => CLOUD_INIT.module.exec(e.description)?.[1]).find((m) => m !== undefined);
  const userData = module !== undefined && CLOUD_INIT.userDataModules.has(module);
  const first = all[0]!;
  return {
    id: 'cloud-init-failed',
    title: userData ? 'cloud-init failed running the user data' : 'cloud-init failed after install',
    stage: 'cloud-init in the installed OS',
    sentence: userData
      ? `cloud-init failed in the installed OS running the user data (module ${module}): "${first.type} - ${first.description}"; the user data given at deploy is the likely cause.`
      : `cloud-init failed in the installed OS: "${first.type} - ${first.description}".`,
    evidence: all.slice(0, 3).map(line),
    fixes: resetFix(
      f,
      userData
        ? 'correct the user data (its scripts exit non-zero)'
        : 'read /var/log/cloud-init-output.log on the host',
    ),
    hints: [
      userData
        ? 'on the host: /var/log/cloud-init-output.log shows the failing script; redeploy with corrected user data'
        : 'on the host: /var/log/cloud-init.log and cloud-init-output.log',
    ],
    specificity: 70,
  };
};
