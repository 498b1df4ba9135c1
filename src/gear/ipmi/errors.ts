import { OperatorError } from '../../util/errors.ts';

export type IpmiErrorKind =
  /** No answer after every retransmission. */
  | 'timeout'
  /** Wrong user name or password. */
  | 'auth'
  /** The BMC refused the session (RMCP+ status), e.g. its session table is full. */
  | 'session'
  /** The BMC answered a command with a non-zero completion code. */
  | 'completion'
  /** The client was closed. */
  | 'closed';

/** An IPMI failure an operator can act on; `target` names the BMC. */
export class IpmiError extends OperatorError {
  readonly kind: IpmiErrorKind;
  readonly completionCode: number | undefined;
  readonly rmcpStatus: number | undefined;

  constructor(
    kind: IpmiErrorKind,
    message: string,
    opts: {
      hint?: string;
      target?: string;
      completionCode?: number;
      rmcpStatus?: number;
      cause?: unknown;
    } = {},
  ) {
    super(message, { ...opts, failure: kind });
    this.kind = kind;
    this.completionCode = opts.completionCode;
    this.rmcpStatus = opts.rmcpStatus;
  }

  override get authFailure(): boolean {
    return this.kind === 'auth';
  }
}
