import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, roundTripInMemory } from '../../../../test-utils/backends.js';
import { maxAbsDiff, relativeError } from '../../../../test-utils/compare.js';
import { resnet } from '../backbones/resnet.js';
import '../registration.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import { aspp, asppRatesFor, spatialDropout2d } from './aspp.js';
import { resizeBilinear } from './resize-bilinear.js';

// torchvision's ASPP(in 8, rates [2, 3, 5], out 16) in eval mode, from scripts/fixtures/resnet_parity.py.
const FIXTURES = new URL('../../fixtures/resnet-parity/', import.meta.url);
const reference = parseSafetensors(readFileSync(new URL('reference.safetensors', FIXTURES)));
const state = parseSafetensors(readFileSync(new URL('aspp.safetensors', FIXTURES)));
const refTensor = (key: string) => {
  const t = reference.tensors.get(key)!;
  return tf.tensor(safetensorsToFloat32(t), t.shape);
};

/**
 * Copies a torch state dict onto layers named after its modules: the test's
 * own mapping (OIHW → HWIO by index arithmetic), independent of the loader.
 */
function assignTorchState(model: tfl.LayersModel): void {
  const modules = new Set([...state.tensors.keys()].map((k) => k.slice(0, k.lastIndexOf('.'))));
  for (const module of modules) {
    const get = (p: string) => state.tensors.get(`${module}.${p}`);
    const layer = model.getLayer(module);
    const w = get('weight')!;
    if (w.shape.length === 4) {
      const [o, i, h, k] = w.shape;
      const src = safetensorsToFloat32(w);
      const hwio = new Float32Array(src.length);
      src.forEach((v, n) => {
        const [oo, ii, hh, kk] = [Math.floor(n / (i * h * k)), Math.floor(n / (h * k)) % i, Math.floor(n / k) % h, n % k];
        hwio[((hh * k + kk) * i + ii) * o + oo] = v;
      });
      layer.setWeights([tf.tensor(hwio, [h, k, i, o])]);
    } else {
      layer.setWeights(['weight', 'bias', 'running_mean', 'running_var'].map((p) => tf.tensor(safetensorsToFloat32(get(p)!))));
    }
  }
}

