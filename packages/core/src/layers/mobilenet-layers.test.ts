import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, roundTripInMemory } from '../../../../test-utils/backends.js';
import { maxAbsDiff, scalarOf } from '../../../../test-utils/compare.js';
import { layerGradient } from '../backprop/layer-gradient.js';
import { modelGradients } from '../backprop/model-gradients.js';
// The layer-by-layer steps are registered on import of @seg/core, by this module.
import '../registration.js';
import { atrousDepthwiseConv2d } from './atrous-depthwise-conv2d.js';
import { hardSigmoid, hardSwish } from './hard-activations.js';

// PyTorch's values (torch.nn.functional.hardswish / hardsigmoid and their backward), by hand at and around the kinks.
const X = [-4, -3, -1.5, 0, 1, 3, 3.5];
const HARDSWISH = [0, 0, -0.375, 0, 2 / 3, 3, 3.5];
const HARDSWISH_GRAD = [0, -0.5, 0, 0.5, 1 / 3 + 0.5, 1.5, 1];
const HARDSIGMOID = [0, 0, 0.25, 0.5, 2 / 3, 1, 1];
const HARDSIGMOID_GRAD = [0, 0, 1 / 6, 1 / 6, 1 / 6, 0, 0];

describeEachBackend('MobileNetV3 layers', () => {
  it("HardSwish and HardSigmoid are PyTorch's functions, with PyTorch's gradients at the kinks", async () => {
    for (const [layer, values, derivative] of [
      [hardSwish(), HARDSWISH, HARDSWISH_GRAD],
      [hardSigmoid(), HARDSIGMOID, HARDSIGMOID_GRAD],
    ] as const) {
      await expectNoTensorLeak(async () => {
        const x = tf.tensor2d([X]);
        const dy = tf.tensor2d([X.map((_, i) => i + 1)]);
        const step = layerGradient(layer)!.step(layer, [x], true);
        const back = step.backward([dy], { inputs: [true], weights: new Set() });
        const [y, dx] = [await step.outputs[0].data(), await back.inputs[0]!.data()];
        values.forEach((v, i) => {
          expect(y[i]).toBeCloseTo(v, 6);
          expect(dx[i]).toBeCloseTo((i + 1) * derivative[i], 5);
        });
        tf.dispose([x, dy, ...step.outputs, back.inputs[0]!]);
      });
    }
  });

  it('AtrousDepthwiseConv2D applies its dilation (tfjs-layers 4.22 ignores it) and reloads with its config', async () => {
    const input = tfl.input({ shape: [9, 11, 4] });
    const layer = atrousDepthwiseConv2d({ kernelSize: 5, padding: 'same', dilationRate: 2, useBias: true, biasInitializer: 'ones' });
    const model = tfl.model({ inputs: input, outputs: layer.apply(input) as tfl.SymbolicTensor });
    expect(model.outputs[0].shape).toEqual([null, 9, 11, 4]);
    expect(layer.computeOutputShape([null, 9, 11, 4])).toEqual([null, 9, 11, 4]);
    const valid = atrousDepthwiseConv2d({ kernelSize: 3, padding: 'valid', dilationRate: 3, depthMultiplier: 2 });
    expect(valid.computeOutputShape([2, 9, 11, 4])).toEqual([2, 3, 5, 8]);
    const x = tf.randomNormal([2, 9, 11, 4], 0, 1, 'float32', 1);
    const y = model.predict(x) as tf.Tensor;
    const expected = tf.tidy(() => tf.add(tf.depthwiseConv2d(x as tf.Tensor4D, layer.getWeights()[0] as tf.Tensor4D, 1, 'same', 'NHWC', 2), 1));
    expect(await maxAbsDiff(y, expected)).toBeLessThan(1e-5);
    const copy = await roundTripInMemory(model);
    expect(copy.layers[1].getClassName()).toBe('AtrousDepthwiseConv2D');
    const y2 = copy.predict(x) as tf.Tensor;
    expect(await maxAbsDiff(y2, y)).toBe(0);
    tf.dispose([x, y, y2, expected]);
    model.dispose();
    copy.dispose();
  });

  it('a squeeze-excitation block (dilated depthwise, pool, 1×1 convs, gate, broadcast product) gets the tape’s gradients', async () => {
    const input = tfl.input({ shape: [7, 9, 4] });
    let y = atrousDepthwiseConv2d({ kernelSize: 3, padding: 'same', dilationRate: 2, activation: 'relu', name: 'dw' }).apply(input) as tfl.SymbolicTensor;
    let s = tfl.layers.globalAveragePooling2d({}).apply(y) as tfl.SymbolicTensor;
    s = tfl.layers.reshape({ targetShape: [1, 1, 4] }).apply(s) as tfl.SymbolicTensor;
    s = tfl.layers.conv2d({ filters: 2, kernelSize: 1, activation: 'relu', name: 'fc1' }).apply(s) as tfl.SymbolicTensor;
    s = tfl.layers.conv2d({ filters: 4, kernelSize: 1, name: 'fc2' }).apply(s) as tfl.SymbolicTensor;
    s = hardSigmoid().apply(s) as tfl.SymbolicTensor;
    y = hardSwish().apply(tfl.layers.multiply().apply([y, s]) as tfl.SymbolicTensor) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: y });
    const x = tf.randomNormal([2, 7, 9, 4], 0, 1, 'float32', 2);
    const w = tf.randomNormal([2, 7, 9, 4], 0, 1, 'float32', 3);
    const variables = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const loss = (out: tf.Tensor) => tf.sum(tf.mul(out, w)) as tf.Scalar;
    const ours = modelGradients(model, [x], ([out]) => loss(out), variables);
    const tape = tf.variableGrads(() => loss(model.apply(x, { training: true }) as tf.Tensor), variables);
    for (const v of variables) {
      const largest = tf.tidy(() => tf.max(tf.abs(tape.grads[v.name])));
      const scale = await scalarOf(largest);
      largest.dispose();
      expect(await maxAbsDiff(ours.grads[v.name], tape.grads[v.name]), v.name).toBeLessThan(1e-5 * Math.max(1, scale));
    }
    tf.dispose([x, w, ours.value, tape.value, ...Object.values(ours.grads), ...Object.values(tape.grads)]);
    model.dispose();
  });
});
