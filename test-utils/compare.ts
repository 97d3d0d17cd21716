import * as tf from '@tensorflow/tfjs-core';

// Asynchronous on purpose: the webgpu backend cannot read GPU memory
// synchronously in Node (its dataSync needs a browser's OffscreenCanvas).

/** max|a - b|, read back without blocking. */
export async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const [v] = await d.data();
  d.dispose();
  return v;
}

/** Relative error as the parity suites use it: max|actual - expected| / max|expected|. */
export async function relativeError(actual: tf.Tensor, expected: tf.Tensor): Promise<number> {
  if (actual.shape.join() !== expected.shape.join()) throw new Error(`shape [${actual.shape}] differs from the expected [${expected.shape}]`);
  const scale = tf.tidy(() => tf.max(tf.abs(expected)));
  const [s] = await scale.data();
  scale.dispose();
  return (await maxAbsDiff(actual, expected)) / s;
}

/** The first value of a tensor, read back without blocking. */
export async function scalarOf(t: tf.Tensor): Promise<number> {
  return (await t.data())[0];
}

/** {@link relativeError} of plain arrays: max|actual - expected| / max|expected|, and that scale. */
export function arrayRelativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): { error: number; scale: number } {
  if (actual.length !== expected.length) throw new Error(`${actual.length} values differ in count from the expected ${expected.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    err = Math.max(err, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return { error: err / scale, scale };
}
