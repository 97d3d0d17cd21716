import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { scalarOf } from '../../../../test-utils/compare.js';
import { resnet } from '../backbones/resnet.js';
import '../registration.js';
import { aspp } from '../layers/aspp.js';
import { atrousConv2d } from '../layers/atrous-conv2d.js';
import { atrousSeparableConv2d } from '../layers/atrous-separable-conv2d.js';
import { batchNormAct } from '../layers/batch-norm-act.js';
import { resizeBilinear } from '../layers/resize-bilinear.js';
import { sparseSoftmaxCrossEntropy } from '../losses/cross-entropy.js';
import { Trainer } from '../train/trainer.js';
import { layerBackpropSupported, modelGradients, unsupportedLayers } from './model-gradients.js';

/**
 * A small segmentation net with every layer kind the library's models use:
 * a nested ResNet (padding, strided and dilated convs, BN + ReLU, max pool,
 * residual adds) with two outputs, a nested ASPP (global pooling, reshape,
 * resize to a reference, concat), a separable conv (recomputed), a seeded
 * dropout, and a biased conv with a ReLU.
 */
function net(): tfl.LayersModel {
  const input = tfl.input({ shape: [32, 32, 3] });
  const trunk = resnet({ depth: 18, outputStride: 8, baseWidth: 4, inputShape: [32, 32, 3] } as never);
  const [high, low] = trunk.apply(input) as tfl.SymbolicTensor[];
  let y = aspp({ inputChannels: 32, outputStride: 8, filters: 6, rates: [1, 2, 3], dropout: 0 }).apply(high) as tfl.SymbolicTensor;
  y = tfl.layers.dropout({ rate: 0.3, seed: 7 }).apply(y) as tfl.SymbolicTensor;
  y = resizeBilinear({ name: 'up' }).apply([y, low]) as tfl.SymbolicTensor;
  y = tfl.layers.concatenate().apply([y, low]) as tfl.SymbolicTensor;
  y = atrousSeparableConv2d({ filters: 5, kernelSize: 3, padding: 'same', dilationRate: 2, name: 'sep' }).apply(y) as tfl.SymbolicTensor;
  y = atrousConv2d({ filters: 4, kernelSize: 1, activation: 'relu', name: 'head' }).apply(y) as tfl.SymbolicTensor;
  y = atrousConv2d({ filters: 3, kernelSize: 1, name: 'classifier' }).apply(y) as tfl.SymbolicTensor;
  y = resizeBilinear({ name: 'upsample' }).apply([y, input]) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: y });
}

const close = (a: Float32Array | Int32Array | Uint8Array, b: Float32Array | Int32Array | Uint8Array, tol: number) => {
  let worst = 0;
  let scale = 1e-6;
  for (let i = 0; i < a.length; i++) {
    worst = Math.max(worst, Math.abs(a[i] - b[i]));
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return worst / scale <= tol;
};

/** x³: a user's layer that nobody registered a gradient for. */
class Cube extends tfl.layers.Layer {
  static className = 'Cube';
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => tf.pow(Array.isArray(inputs) ? inputs[0] : inputs, 3));
  }
}

/** Copies of the tensors' values, read back without blocking. */
const read = (tensors: tf.Tensor[]) => Promise.all(tensors.map(async (t) => (await t.data()).slice()));

