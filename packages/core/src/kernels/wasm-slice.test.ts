import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { expectNoTensorLeak, useBackend } from '../../../../test-utils/backends.js';
import { registerSegKernels } from './register.js';

/** Runs `fn` on the cpu backend (tfjs's own slice, the reference) and on wasm (ours), returning both results as arrays. */
async function onBoth(make: () => tf.Tensor, fn: (x: tf.Tensor) => tf.Tensor | tf.Tensor[]) {
  const results: unknown[][] = [];
  for (const backend of ['cpu', 'wasm'] as const) {
    await useBackend(backend);
    registerSegKernels();
    const x = make();
    const out = [fn(x)].flat();
    results.push(await Promise.all(out.map((t) => t.array())));
    tf.dispose([x, ...out]);
  }
  return results;
}

describe("wasm's Slice and SplitV, read in place", () => {
  const cube = (dtype: 'float32' | 'int32' = 'float32') => tf.tidy(() => tf.reshape(tf.range(0, 4 * 5 * 6 * 3, 1, dtype), [4, 5, 6, 3]));

  it('replace the backend’s own kernels once wasm is loaded', async () => {
    await useBackend('wasm');
    registerSegKernels();
    const before = tf.getKernel('Slice', 'wasm')!.kernelFunc;
    registerSegKernels();
    expect(tf.getKernel('Slice', 'wasm')!.kernelFunc).toBe(before);
    expect(before.toString()).toContain('sliceInPlace');
  });

  it.each([
    ['a window of every axis', [1, 2, 3, 0], [2, 2, 2, 3]],
    ['whole trailing axes (one run)', [1, 0, 0, 0], [2, 5, 6, 3]],
    ['one channel (runs of 1)', [0, 0, 0, 2], [4, 5, 6, 1]],
    ['-1 sizes to the end', [3, 1, 0, 1], [-1, -1, 4, -1]],
    ['an empty slice', [0, 0, 0, 0], [4, 0, 6, 3]],
  ])('slices %s like the cpu backend', async (_name, begin, size) => {
    const [cpu, wasm] = await onBoth(cube, (x) => tf.slice(x, begin, size));
    expect(wasm).toEqual(cpu);
  });

  it('slices int32, bool and rank-1 tensors like the cpu backend', async () => {
    const [a, b] = await onBoth(() => cube('int32'), (x) => tf.slice(x, [1, 1, 1, 1], [2, 3, 4, 2]));
    expect(b).toEqual(a);
    const [c, d] = await onBoth(
      () => tf.tidy(() => tf.greater(cube(), 100)),
      (x) => tf.slice(x, [0, 2, 0, 0], [4, 2, 6, 3]),
    );
    expect(d).toEqual(c);
    const [e, f] = await onBoth(() => tf.range(0, 1000, 1), (x) => tf.slice(x, [17], [400]));
    expect(f).toEqual(e);
  });

  it('splits along any axis, by sizes (with -1) or into equal parts, like the cpu backend', async () => {
    for (const [splits, axis] of [
      [[1, 2, 1], 0],
      [[2, -1], 1],
      [3, 2],
      [[1, 1, 1], 3],
    ] as const) {
      const [cpu, wasm] = await onBoth(cube, (x) => tf.split(x, splits as number | number[], axis));
      expect(wasm).toEqual(cpu);
    }
  });

  it('leaks no tensors', async () => {
    await useBackend('wasm');
    registerSegKernels();
    const x = cube();
    await expectNoTensorLeak(() => tf.dispose([tf.slice(x, [1, 1, 1, 1], [2, 2, 2, 2]), ...tf.split(x, 2, 0)]));
    x.dispose();
  });
});
