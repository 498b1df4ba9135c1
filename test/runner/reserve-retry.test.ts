import { describe, expect, it } from 'vitest';
import { EtcdConflictError } from '../../src/runner/coord/conflict.ts';
import { reserveWithRetry } from '../../src/runner/site/provision.ts';

describe('reserving a host against other jump hosts', () => {
  it('picks again after a conflict, until a pick wins', async () => {
    let tries = 0;
    const picked = await reserveWithRetry(async () => {
      if (++tries < 4) throw new EtcdConflictError('r01-n001 was taken by another jump host');
      return 'r01-n002';
    });
    expect(picked).toBe('r01-n002');
    expect(tries).toBe(4);
  });

  it('gives any other failure back at once', async () => {
    let tries = 0;
    const failing = reserveWithRetry(async () => {
      tries++;
      throw new Error('MaaS did not answer');
    });
    await expect(failing).rejects.toThrow('MaaS did not answer');
    expect(tries).toBe(1);
  });

  it('gives up after 25 conflicts with the last conflict', async () => {
    let tries = 0;
    const losing = reserveWithRetry(async () => {
      throw new EtcdConflictError(`conflict ${++tries}`);
    });
    await expect(losing).rejects.toThrow('conflict 25');
    expect(tries).toBe(25);
  }, 20_000);
});