describeEachBackend('aspp', () => {
  it("matches torchvision's ASPP in eval mode on a 9×11 input", async () => {
    const model = aspp({ inputChannels: 8, rates: [2, 3, 5], filters: 16 });
    assignTorchState(model);
    const x = refTensor('aspp.input');
    const ref = refTensor('aspp.output');
    await expectNoTensorLeak(async () => {
      const y = model.predict(x) as tf.Tensor;
      expect(y.shape).toEqual([1, 9, 11, 16]);
      expect(await relativeError(y, ref)).toBeLessThanOrEqual(1e-4);
      y.dispose();
    });
    tf.dispose([x, ref]);
    model.dispose();
  });

  it('picks the rates of the output stride and takes any input size', () => {
    const rate = (m: tfl.LayersModel, i: number) => m.getLayer(`convs.${i}.0`).getConfig().dilationRate;
    const os16 = aspp({ inputChannels: 4, filters: 8 });
    const os8 = aspp({ inputChannels: 4, filters: 8, outputStride: 8 });
    expect([1, 2, 3].map((i) => rate(os16, i))).toEqual([[6, 6], [12, 12], [18, 18]]);
    expect([1, 2, 3].map((i) => rate(os8, i))).toEqual([[12, 12], [24, 24], [36, 36]]);
    for (const shape of [[2, 1, 1, 4], [1, 7, 3, 4], [1, 20, 13, 4]]) {
      const y = tf.tidy(() => (os8.predict(tf.ones(shape)) as tf.Tensor).shape);
      expect(y).toEqual([...shape.slice(0, 3), 8]);
    }
    expect(os8.outputs[0].shape).toEqual([null, null, null, 8]);
    os16.dispose();
    os8.dispose();
  });

  it('broadcasts the image-pooling branch: relu(bn(conv(mean))) at every pixel', async () => {
    const model = aspp({ inputChannels: 3, filters: 4 });
    const branch = tfl.model({ inputs: model.inputs, outputs: model.getLayer('convs.4.resize').output as tfl.SymbolicTensor });
    const x = tf.randomNormal([1, 5, 6, 3], 0, 1, 'float32', 7);
    const [got, expected] = tf.tidy(() => {
      const [kernel] = model.getLayer('convs.4.1').getWeights();
      const [gamma, beta, mean, variance] = model.getLayer('convs.4.2').getWeights();
      const pooled = tf.matMul(tf.reshape(tf.mean(x, [1, 2]), [1, 3]), tf.reshape(kernel, [3, 4]));
      const expected = tf.relu(tf.add(tf.mul(tf.div(tf.sub(pooled, mean), tf.sqrt(tf.add(variance, 1e-5))), gamma), beta));
      return [branch.predict(x) as tf.Tensor, tf.broadcastTo(tf.reshape(expected, [1, 1, 1, 4]), [1, 5, 6, 4])];
    });
    expect(got.shape).toEqual([1, 5, 6, 4]);
    expect(await maxAbsDiff(got, expected)).toBeLessThan(1e-5);
    tf.dispose([x, got, expected]);
    model.dispose();
  });

  it('round-trips model.save → loadLayersModel with identical outputs (plain and separable)', async () => {
    for (const separable of [false, true]) {
      const model = aspp({ inputChannels: 6, filters: 8, rates: [2, 3, 4], separable });
      const loaded = await roundTripInMemory(model);
      const x = tf.randomNormal([2, 7, 5, 6], 0, 1, 'float32', 11);
      const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
      expect(await maxAbsDiff(a, b)).toBe(0);
      expect(model.countParams()).toBe(loaded.countParams());
      tf.dispose([x, a, b]);
      model.dispose();
      loaded.dispose();
    }
  });

  it.each([false, true])('trains with a dilated ResNet-18 trunk (separable %s): fit() lowers the loss, tensor count flat', async (separable) => {
    // Reduced widths keep the step cheap; OS 8 puts dilated convs in layer3/layer4 and the ASPP.
    const trunk = resnet({ depth: 18, outputStride: 8, blocks: [1, 1, 1, 1], baseWidth: 8 });
    const head = aspp({ inputChannels: 64, filters: 16, outputStride: 8, rates: [2, 4, 6], separable, dropout: 0.1 });
    const input = tfl.input({ shape: [32, 32, 3] });
    const [high] = trunk.apply(input) as tfl.SymbolicTensor[];
    const logits = tfl.layers.conv2d({ filters: 3, kernelSize: 1, name: 'classifier' }).apply(head.apply(high));
    const up = resizeBilinear({ name: 'upsample' }).apply([logits as tfl.SymbolicTensor, input]);
    const probs = tfl.layers.softmax({ axis: -1, name: 'softmax' }).apply(up) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: input, outputs: probs });
    model.compile({ optimizer: tf.train.adam(3e-3), loss: 'categoricalCrossentropy' });
    // Labels are the quadrant of each pixel (3 classes): learnable from position via padding and pooling.
    const xs = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 5);
    const ys = tf.tidy(() => {
      const cls = tf.tensor2d(Array.from({ length: 32 * 32 }, (_, i) => ((i % 32 < 16 ? 0 : 1) + (i < 512 ? 0 : 1)) % 3), [32, 32], 'int32');
      return tf.stack([tf.oneHot(cls, 3), tf.oneHot(cls, 3)]);
    });
    const first = await model.fit(xs, ys, { epochs: 1, batchSize: 2, verbose: 0 });
    const rest = await expectNoTensorLeak(() => model.fit(xs, ys, { epochs: 5, batchSize: 2, verbose: 0 }));
    const losses = [...first.history.loss, ...rest.history.loss] as number[];
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.8);
    tf.dispose([xs, ys]);
    model.dispose();
  });
});