/** Runs `fn` from `model`'s weights, puts them back, and returns its loss, gradients and the weights after it. */
async function fromSameWeightsOf(model: tfl.LayersModel, fn: () => { value: tf.Scalar; grads: tf.NamedTensorMap }) {
  const start = model.getWeights().map((w) => tf.clone(w));
  const before = await read(start);
  const { value, grads } = fn();
  // Read before setWeights: getWeights hands out the variables themselves.
  const after = await read(model.getWeights());
  model.setWeights(start);
  tf.dispose(start);
  const names = Object.keys(grads);
  const gradValues = await read(names.map((k) => grads[k]));
  const out = { value: await scalarOf(value), grads: Object.fromEntries(names.map((k, i) => [k, gradValues[i]])), before, after };
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

describeEachBackend('modelGradients', () => {
  let model: tfl.LayersModel;
  let images: tf.Tensor;
  let labels: tf.Tensor;
  beforeAll(() => {
    model = net();
    images = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 3);
    labels = tf.randomUniform([2, 32, 32], 0, 3, 'int32', 4);
  });
  const loss = (logits: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, logits);

  it('covers every layer of the net', () => {
    expect(unsupportedLayers(model)).toEqual([]);
    expect(layerBackpropSupported(model)).toBe(true);
  });

  it("equals tfjs's tape: loss, every weight's gradient and the running statistics", async () => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const ours = await fromSameWeightsOf(model, () => modelGradients(model, [images], ([logits]) => loss(logits), vars));
    const tape = await fromSameWeightsOf(model, () => tf.variableGrads(() => loss(model.apply(images, { training: true }) as tf.Tensor), vars));
    expect(ours.value).toBeCloseTo(tape.value, 5);
    for (const v of vars) expect(close(ours.grads[v.name], tape.grads[v.name], 1e-4), v.name).toBe(true);
    // tfjs-layers runs a nested model once per output it feeds (the trunk's two), so the tape's
    // trunk BNs took the same batch statistics s twice: 0.81·old + 0.19·s instead of 0.9·old + 0.1·s.
    const trunkLayers = new Set(model.getLayer('resnet18').weights.map((w) => w.name));
    model.weights.forEach((w, i) => {
      const once = trunkLayers.has(w.name)
        ? tape.after[i].map((twice, j) => 0.9 * tape.before[i][j] + (0.1 * (twice - 0.81 * tape.before[i][j])) / 0.19)
        : tape.after[i];
      expect(close(ours.after[i], once, 1e-4), w.name).toBe(true);
    });
  });

  it('computes only the gradients asked for, frozen layers included', async () => {
    const head = ['head', 'classifier'].flatMap((n) => model.getLayer(n).trainableWeights.map((w) => w.read() as tf.Variable));
    const ours = await fromSameWeightsOf(model, () => modelGradients(model, [images], ([logits]) => loss(logits), head));
    const tape = await fromSameWeightsOf(model, () => tf.variableGrads(() => loss(model.apply(images, { training: true }) as tf.Tensor), head));
    expect(Object.keys(ours.grads).sort()).toEqual(head.map((v) => v.name).sort());
    for (const v of head) expect(close(ours.grads[v.name], tape.grads[v.name], 1e-4), v.name).toBe(true);
  });

  it('leaks no tensors, also when the loss throws', async () => {
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const start = model.getWeights().map((w) => tf.clone(w));
    await expectNoTensorLeak(() => {
      const { value, grads } = modelGradients(model, [images], ([logits]) => loss(logits), vars);
      tf.dispose([value, ...Object.values(grads)]);
    });
    await expectNoTensorLeak(() => {
      expect(() =>
        modelGradients(
          model,
          [images],
          () => {
            throw new Error('boom');
          },
          vars,
        ),
      ).toThrow('boom');
    });
    model.setWeights(start);
    tf.dispose(start);
  });

  it("runs a model with a layer nobody registered through tfjs's tape, naming the layer", async () => {
    const input = tfl.input({ shape: [6, 6, 2] });
    let y = atrousConv2d({ filters: 3, kernelSize: 3, padding: 'same', name: 'before' }).apply(input) as tfl.SymbolicTensor;
    y = new Cube({ name: 'cube' }).apply(y) as tfl.SymbolicTensor;
    y = batchNormAct({ name: 'after' }).apply(y) as tfl.SymbolicTensor;
    const m = tfl.model({ inputs: input, outputs: y });
    expect(unsupportedLayers(m)).toEqual(['cube (Cube)']);
    expect(layerBackpropSupported(m)).toBe(false);
    const x = tf.randomNormal([2, 6, 6, 2], 0, 1, 'float32', 5);
    const direction = tf.randomNormal([2, 6, 6, 3], 0, 1, 'float32', 6);
    const lossOf = ([out]: tf.Tensor[]) => tf.sum(tf.mul(out, direction)) as tf.Scalar;
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const ours = await expectNoTensorLeak(() => fromSameWeightsOf(m, () => modelGradients(m, [x], lossOf, vars)));
    const tape = await fromSameWeightsOf(m, () => tf.variableGrads(() => lossOf([m.apply(x, { training: true }) as tf.Tensor]), vars));
    expect(ours.value).toBeCloseTo(tape.value, 5);
    for (const v of vars) expect(close(ours.grads[v.name], tape.grads[v.name], 1e-6), v.name).toBe(true);
    // Weights that only feed nothing the loss reads get zeros on the tape path too.
    const none = await fromSameWeightsOf(m, () => modelGradients(m, [x], () => tf.scalar(2), vars));
    expect(none.value).toBe(2);
    for (const v of vars) expect(Math.max(...none.grads[v.name].map(Math.abs)), v.name).toBe(0);
    tf.dispose([x, direction]);
    m.dispose();
  });
});

