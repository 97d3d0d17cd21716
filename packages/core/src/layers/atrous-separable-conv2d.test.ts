import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, roundTripInMemory } from '../../../../test-utils/backends.js';
import { maxAbsDiff } from '../../../../test-utils/compare.js';
import { AtrousSeparableConv2D, atrousSeparableConv2d } from './atrous-separable-conv2d.js';

describeEachBackend('AtrousSeparableConv2D', () => {
  it('computes what tf.layers.separableConv2d computes with the same weights', async () => {
    const [y, yTheirs] = tf.tidy(() => {
      const x = tf.randomNormal([2, 11, 9, 5], 0, 1, 'float32', 1);
      const args = { filters: 3, kernelSize: 3, padding: 'same', dilationRate: 3, depthMultiplier: 2 } as const;
      const ours = atrousSeparableConv2d({ ...args, activation: 'relu' });
      const theirs = tfl.layers.separableConv2d({ ...args, activation: 'relu' });
      const y = ours.apply(x) as tf.Tensor;
      theirs.apply(x);
      theirs.setWeights(ours.getWeights());
      expect(y.shape).toEqual([2, 11, 9, 3]);
      expect(y.shape).toEqual(ours.computeOutputShape(x.shape));
      return [y, theirs.apply(x) as tf.Tensor];
    });
    expect(await maxAbsDiff(y, yTheirs)).toBeLessThan(1e-5);
    tf.dispose([y, yTheirs]);
  });

  it("has SeparableConv2D's weights and config", () => {
    const layer = atrousSeparableConv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2 });
    tf.tidy(() => {
      layer.apply(tf.zeros([1, 7, 7, 6]));
    });
    expect(layer.weights.map((w) => [w.originalName.split('/').pop(), w.shape])).toEqual([
      ['depthwise_kernel', [3, 3, 6, 1]],
      ['pointwise_kernel', [1, 1, 6, 4]],
      ['bias', [4]],
    ]);
    const { name: _a, ...ours } = layer.getConfig();
    const { name: _b, ...theirs } = tfl.layers
      .separableConv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 2 })
      .getConfig();
    expect(ours).toEqual(theirs);
    expect(layer.getClassName()).toBe('AtrousSeparableConv2D');
  });

  it('trains with fit() at dilation 2, loss falls, and reloads with identical outputs', async () => {
    const input = tfl.input({ shape: [9, 11, 4] });
    const sep = atrousSeparableConv2d({
      filters: 5,
      kernelSize: 3,
      padding: 'same',
      dilationRate: 2,
      depthwiseInitializer: tfl.initializers.glorotUniform({ seed: 1 }),
    }).apply(input) as tfl.SymbolicTensor;
    const head = tfl.layers
      .conv2d({ filters: 2, kernelSize: 1, kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) })
      .apply(tfl.layers.reLU().apply(sep) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: head });
    model.compile({ optimizer: tf.train.adam(0.02), loss: 'meanSquaredError' });
    const x = tf.randomNormal([6, 9, 11, 4], 0, 1, 'float32', 3);
    const y = tf.randomNormal([6, 9, 11, 2], 0, 1, 'float32', 4);
    const losses = (await model.fit(x, y, { epochs: 8, batchSize: 3, shuffle: false, verbose: 0 })).history
      .loss as number[];
    expect(losses[losses.length - 1]).toBeLessThan(0.9 * losses[0]);

    const reloaded = await roundTripInMemory(model);
    expect(reloaded.layers[1]).toBeInstanceOf(AtrousSeparableConv2D);
    const outputs = [model.predict(x) as tf.Tensor, reloaded.predict(x) as tf.Tensor];
    expect(await maxAbsDiff(outputs[0], outputs[1])).toBe(0);
    tf.dispose(outputs);
    tf.dispose([x, y]);
    model.dispose();
    reloaded.dispose();
  });
});

describe('AtrousSeparableConv2D bad input', () => {
  it('rejects stride > 1 together with dilation > 1, naming both', () => {
    expect(() => atrousSeparableConv2d({ filters: 2, kernelSize: 3, strides: [2, 1], dilationRate: 2 })).toThrow(
      /AtrousSeparableConv2D: strides \[2,1\] with dilationRate \[2,2\] is not supported/,
    );
  });
});
