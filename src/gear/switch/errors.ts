import { OperatorError } from '../../util/errors.ts';

export type SwitchErrorKind =
  'unreachable' | 'auth' | 'hostkey' | 'cli' | 'timeout' | 'closed' | 'invalid' | 'notallowed' | 'cancelled';

export interface SwitchErrorInfo {
  switchName: string;
  address?: string;
  ports?: string[];
  hint?: string;
  /** The switch's own error line (`% Error: …`). */
  switchLine?: string;
  command?: string;
  cause?: unknown;
}

/**
 * Every switch failure an operator can meet, worded to say which switch and port, what happened,
 * and what to do. `detail` is kept apart so the same failure can be re-aimed at other ports.
 */
export class SwitchError extends OperatorError {
  readonly kind: SwitchErrorKind;
  readonly switchName: string;
  readonly ports: string[];
  readonly switchLine: string | undefined;
  readonly command: string | undefined;
  readonly detail: string;
  readonly info: SwitchErrorInfo;

  constructor(kind: SwitchErrorKind, detail: string, info: SwitchErrorInfo) {
    const where = `switch ${info.switchName}${info.address ? ` (${info.address})` : ''}`;
    const ports = info.ports?.length ? ` port ${info.ports.join(', ')}` : '';
    super(`${where}${ports}: ${detail}`, {
      ...(info.hint !== undefined ? { hint: info.hint } : {}),
      target: ports ? `${info.switchName}${ports}` : info.switchName,
      ...(info.cause !== undefined ? { cause: info.cause } : {}),
      failure: kind,
    });
    this.kind = kind;
    this.detail = detail;
    this.switchName = info.switchName;
    this.ports = info.ports ?? [];
    this.switchLine = info.switchLine;
    this.command = info.command;
    this.info = info;
  }

  override get authFailure(): boolean {
    return this.kind === 'auth';
  }

  forPorts(ports: string[]): SwitchError {
    if (this.ports.length > 0) return this;
    return new SwitchError(this.kind, this.detail, { ...this.info, ports });
  }
}