describeEachBackend('a tf.sequential model (issue #17)', () => {
  const args = { inputShape: [24, 24, 3], filters: 5, kernelSize: 3, padding: 'same' as const, kernelInitializer: tfl.initializers.glorotUniform({ seed: 3 }) };
  const layers = { atrousConv2d: () => atrousConv2d(args), 'tf.layers.conv2d': () => tfl.layers.conv2d(args) };
  for (const [name, layer] of Object.entries(layers)) {
    it(`trains layer by layer with ${name}, with the tape's gradients, through Trainer.trainStep`, async () => {
      const model = tfl.sequential({ layers: [layer()] });
      expect(layerBackpropSupported(model)).toBe(true);
      const images = tf.randomUniform([2, 24, 24, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
      // Labels a 3×3 conv can predict exactly: the arg-max of another one.
      const labels = tf.tidy(() => tf.argMax(tf.conv2d(images, tf.randomNormal([3, 3, 3, 5], 0, 1, 'float32', 2) as tf.Tensor4D, 1, 'same'), -1)) as tf.Tensor3D;
      const lossOf = ([logits]: tf.Tensor[]) => sparseSoftmaxCrossEntropy(labels, logits);
      const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
      const ours = await fromSameWeightsOf(model, () => modelGradients(model, [images], lossOf, vars));
      const tape = await fromSameWeightsOf(model, () => tf.variableGrads(() => lossOf([model.apply(images, { training: true }) as tf.Tensor]), vars));
      expect(ours.value).toBeCloseTo(tape.value, 5);
      for (const v of vars) expect(close(ours.grads[v.name], tape.grads[v.name], 1e-5), v.name).toBe(true);

      const trainer = new Trainer({ model, loss: (l, logits) => sparseSoftmaxCrossEntropy(l, logits), groups: [{ name: 'all', learningRate: 0.05 }] });
      const first = await trainer.trainStep({ images, labels });
      let last = first;
      for (let i = 0; i < 5; i++) last = await trainer.trainStep({ images, labels });
      expect(last.loss).toBeLessThan(first.loss);
      tf.dispose([images, labels]);
      model.dispose();
    });
  }
});

describeEachBackend('Trainer on the layer-by-layer path', () => {
  it('keeps the tensor count flat over 100 steps (BN, dropout, Adam, weight decay)', async () => {
    const input = tfl.input({ shape: [8, 8, 3] });
    let y = atrousConv2d({ filters: 6, kernelSize: 3, padding: 'same', useBias: false, name: 'c1' }).apply(input) as tfl.SymbolicTensor;
    y = batchNormAct({ activation: 'relu', name: 'bn1' }).apply(y) as tfl.SymbolicTensor;
    y = tfl.layers.dropout({ rate: 0.2 }).apply(y) as tfl.SymbolicTensor;
    y = atrousConv2d({ filters: 3, kernelSize: 1, name: 'head' }).apply(y) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: y });
    expect(layerBackpropSupported(model)).toBe(true);
    const trainer = new Trainer({
      model,
      loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits),
      groups: [{ name: 'all', learningRate: 0.01, weightDecay: 1e-4 }],
    });
    const images = tf.randomUniform([2, 8, 8, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const labels = tf.cast(tf.argMax(images, -1), 'int32') as tf.Tensor3D;
    const first = await trainer.trainStep({ images, labels });
    const after1 = tf.memory().numTensors;
    let last = first;
    for (let i = 1; i < 100; i++) last = await trainer.trainStep({ images, labels });
    expect(tf.memory().numTensors).toBe(after1);
    expect(last.loss).toBeLessThan(first.loss);
    tf.dispose([images, labels]);
    model.dispose();
  });
});
