import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { deeplabV3Plus } from './deeplab-v3-plus.js';
import { normalize } from '../inference/preprocess.js';

const SIZE = 64;
const CLASSES = 3;

/** Deterministic images: textured background (class 0), a reddish rectangle (1) and a bluish disk (2) at varying places. */
function syntheticBatch(count: number): { images: tf.Tensor4D; labels: tf.Tensor4D } {
  let s = 12345;
  const rand = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  const pixels = new Float32Array(count * SIZE * SIZE * 3);
  const labels = new Float32Array(count * SIZE * SIZE);
  for (let n = 0; n < count; n++) {
    const rx = Math.floor(rand() * 30);
    const ry = Math.floor(rand() * 30);
    const [rw, rh] = [14 + Math.floor(rand() * 16), 14 + Math.floor(rand() * 16)];
    const [cx, cy, r] = [16 + rand() * 32, 16 + rand() * 32, 8 + rand() * 8];
    for (let y = 0; y < SIZE; y++) {
      for (let x = 0; x < SIZE; x++) {
        const i = (n * SIZE + y) * SIZE + x;
        let label = 0;
        if (x >= rx && x < rx + rw && y >= ry && y < ry + rh) label = 1;
        if ((x - cx) ** 2 + (y - cy) ** 2 < r * r) label = 2;
        const noise = 30 * rand();
        const rgb = label === 1 ? [200, 60, 50] : label === 2 ? [40, 70, 210] : [110 + noise, 120 + noise, 100 + noise];
        pixels.set(rgb.map((v) => v + 20 * rand()), 3 * i);
        labels[i] = label;
      }
    }
  }
  return tf.tidy(() => ({
    images: normalize(tf.tensor4d(pixels, [count, SIZE, SIZE, 3])),
    labels: tf.tensor4d(labels, [count, SIZE, SIZE, 1]),
  }));
}

// wasm only: it is the CPU backend users train on, and the one that lacked the conv gradient kernels.
describe('DeepLabV3+ training [wasm]', () => {
  beforeAll(() => useBackend('wasm'));
  it('a tiny resnet18 DeepLabV3+ overfits a handful of synthetic 64x64 images with fit()', async () => {
    const model = deeplabV3Plus({
      backbone: 'resnet18',
      outputStride: 16,
      numClasses: CLASSES,
      lowLevelChannels: 8,
      decoderChannels: 16,
      dropout: 0,
      backboneOptions: { baseWidth: 8, blocks: [1, 1, 1, 1] },
    });
    const { images, labels } = syntheticBatch(4);
    // fit() accepts [N, H, W, 1] class ids only with tfjs's own sparse CE, which
    // expects probabilities: train a softmax head that shares the model's weights.
    const probabilities = tfl.layers.softmax({ axis: -1 }).apply(model.outputs[0]) as tfl.SymbolicTensor;
    const trainable = tfl.model({ inputs: model.inputs, outputs: probabilities });
    trainable.compile({ optimizer: tf.train.adam(0.01), loss: 'sparseCategoricalCrossentropy' });
    const options = { batchSize: 4, shuffle: false, verbose: 0 } as const;
    // The first step creates the optimizer's slots; after that the tensor count must stay flat.
    const first = (await trainable.fit(images, labels, { ...options, epochs: 1 })).history.loss[0] as number;
    const before = tf.memory().numTensors;
    const history = await trainable.fit(images, labels, { ...options, epochs: 39 });
    expect(tf.memory().numTensors).toBe(before);
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(first / 4);
    const accuracy = tf.tidy(() => {
      const predicted = tf.argMax(model.predict(images) as tf.Tensor, -1);
      return tf.mean(tf.cast(tf.equal(predicted, tf.cast(tf.squeeze(labels, [3]), 'int32')), 'float32')).dataSync()[0];
    });

    expect(accuracy).toBeGreaterThan(0.9);
    tf.dispose([images, labels]);
    model.dispose();
  });
});
