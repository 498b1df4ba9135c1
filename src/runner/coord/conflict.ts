import { OperatorError } from '../../util/errors.ts';

/**
 * Raised when a record changed in etcd since this runner saw it; the caller may try again. Apart
 * from the etcd modules so a caller can test for it without loading the etcd client.
 */
export class EtcdConflictError extends OperatorError {}
