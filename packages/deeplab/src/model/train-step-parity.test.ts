import { sparseSoftmaxCrossEntropy, Trainer } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend, TEST_BACKENDS, useBackend } from '../../../../test-utils/backends.js';
import { deeplabV3Plus } from './deeplab-v3-plus.js';

const SIZE = 33;
const CLASSES = 3;

/** A reduced DeepLabV3+ (every kind of layer of the paper model: strided, atrous and 1×1 convs, BN, ASPP, resizes). */
const tinyModel = () =>
  deeplabV3Plus({
    backbone: 'resnet18',
    outputStride: 8,
    numClasses: CLASSES,
    lowLevelChannels: 4,
    decoderChannels: 8,
    dropout: 0,
    backboneOptions: { baseWidth: 4, blocks: [1, 1, 1, 1] },
  });

interface StepResult {
  loss: number;
  before: Float32Array[];
  after: Float32Array[];
}

/**
 * Seeded weights (tfjs-layers' initializers are not): He-scaled kernels, BN at
 * its initial state, so the same step is compared on every run.
 */
function seededWeights(model: ReturnType<typeof tinyModel>): tf.Tensor[] {
  return model.weights.map((w, i) => {
    const shape = w.shape as number[];
    if (/moving_variance|gamma/.test(w.originalName)) return tf.ones(shape);
    if (shape.length < 4) return tf.zeros(shape);
    const fanIn = shape[0] * shape[1] * shape[2];
    return tf.randomNormal(shape, 0, Math.sqrt(2 / fanIn), 'float32', i + 1);
  });
}

/** One SGD step of the Trainer from `weights` (or seeded ones), read back as plain arrays. */
async function oneStep(weights?: Float32Array[]): Promise<StepResult> {
  const model = tinyModel();
  const initial = weights ? weights.map((w, i) => tf.tensor(w, model.weights[i].shape as number[])) : seededWeights(model);
  model.setWeights(initial);
  tf.dispose(initial);
  const before = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
  // SGD, not Adam: Adam's first step is lr·sign(g), which turns float32 noise in near-zero gradients into full-size steps.
  const trainer = new Trainer({ model, loss: (l, x) => sparseSoftmaxCrossEntropy(l, x), groups: [{ name: 'all', optimizer: tf.train.sgd(0.5) }] });
  const images = tf.randomNormal([2, SIZE, SIZE, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
  const labels = tf.randomUniformInt([2, SIZE, SIZE], 0, CLASSES, 6) as tf.Tensor3D;
  const { loss } = await trainer.trainStep({ images, labels });
  const after = await Promise.all(model.getWeights().map(async (w) => (await w.data()) as Float32Array));
  tf.dispose([images, labels]);
  model.dispose();
  return { loss, before, after };
}

// Same tolerances on every backend. They compute in float32 with another
// summation order than cpu (XNNPACK on wasm, tiled shaders on webgpu), so each
// op differs by ~1e-7 relative, grown over ~20 layers and their backward pass.
// Measured with these seeded weights: loss 7.5e-7 relative (wasm), 0 (webgpu,
// llvmpipe); updates within 1.0e-5 of their tensor's scale on both. Asserted
// with a 13-20x margin, as other drivers round differently.
const LOSS_TOLERANCE = 1e-5;
const UPDATE_TOLERANCE = 2e-4;
const UPDATE_FLOOR = 1e-2;

describeEachBackend(
  'one DeepLabV3+ training step equals the cpu backend’s from the same weights',
  (backend) => {
    it(`loss and every weight update on ${backend} match cpu`, async () => {
      await useBackend('cpu');
      const reference = await oneStep();
      await useBackend(backend);
      const got = await oneStep(reference.before);
      expect(Math.abs(got.loss - reference.loss) / reference.loss).toBeLessThan(LOSS_TOLERANCE);
      const updates = reference.before.map((w0, i) => reference.after[i].map((v, j) => v - w0[j]));
      const largest = Math.max(...updates.map((u) => Math.max(...u.map(Math.abs))));
      expect(largest).toBeGreaterThan(1e-3);
      let worst = 0;
      for (const [i, w0] of reference.before.entries()) {
        // A tensor whose whole update is tiny (a bias, a BN moving statistic) still
        // carries rounding of the size of its activations: floor its scale.
        const scale = Math.max(...updates[i].map(Math.abs), UPDATE_FLOOR * largest);
        const err = Math.max(...got.after[i].map((v, j) => Math.abs(v - w0[j] - updates[i][j])));
        worst = Math.max(worst, err / scale);
      }
      expect(worst).toBeLessThan(UPDATE_TOLERANCE);
    });
  },
  TEST_BACKENDS.filter((b) => b !== 'cpu'),
);
