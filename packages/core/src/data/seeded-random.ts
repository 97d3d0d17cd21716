/**
 * Seeding the random draws tfjs makes for itself. tfjs has no global seed:
 * every random op and initializer called without a seed of its own
 * (`tf.dropout` and tfjs-layers' `Dropout`, the variance-scaling and Glorot
 * initializers, `tf.randomNormal`, …) seeds a fresh generator from
 * `Math.random()`, and computes its values in JavaScript whatever the
 * backend. So drawing `Math.random` from a {@link SeededRng} for the length of
 * a synchronous call makes every one of those draws a function of that
 * generator, and of nothing that ran before.
 *
 * Synchronous only: JavaScript runs nothing else in this thread until the
 * call returns, so no other code sees the replaced `Math.random`, and
 * `Math.random` is back as it was before the first `await` anywhere.
 *
 * @module
 */
import { SeededRng } from './rng.js';

/**
 * Runs `fn` with `Math.random` (the source of every unseeded tfjs random
 * draw) drawing from `seed`: the same seed and the same code give the same
 * initial weights and dropout masks, on every backend.
 *
 * @param seed A generator, or an integer seed for a new one.
 * @param fn Synchronous: a returned promise is refused, since its
 *   continuation would run with the unseeded `Math.random`.
 *
 * @example
 * ```ts
 * // The same initial weights in every run: tfjs-layers' initializers draw from seed 7.
 * const model = withSeededRandom(7, () => buildModel());
 * ```
 */
export function withSeededRandom<T>(seed: number | SeededRng, fn: () => T): T {
  const rng = typeof seed === 'number' ? new SeededRng(seed) : seed;
  const original = Math.random;
  Math.random = () => rng.next();
  let result: T;
  try {
    result = fn();
  } finally {
    Math.random = original;
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') {
    throw new Error('withSeededRandom: fn returned a promise; only its synchronous part would be seeded. Pass a synchronous function (build the model, run one step)');
  }
  return result;
}
