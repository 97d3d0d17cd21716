import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, roundTripInMemory } from '../../../../test-utils/backends.js';
import { maxAbsDiff } from '../../../../test-utils/compare.js';
import { AtrousConv2D, atrousConv2d } from './atrous-conv2d.js';

/** A model's artifacts after a round trip through an in-memory save handler. */
/** atrousConv2d(dilation 2) → BN → ReLU → 1×1 conv, the shape of every DeepLab block. */
function atrousBlock(): tfl.LayersModel {
  const input = tfl.input({ shape: [11, 9, 3] });
  const conv = atrousConv2d({
    filters: 6,
    kernelSize: 3,
    padding: 'same',
    dilationRate: 2,
    useBias: false,
    kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }),
  }).apply(input) as tfl.SymbolicTensor;
  const bn = tfl.layers.batchNormalization().apply(conv) as tfl.SymbolicTensor;
  const relu = tfl.layers.reLU().apply(bn) as tfl.SymbolicTensor;
  const head = tfl.layers
    .conv2d({ filters: 2, kernelSize: 1, kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) })
    .apply(relu) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: head });
}

describeEachBackend('AtrousConv2D', (backend) => {
  it('computes what tf.layers.conv2d computes with the same weights', async () => {
    const [ya, yb] = tf.tidy(() => {
      const x = tf.randomNormal([2, 9, 7, 3], 0, 1, 'float32', 1);
      const a = atrousConv2d({ filters: 5, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu' });
      const b = tfl.layers.conv2d({ filters: 5, kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu' });
      const ya = a.apply(x) as tf.Tensor;
      b.apply(x);
      b.setWeights(a.getWeights());
      return [ya, b.apply(x) as tf.Tensor];
    });
    expect(ya.shape).toEqual([2, 9, 7, 5]);
    expect(await maxAbsDiff(ya, yb)).toBeLessThan(1e-5);
    tf.dispose([ya, yb]);
  });

  it("has Conv2D's weights, output shape and config", () => {
    const layer = atrousConv2d({ filters: 4, kernelSize: [3, 2], padding: 'valid', dilationRate: [3, 2] });
    const y = tf.tidy(() => layer.apply(tf.zeros([1, 13, 10, 5])) as tf.Tensor);
    expect(y.shape).toEqual(layer.computeOutputShape([1, 13, 10, 5]));
    expect(y.shape).toEqual([1, 13 - 6, 10 - 2, 4]);
    y.dispose();
    expect(layer.weights.map((w) => [w.originalName.split('/').pop(), w.shape])).toEqual([
      ['kernel', [3, 2, 5, 4]],
      ['bias', [4]],
    ]);
    const conv = tfl.layers.conv2d({ filters: 4, kernelSize: [3, 2], padding: 'valid', dilationRate: [3, 2] });
    const { name: _a, ...ours } = layer.getConfig();
    const { name: _b, ...theirs } = conv.getConfig();
    expect(ours).toEqual(theirs);
    const rebuilt = AtrousConv2D.fromConfig(AtrousConv2D, layer.getConfig()) as AtrousConv2D;
    expect(rebuilt.getConfig()).toEqual(layer.getConfig());
    expect(layer.getClassName()).toBe('AtrousConv2D');
  });

  it('trains atrous → BN → ReLU → 1×1 conv with fit(), and the loss falls', async () => {
    const model = atrousBlock();
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const x = tf.randomNormal([8, 11, 9, 3], 0, 1, 'float32', 3);
    const y = tf.randomNormal([8, 11, 9, 2], 0, 1, 'float32', 4);
    const history = await model.fit(x, y, { epochs: 8, batchSize: 4, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[losses.length - 1]).toBeLessThan(0.9 * losses[0]);

    const reloaded = await roundTripInMemory(model);
    expect(reloaded.layers[1]).toBeInstanceOf(AtrousConv2D);
    const outputs = tf.tidy(() => {
      const probe = tf.randomNormal([2, 11, 9, 3], 0, 1, 'float32', 5);
      return [model.predict(probe) as tf.Tensor, reloaded.predict(probe) as tf.Tensor];
    });
    expect(await maxAbsDiff(outputs[0], outputs[1])).toBe(0);
    tf.dispose(outputs);
    tf.dispose([x, y]);
    model.dispose();
    reloaded.dispose();
  });

  it('keeps the tensor count flat over 10 training steps', async () => {
    const model = atrousBlock();
    model.compile({ optimizer: tf.train.adam(0.01), loss: 'meanSquaredError' });
    const x = tf.randomNormal([4, 11, 9, 3], 0, 1, 'float32', 6);
    const y = tf.randomNormal([4, 11, 9, 2], 0, 1, 'float32', 7);
    await model.trainOnBatch(x, y);
    await expectNoTensorLeak(async () => {
      for (let i = 0; i < 10; i++) await model.trainOnBatch(x, y);
    });
    tf.dispose([x, y]);
    model.dispose();
  });

  it(`trains an ordinary tf.layers.conv2d model with fit() on ${backend}`, async () => {
    // On wasm this needs the Conv2DBackpropFilter kernel registered by @seg/core.
    const model = tfl.sequential({
      layers: [
        tfl.layers.conv2d({ inputShape: [9, 9, 3], filters: 4, kernelSize: 3, strides: 2, padding: 'same' }),
        tfl.layers.conv2d({ filters: 2, kernelSize: 3, padding: 'valid', activation: 'relu' }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const x = tf.randomNormal([6, 9, 9, 3], 0, 1, 'float32', 8);
    const y = tf.randomNormal([6, 3, 3, 2], 0, 1, 'float32', 9);
    const history = await model.fit(x, y, { epochs: 8, batchSize: 3, shuffle: false, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    tf.dispose([x, y]);
    model.dispose();
  });
});

describe('AtrousConv2D bad input', () => {
  it('rejects stride > 1 together with dilation > 1, naming both', () => {
    expect(() => atrousConv2d({ filters: 2, kernelSize: 3, strides: 2, dilationRate: 2 })).toThrow(
      /AtrousConv2D: strides \[2,2\] with dilationRate \[2,2\] is not supported/,
    );
  });

  it("rejects dataFormat 'channelsFirst'", () => {
    expect(() => atrousConv2d({ filters: 2, kernelSize: 3, dataFormat: 'channelsFirst' })).toThrow(
      /AtrousConv2D: dataFormat 'channelsFirst' is not supported; use 'channelsLast'/,
    );
  });
});