describeEachBackend('aspp dropout and bias options', () => {
  it('spatialDropout2d zeroes whole channels per sample in training and nothing at inference', async () => {
    const layer = spatialDropout2d(0.5, 'drop');
    const x = tf.ones([3, 4, 5, 16]);
    const y = layer.apply(x, { training: true }) as tf.Tensor;
    const v = (await y.array()) as number[][][][];
    let dropped = 0;
    for (let n = 0; n < 3; n++) {
      for (let c = 0; c < 16; c++) {
        const values = new Set(v[n].flatMap((row) => row.map((px) => px[c])));
        // One value per (sample, channel): 0 when dropped, 1 / (1 - 0.5) = 2 when kept.
        expect(values.size).toBe(1);
        const [only] = values;
        expect([0, 2]).toContain(only);
        if (only === 0) dropped++;
      }
    }
    // 48 channels at rate 0.5: all kept or all dropped has odds 2^-47.
    expect(dropped).toBeGreaterThan(0);
    expect(dropped).toBeLessThan(48);
    const inference = layer.apply(x, { training: false }) as tf.Tensor;
    expect(await maxAbsDiff(inference, x)).toBe(0);
    tf.dispose([x, y, inference]);
  });

  it('adds a spatial dropout after every branch, conv biases on request, and round-trips', async () => {
    const model = aspp({ inputChannels: 4, filters: 8, rates: [4, 8, 14], branchDropout: 0.5, spatialDropout: true, useBias: true });
    const names = model.layers.map((l) => l.name);
    for (const b of [0, 1, 2, 3, 4]) expect(names).toContain(`convs.${b}.dropout`);
    expect(model.getLayer('project.3').getConfig().noiseShape).toEqual([null, 1, 1, null]);
    expect(model.getLayer('convs.2.0').getConfig().dilationRate).toEqual([8, 8]);
    for (const conv of ['convs.0.0', 'convs.1.0', 'convs.4.1', 'project.0']) expect(model.getLayer(conv).getWeights()).toHaveLength(2);
    const plain = aspp({ inputChannels: 4, filters: 8 });
    expect(plain.layers.some((l) => l.name.endsWith('.dropout'))).toBe(false);
    expect(plain.getLayer('convs.0.0').getWeights()).toHaveLength(1);
    // A bias of 8 on each of six convolutions: four branches, the pooling branch, the projection.
    expect(model.countParams() - plain.countParams()).toBe(6 * 8);
    const loaded = await roundTripInMemory(model);
    const x = tf.randomNormal([1, 6, 5, 4], 0, 1, 'float32', 3);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(await maxAbsDiff(a, b)).toBe(0);
    tf.dispose([x, a, b]);
    for (const m of [model, plain, loaded]) m.dispose();
  });

  it('asppRatesFor scales the paper rates with the output stride', () => {
    expect(asppRatesFor(16)).toEqual([6, 12, 18]);
    expect(asppRatesFor(8)).toEqual([12, 24, 36]);
    expect(asppRatesFor(32)).toEqual([3, 6, 9]);
  });
});

describe('aspp config errors', () => {
  it('names the bad value', () => {
    expect(() => aspp({ inputChannels: 0 })).toThrow(/inputChannels must be a positive integer .* got 0/);
    expect(() => aspp({ inputChannels: 4, outputStride: 4 as 8 })).toThrow('aspp: outputStride is 4; expected one of 8, 16, 32');
    expect(() => aspp({ inputChannels: 4, rates: [6, 12] as never })).toThrow('aspp: rates is [6,12]; expected three positive integers');
    expect(() => aspp({ inputChannels: 4, filters: 2.5 })).toThrow('aspp: filters is 2.5; expected a positive integer');
    expect(() => aspp({ inputChannels: 4, separable: 'yes' as never })).toThrow('aspp: separable is "yes"; expected true or false');
    expect(() => aspp({ inputChannels: 4, dropout: 1 })).toThrow('aspp: dropout is 1; expected a rate in [0, 1)');
    expect(() => aspp({ inputChannels: 4, branchDropout: -0.1 })).toThrow('aspp: branchDropout is -0.1; expected a rate in [0, 1)');
    expect(() => aspp({ inputChannels: 4, separableAspp: true } as never)).toThrow('aspp: separableAspp is not an ASPP option; expected one of rates, filters, separable');
  });
});
