import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { relativeError } from '../../../../test-utils/compare.js';
import { medianFrequencyWeights } from './class-weights.js';
import { combinedLoss } from './combined.js';
import { sparseSoftmaxCrossEntropy } from './cross-entropy.js';
import { diceLoss } from './dice.js';
import { focalLoss } from './focal.js';
import { lovaszSoftmaxLoss } from './lovasz-softmax.js';

describe('medianFrequencyWeights', () => {
  it('divides the median frequency by each class frequency; absent classes get 0', () => {
    // Pixel shares 0.1, 0.3, 0, 0.6: median of the occurring ones 0.3.
    expect(medianFrequencyWeights([10, 30, 0, 60])).toEqual([3, 1, 0, 0.5].map((w) => expect.closeTo(w, 12)));
    // Eigen & Fergus: 10/100, 30/60, 60/120 = 0.1, 0.5, 0.5; median 0.5.
    expect(medianFrequencyWeights([10, 30, 0, 60], { imagePixels: [100, 60, 0, 120] })).toEqual([5, 1, 0, 1].map((w) => expect.closeTo(w, 12)));
    // An even count of classes: the mean of the middle two (0.25 and 0.75).
    expect(medianFrequencyWeights([1, 3])).toEqual([2, 2 / 3].map((w) => expect.closeTo(w, 12)));
  });

  it('names bad counts', () => {
    expect(() => medianFrequencyWeights([1, -2])).toThrow(/counts\[1\] is -2/);
    expect(() => medianFrequencyWeights([0, 0])).toThrow(/every count is 0/);
    expect(() => medianFrequencyWeights([5, 1], { imagePixels: [4, 9] })).toThrow(/imagePixels\[0\] is 4, below counts\[0\] = 5/);
  });
});

describeEachBackend('losses: invariants and options', () => {
  const logits = () => tf.tensor4d([1, 2, 3, 0, 0, 0, 9, -9, 0, -1, 4, 0.5], [1, 2, 2, 3]);
  const labels = () => tf.tensor3d([2, 0, 255, 1], [1, 2, 2], 'int32');

  it('focal with γ = 0 and no α is cross-entropy, value and gradient', async () => {
    const [l, x] = [labels(), logits()];
    const focal = tf.valueAndGrad((z: tf.Tensor) => focalLoss(l, z, { ignoreIndex: 255, gamma: 0 }))(x);
    const ce = tf.valueAndGrad((z: tf.Tensor) => sparseSoftmaxCrossEntropy(l, z, { ignoreIndex: 255 }))(x);
    expect((await focal.value.data())[0]).toBeCloseTo((await ce.value.data())[0], 6);
    expect(await relativeError(focal.grad, ce.grad)).toBeLessThan(1e-6);
    tf.dispose([l, x, focal.value, focal.grad, ce.value, ce.grad]);
  });

  it('focal keeps a finite gradient at p_t = 1 for γ < 1', async () => {
    const l = tf.tensor3d([0], [1, 1, 1], 'int32');
    const g = tf.grad((z: tf.Tensor) => focalLoss(l, z, { gamma: 0.5 }))(tf.tensor4d([200, 0, 0], [1, 1, 1, 3]));
    expect(Array.from(await g.data()).every(Number.isFinite)).toBe(true);
    tf.dispose([l, g]);
  });

  it('combinedLoss is the weighted sum, in value and gradient', async () => {
    const [l, x] = [labels(), logits()];
    const ce = (a: tf.Tensor, b: tf.Tensor) => sparseSoftmaxCrossEntropy(a, b, { ignoreIndex: 255 });
    const dice = (a: tf.Tensor, b: tf.Tensor) => diceLoss(a, b, { ignoreIndex: 255 });
    const both = combinedLoss([[ce, 1], [dice, 0.5]]);
    const sum = tf.valueAndGrad((z: tf.Tensor) => both(l, z))(x);
    const byHand = tf.valueAndGrad((z: tf.Tensor) => tf.add(ce(l, z), tf.mul(dice(l, z), 0.5)) as tf.Scalar)(x);
    expect((await sum.value.data())[0]).toBeCloseTo((await byHand.value.data())[0], 6);
    expect(await relativeError(sum.grad, byHand.grad)).toBeLessThan(1e-6);
    await expectNoTensorLeak(() => both(l, x).dispose());
    tf.dispose([l, x, sum.value, sum.grad, byHand.value, byHand.grad]);
    expect(() => combinedLoss([])).toThrow(/at least one/);
    expect(() => combinedLoss([[ce, Number.NaN]])).toThrow(/term 0 must be \[loss function, finite weight\]/);
  });

  it('names bad options and shapes', () => {
    const [l, x] = [labels(), logits()];
    expect(() => diceLoss(l, x, { classWeights: [1, 2] })).toThrow(/diceLoss: classWeights has 2 entries, logits have 3 classes/);
    expect(() => focalLoss(l, x, { alpha: [1] })).toThrow(/focalLoss: alpha has 1 entries/);
    expect(() => focalLoss(l, x, { gamma: -1 })).toThrow(/gamma must be a finite number ≥ 0, got -1/);
    expect(() => lovaszSoftmaxLoss(l, x, { classes: [0, 3] })).toThrow(/class ids in 0..2, got \[0,3\]/);
    expect(() => lovaszSoftmaxLoss(tf.zeros([1, 2]), x)).toThrow(/lovaszSoftmaxLoss: labels shape \[1,2\] must equal logits shape \[1,2,2,3\]/);
    tf.dispose([l, x]);
  });
});
