/**
 * The warm-up of the runner bench's rows: each row runs these pairs before its clock, in the
 * process it then times, so that both sides are timed at work, not while V8 still compiles the
 * code the pairs run (see bench/runner.ts). Shared with the client processes, which run their part.
 */
export const WARM_UP_PAIRS = 100;

/** A warm-up instance's name: apart from the measured `vm<i>`. */
export const warmUpName = (i: number) => `warm${i}`;
