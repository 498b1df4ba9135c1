/**
 * What a runner knows of its etcd cluster, as the operator is told it: whether a quorum answers,
 * and if not whether nothing answers at all or members answer without a quorum; and the story of
 * this runner's lease. Pure: the site (etcd-site.ts) feeds it what its requests and probes saw.
 */

/** ok: a quorum answered the last request; unreachable: no member answers; quorum-lost: members answer, no quorum. */
export type EtcdCondition = 'ok' | 'unreachable' | 'quorum-lost';

export interface MemberCount {
  answering: number;
  total: number;
  /** Whether an answering member names a leader. */
  leader: boolean;
}

export interface LeaseStory {
  grantedAt: string;
  /** When etcd said this runner's lease was gone (null: never). */
  lostAt: string | null;
  /** When a new lease replaced it (null: not yet, or never lost). */
  renewedAt: string | null;
}

export interface Health {
  /** Changes are accepted: a quorum answered this runner's last request. */
  available: boolean;
  condition: EtcdCondition;
  /** Since when the condition holds (ISO), when it is not ok. */
  since: string | null;
  error: string | null;
  /** The members as the last probe found them (null: not probed since the last trouble). */
  members: MemberCount | null;
  lease: LeaseStory;
}

export function quorumOf(total: number): number {
  return Math.floor(total / 2) + 1;
}

/**
 * The condition after a request failed everywhere it was tried, from a probe of each member's own
 * status (answered locally, without the quorum): none answers, or they answer without electing a
 * leader or without enough of them for one.
 */
export function conditionFrom(members: MemberCount | null, error: string): EtcdCondition {
  if (members === null)
    return /no leader|request timed out|leader changed/i.test(error) ? 'quorum-lost' : 'unreachable';
  if (members.answering === 0) return 'unreachable';
  if (members.answering < quorumOf(members.total) || !members.leader) return 'quorum-lost';
  // Enough members answer and elect a leader, yet the request failed: say what failed.
  return 'unreachable';
}

/** gRPC's messages, without the empty (or internal) "Resolution note" it appends. */
export function cleanGrpcMessage(message: string): string {
  return message.replace(/\.?\s*Resolution note:.*$/s, '').trim();
}

/**
 * When failures make etcd unavailable. One request or keepalive round that failed at every member
 * is not enough: a leader election on a loaded machine can outlast every try of one round. Only a
 * second round that began after the first had failed, and failed too with no answer between,
 * does; the trouble is dated from the first. Pure: the site reports its rounds and answers.
 */
export class OutageJudge {
  private firstFailedAt: number | null = null;

  /** A request answered: a quorum is there, the count starts again. */
  answered(): void {
    this.firstFailedAt = null;
  }

  /**
   * A round that began at `startedAt` failed at every member at `endedAt`. Returns when the outage
   * began once it is one (a second failed round), else null: wait for the next round.
   */
  failed(startedAt: number, endedAt: number): number | null {
    if (this.firstFailedAt === null) {
      this.firstFailedAt = endedAt;
      return null;
    }
    return startedAt >= this.firstFailedAt ? this.firstFailedAt : null;
  }
}
