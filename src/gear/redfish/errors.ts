import { OperatorError } from '../../util/errors.ts';

export type RedfishErrorKind =
  /** No answer within the deadline, connection refused, name not resolved. */
  | 'unreachable'
  /** Wrong user name or password (401/403 on the session or on Basic): never retried. */
  | 'auth'
  /** The certificate differs from the pinned or recorded one. */
  | 'certificate'
  /** The service answered with an error status (its extended messages are in the message). */
  | 'http'
  /** The service answered something that is not Redfish (no Systems, bad JSON, no such system). */
  | 'protocol'
  /** Refused before sending: the system does not allow this ResetType or boot target. */
  | 'unsupported'
  /** The client was closed. */
  | 'closed';

/** A Redfish failure an operator can act on; `target` names the BMC. */
export class RedfishError extends OperatorError {
  readonly kind: RedfishErrorKind;
  readonly status: number | undefined;
  /** MessageIds of the service's @Message.ExtendedInfo, for code that must tell errors apart. */
  readonly messageIds: readonly string[];

  constructor(
    kind: RedfishErrorKind,
    message: string,
    opts: { hint?: string; target?: string; status?: number; messageIds?: string[]; cause?: unknown } = {},
  ) {
    super(message, opts);
    this.kind = kind;
    this.status = opts.status;
    this.messageIds = opts.messageIds ?? [];
  }
}
