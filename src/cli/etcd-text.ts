import type { RunnerStatus } from '../protocol/messages.ts';

/** ` (1 of 3 members answer)`, or nothing when the members were not probed: one wording for every view. */
export function membersAnswering(members: NonNullable<RunnerStatus['coordination']>['members']): string {
  return members ? ` (${members.answering} of ${members.total} members answer)` : '';
}

type Coordination = NonNullable<RunnerStatus['coordination']>;

/** etcd's condition as `runner status` says it: a quorum answers, none answers, or no quorum. */
export function etcdCondition(c: Coordination): string {
  if (c.available) return 'a quorum answers';
  const members = membersAnswering(c.members);
  const what = c.condition === 'quorum-lost' ? 'QUORUM LOST' : 'UNREACHABLE';
  return (
    `${what} since ${c.staleSince ?? '?'}${members}${c.error ? ` (${c.error})` : ''}: ` +
    'changes refused, reads from the last known state'
  );
}

/** The lease's story, or null while it was never lost. */
export function leaseStory(l: Coordination['lease']): string | null {
  if (l.lostAt === null) return null;
  return l.renewedAt
    ? `lost at ${l.lostAt}, renewed at ${l.renewedAt}: the tasks this runner held then were interrupted`
    : `LOST at ${l.lostAt}: a new one is taken as soon as etcd answers; changes refused until then`;
}
