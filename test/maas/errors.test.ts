import { describe, expect, it } from 'vitest';
import {
  MAAS_BODY_LIMIT,
  MaasAuthError,
  MaasBadRequestError,
  MaasConflictError,
  MaasError,
  MaasForbiddenError,
  MaasNotFoundError,
  MaasUnavailableError,
  maasHttpError,
  stateNamedIn,
} from '../../src/gear/maas/errors.ts';
import { OperatorError } from '../../src/util/errors.ts';
import { registerSecret } from '../../src/util/redact.ts';

const ctx = { op: 'deploy', method: 'POST', path: 'machines/abc123/', target: 'abc123' };

describe('MaaS errors', () => {
  it('maps each status to its typed error with a hint, all OperatorErrors', () => {
    const cases: [number, new (...a: never[]) => MaasError, RegExp][] = [
      [400, MaasBadRequestError, /parameters/],
      [401, MaasAuthError, /maas apikey --username/],
      [403, MaasForbiddenError, /admin key/],
      [404, MaasNotFoundError, /gone from MaaS/],
      [409, MaasConflictError, /deploy needs 'Ready' or 'Allocated'/],
      [503, MaasUnavailableError, /busy/],
      [500, MaasUnavailableError, /regiond\.log/],
    ];
    for (const [status, cls, hint] of cases) {
      const e = maasHttpError(status, 'MaaS said no', ctx);
      expect(e).toBeInstanceOf(cls);
      expect(e).toBeInstanceOf(OperatorError);
      expect(e.status).toBe(status);
      expect(e.hint).toMatch(hint);
      expect(e.target).toBe('abc123');
      expect(e.message).toContain('MaaS said no');
    }
  });

  it('keeps MaaS form errors readable and cuts long bodies', () => {
    const e = maasHttpError(400, { distro_series: ["'bogus' is not a valid distro_series."] }, ctx);
    expect(e.body).toBe(JSON.stringify({ distro_series: ["'bogus' is not a valid distro_series."] }));
    const long = maasHttpError(503, 'x'.repeat(5000), ctx);
    expect(long.body.length).toBe(MAAS_BODY_LIMIT + 1);
    expect(long.body.endsWith('…')).toBe(true);
  });

  it('redacts registered secrets MaaS might echo back', () => {
    registerSecret('EchoedSecretValue99');
    const e = maasHttpError(401, 'Invalid token secret EchoedSecretValue99', ctx);
    expect(e.message).not.toContain('EchoedSecretValue99');
    expect(e.body).not.toContain('EchoedSecretValue99');
  });

  it('finds the current state in 409 texts, not the allowed ones', () => {
    expect(stateNamedIn("Cannot deploy machine x because it is in the 'Deployed' state.")).toBe('Deployed');
    expect(stateNamedIn('Node cannot be released in its current state (Ready).')).toBeUndefined();
    expect(
      stateNamedIn('Cannot create bond interface because the machine is not Ready, Allocated, or Broken.'),
    ).toBeUndefined();
    expect(stateNamedIn('Machine is in Failed disk erasing state')).toBe('Failed disk erasing');
    expect(stateNamedIn('node status is Deploying')).toBe('Deploying');
  });
});
