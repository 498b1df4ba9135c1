import type { RunnerStatus } from '../protocol/messages.ts';

/** ` (1 of 3 members answer)`, or nothing when the members were not probed: one wording for every view. */
export function membersAnswering(members: NonNullable<RunnerStatus['coordination']>['members']): string {
  return members ? ` (${members.answering} of ${members.total} members answer)` : '';
}
