import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { relativeError } from '../../../../test-utils/compare.js';
import { layerBackpropSupported, modelGradients } from '../backprop/model-gradients.js';
import type { TrainBatch } from '../train/gradient-source.js';
import { Trainer } from '../train/trainer.js';
import { combinedLoss } from './combined.js';
import { sparseSoftmaxCrossEntropy } from './cross-entropy.js';
import { diceLoss } from './dice.js';
import { focalLoss } from './focal.js';
import { lovaszSoftmaxLoss } from './lovasz-softmax.js';
import type { SegmentationLoss } from './segmentation-loss.js';

const VOID = 255;
const LOSSES: Record<string, SegmentationLoss> = {
  dice: (l, x) => diceLoss(l, x, { ignoreIndex: VOID }),
  focal: (l, x) => focalLoss(l, x, { ignoreIndex: VOID, alpha: [1, 2, 0.5] }),
  lovasz: (l, x) => lovaszSoftmaxLoss(l, x, { ignoreIndex: VOID }),
  'lovasz per image': (l, x) => lovaszSoftmaxLoss(l, x, { ignoreIndex: VOID, perImage: true }),
  'cross-entropy + dice': combinedLoss([
    [(l, x) => sparseSoftmaxCrossEntropy(l, x, { ignoreIndex: VOID }), 1],
    [(l, x) => diceLoss(l, x, { ignoreIndex: VOID }), 0.5],
  ]),
};

/** trunk (1×1 conv, 3→6) → head (1×1 conv, 6→3 classes), as in trainer.test.ts. */
function tinyModel(seed: number): tfl.LayersModel {
  const input = tfl.input({ shape: [5, 5, 3] });
  const init = (s: number) => tfl.initializers.glorotUniform({ seed: s });
  const trunk = tfl.layers.conv2d({ filters: 6, kernelSize: 1, activation: 'relu', kernelInitializer: init(seed) });
  const head = tfl.layers.conv2d({ filters: 3, kernelSize: 1, kernelInitializer: init(seed + 1) });
  return tfl.model({ inputs: input, outputs: head.apply(trunk.apply(input)) as tfl.SymbolicTensor });
}

/** A learnable batch: a pixel's label is its largest colour channel; about a tenth of the pixels are void. */
function batch(seed: number): TrainBatch {
  return tf.tidy(() => {
    const images = tf.randomUniform([2, 5, 5, 3], 0, 1, 'float32', seed) as tf.Tensor4D;
    const void_ = tf.less(tf.randomUniform([2, 5, 5], 0, 1, 'float32', seed + 1000), 0.1);
    const labels = tf.where(void_, tf.fill([2, 5, 5], VOID, 'int32'), tf.cast(tf.argMax(images, -1), 'int32')) as tf.Tensor3D;
    return { images, labels };
  });
}

async function* batches(n: number): AsyncGenerator<TrainBatch> {
  for (let i = 0; i < n; i++) yield batch(i);
}

describeEachBackend('the losses in training', () => {
  for (const [name, loss] of Object.entries(LOSSES)) {
    it(`${name}: the layer-by-layer step has the tape's gradients`, async () => {
      const model = tinyModel(3);
      expect(layerBackpropSupported(model)).toBe(true);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const { images, labels } = batch(7);
      await expectNoTensorLeak(async () => {
        const ours = modelGradients(model, [images], ([logits]) => loss(labels, logits), vars);
        const tape = tf.variableGrads(() => loss(labels, model.apply(images, { training: true }) as tf.Tensor), vars);
        expect((await ours.value.data())[0]).toBeCloseTo((await tape.value.data())[0], 5);
        for (const v of vars) expect(await relativeError(ours.grads[v.name], tape.grads[v.name]), v.name).toBeLessThan(1e-4);
        tf.dispose([ours.value, tape.value, ...Object.values(ours.grads), ...Object.values(tape.grads)]);
      });
      tf.dispose([images, labels]);
      model.dispose();
    });

    it(`${name}: Trainer steps lower it on a learnable problem`, async () => {
      const trainer = new Trainer({ model: tinyModel(1), loss, groups: [{ name: 'all', learningRate: 0.05 }], data: batches(40) });
      const losses: number[] = [];
      await trainer.fit({ steps: 40, callbacks: [{ onStepEnd: ({ loss }) => void losses.push(loss) }] });
      const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(mean(losses.slice(-8))).toBeLessThan(0.8 * mean(losses.slice(0, 8)));
    });
  }
});
