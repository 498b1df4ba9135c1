/**
 * The create+destroy pairs of the runner bench, shared by its in-process rows and its client
 * processes so that both sides run the same requests. Each row first runs `WARM_UP_PAIRS` of them
 * in the process it then times, so that both sides are timed at work, not while V8 still compiles
 * the code the pairs run (see bench/runner.ts).
 */
export const WARM_UP_PAIRS = 100;

/** A warm-up instance's name: apart from the measured `vm<i>`. */
export const warmUpName = (i: number) => `warm${i}`;

/**
 * Pair `i`'s deploy request, as `rackpilot deploy` sends it: host `i`'s offering, one network or
 * two (alternately), and the host itself when the pair is pinned to it.
 */
export function pairRequest(i: number, name: string, offerings: readonly string[], host?: string) {
  return {
    name,
    offering: offerings[i]!,
    template: 'jammy',
    networks: i % 2 ? ['tenant-a', 'tenant-b'] : ['tenant-a'],
    ...(host && { host }),
  };
}
