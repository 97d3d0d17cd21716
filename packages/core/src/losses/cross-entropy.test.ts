import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { sparseCrossEntropyLoss, sparseSoftmaxCrossEntropy } from './cross-entropy.js';

// Hand-computed: pixel A has logits [1, 2, 3] and label 2, so its loss is
// log(1 + e^-1 + e^-2) = 0.4076059644; pixel B has logits [0, 0, 0] and label 0,
// so log 3 = 1.0986122887; pixel C is void (21) and ignored.
const LOSS_A = 0.4076059644;
const LOSS_B = 1.0986122887;

describeEachBackend('sparseSoftmaxCrossEntropy', () => {
  const logits = () => tf.tensor4d([1, 2, 3, 0, 0, 0, 9, -9, 0], [1, 1, 3, 3]);
  const labels = () => tf.tensor3d([2, 0, 21], [1, 1, 3], 'int32');

  it('averages over the pixels that are not ignored', async () => {
    const loss = sparseSoftmaxCrossEntropy(labels(), logits(), { ignoreIndex: 21 });
    expect(await loss.array()).toBeCloseTo((LOSS_A + LOSS_B) / 2, 5);
  });

  it('weights classes like PyTorch (weighted sum over summed weights)', async () => {
    const loss = sparseSoftmaxCrossEntropy(labels(), logits(), { ignoreIndex: 21, classWeights: [1, 1, 2] });
    expect(await loss.array()).toBeCloseTo((2 * LOSS_A + LOSS_B) / 3, 5);
  });

  it('is 0, not NaN, when every pixel is ignored', async () => {
    const loss = sparseSoftmaxCrossEntropy(tf.fill([1, 1, 3], 21, 'int32'), logits(), { ignoreIndex: 21 });
    expect(await loss.array()).toBe(0);
  });

  it('has the gradient softmax - onehot over the counted pixels', async () => {
    const g = tf.grad((x: tf.Tensor) => sparseSoftmaxCrossEntropy(labels(), x, { ignoreIndex: 21 }))(logits());
    const got = (await g.array()) as number[][][][];
    const z = Math.exp(1) + Math.exp(2) + Math.exp(3);
    const softA = [Math.exp(1) / z, Math.exp(2) / z, Math.exp(3) / z];
    const expected = [
      [softA[0] / 2, softA[1] / 2, (softA[2] - 1) / 2],
      [(1 / 3 - 1) / 2, 1 / 6, 1 / 6],
      [0, 0, 0],
    ];
    for (const [i, row] of got[0][0].entries()) {
      for (const [c, v] of row.entries()) expect(v).toBeCloseTo(expected[i][c], 5);
    }
  });

  it('serves as a compile() loss with a trailing label axis', async () => {
    const fn = sparseCrossEntropyLoss({ ignoreIndex: 21 });
    const loss = fn(tf.tensor4d([2, 0, 21], [1, 1, 3, 1]), logits());
    expect(await loss.array()).toBeCloseTo((LOSS_A + LOSS_B) / 2, 5);
  });

  it('leaks no tensors and names mismatched shapes', async () => {
    const l = labels();
    const x = logits();
    await expectNoTensorLeak(() => sparseSoftmaxCrossEntropy(l, x, { ignoreIndex: 21 }).dispose());
    expect(() => sparseSoftmaxCrossEntropy(tf.zeros([1, 3]), x)).toThrow(/labels shape \[1,3\] must equal logits shape \[1,1,3,3\]/);
    expect(() => sparseSoftmaxCrossEntropy(l, x, { classWeights: [1] })).toThrow(/classWeights has 1 entries, logits have 3 classes/);
  });
});
