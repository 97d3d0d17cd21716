import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { relativeError, scalarOf } from '../../../../test-utils/compare.js';
import { lovaszSoftmaxLoss, lovaszSoftmaxWithOps } from './lovasz-softmax.js';
import { pixelTargets } from './pixel-targets.js';

// The in-memory Lovász (radix sort, background errors below the smallest
// foreground error left unsorted, the walk stopped at the last foreground
// pixel, the loss summed from the gradient's sums) against the tfjs-ops
// version (TopK over every error, cumulative sums), on batches bigger than
// the torch fixtures: 2 × 24 × 24 pixels, 7 classes, class 6 absent, 10 %
// void, logits with +3 on the true class (a confident model, where the cut
// removes little) or without (an untrained one, where it removes most).
const [B, H, W, C, VOID] = [2, 24, 24, 7, 255];

function batch(confident: boolean): [tf.Tensor3D, tf.Tensor4D] {
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const ids = Int32Array.from({ length: B * H * W }, () => (next() < 0.1 ? VOID : Math.floor(next() * (C - 1))));
  const labels = tf.tensor3d(ids, [B, H, W], 'int32');
  const logits = tf.tidy(() => {
    const noise = tf.randomNormal([B, H, W, C], 0, 1, 'float32', 3);
    return tf.add(noise, tf.mul(tf.cast(tf.oneHot(labels, C), 'float32'), confident ? 3 : 0)) as tf.Tensor4D;
  });
  return [labels, logits];
}

// The reference's weights are steps of float32 cumulative ratios (one ulp of
// J ≈ 6e-8 against weights ≈ 1/(P + b) ≈ 1e-3), this version's float64:
// measured up to 1.2e-5 apart (max |Δ| / max |grad|). A pixel sorted out of
// place or a class miscounted moves a weight by its whole size.
const TOLERANCE = 3e-5;

const OPTIONS = [
  { name: 'present classes', perImage: false, onlyPresent: true, classWeights: [1, 1, 1, 1, 1, 1, 1] },
  { name: 'per image', perImage: true, onlyPresent: true, classWeights: [1, 1, 1, 1, 1, 1, 1] },
  { name: "all classes (6 absent: its largest error weighs 1)", perImage: false, onlyPresent: false, classWeights: [1, 1, 1, 1, 1, 1, 1] },
  { name: 'class weights, class 2 left out', perImage: false, onlyPresent: true, classWeights: [0.5, 2, 0, 1, 1.5, 1, 3] },
];

describeEachBackend('lovaszSoftmaxLoss in memory vs tfjs ops', () => {
  for (const confident of [false, true]) {
    for (const o of OPTIONS) {
      it(`${confident ? 'confident' : 'random'} logits, ${o.name}`, async () => {
        await expectNoTensorLeak(async () => {
          const [labels, logits] = batch(confident);
          const classes = o.onlyPresent ? 'present' : 'all';
          const mine = tf.valueAndGrad((x: tf.Tensor) => lovaszSoftmaxLoss(labels, x, { ignoreIndex: VOID, perImage: o.perImage, classes, classWeights: o.classWeights }))(logits);
          const reference = tf.valueAndGrad((x: tf.Tensor) =>
            tf.tidy(() => {
              const { ids, valid } = pixelTargets(labels, C, VOID);
              return lovaszSoftmaxWithOps(x, ids, valid, { groups: o.perImage ? B : 1, classWeights: o.classWeights, onlyPresent: o.onlyPresent });
            }),
          )(logits);
          const expected = await scalarOf(reference.value);
          expect(expected).toBeGreaterThan(0.05);
          expect(Math.abs((await scalarOf(mine.value)) - expected) / expected).toBeLessThan(TOLERANCE);
          expect(await relativeError(mine.grad, reference.grad)).toBeLessThan(TOLERANCE);
          tf.dispose([labels, logits, mine.value, mine.grad, reference.value, reference.grad]);
        });
      });
    }
  }
}, ['cpu', 'wasm']);
