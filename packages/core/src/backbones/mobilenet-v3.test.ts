import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, roundTripInMemory, useBackend } from '../../../../test-utils/backends.js';
import { relativeError } from '../../../../test-utils/compare.js';
import { formulaArray, formulaStateDict, type StateDictEntry } from '../../../../test-utils/formula-weights.js';
import { layerBackpropSupported, modelGradients } from '../backprop/model-gradients.js';
// The layer-by-layer steps are registered on import of @seg/core, by this module.
import '../registration.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import { makeDivisible, mobileNetV3Blocks, mobileNetV3Large } from './mobilenet-v3.js';
import type { OutputStride } from '../layers/output-stride.js';
import { loadTorchvisionWeights, torchvisionWeightSpecs } from './torchvision-weights.js';

// Outputs and gradients of torchvision's MobileNetV3-Large (width 0.25) with formula weights: scripts/fixtures/torchvision_models.py.
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/mobilenet-v3/${name}`, import.meta.url));
const config = JSON.parse(readFileSync(fixture('config.json'), 'utf8'));
const entries: StateDictEntry[] = JSON.parse(readFileSync(fixture('state-dict.json'), 'utf8'));
const reference = parseSafetensors(readFileSync(fixture('reference.safetensors')));
const refTensor = (key: string) => {
  const t = reference.tensors.get(key)!;
  return tf.tensor(safetensorsToFloat32(t), t.shape);
};
/** torchvision's ImageNet layout: features.* and a classifier the backbone ignores. */
const weights = formulaStateDict(entries);
const image = (seed: number, shape: number[]) => tf.tensor(formulaArray(seed, shape.reduce((a, b) => a * b, 1)), shape);

async function loaded(outputStride: OutputStride, outputs: number[]): Promise<tfl.LayersModel> {
  const model = mobileNetV3Large({ outputStride, widthMultiplier: config.widthMultiplier, outputs });
  const report = await loadTorchvisionWeights(model, weights);
  expect(report.loaded).toContain('features.16.1.running_var');
  expect(report.ignored).toEqual(expect.arrayContaining(['classifier.0.weight', 'features.0.1.num_batches_tracked']));
  return model;
}

describe('mobileNetV3Blocks', () => {
  it("follows torchvision's table: widths rounded to multiples of 8, strides turned into dilation below the output stride", () => {
    expect([0.25, 1].map((w) => makeDivisible(16 * w))).toEqual([8, 16]);
    expect(makeDivisible(0.75 * 40)).toBe(32);
    const rows = (os: OutputStride) => mobileNetV3Blocks(os).map((b) => [b.index, b.stride, b.dilation]);
    expect(rows(32).filter(([, s]) => s === 2).map(([i]) => i)).toEqual([2, 4, 7, 13]);
    expect(rows(16).slice(11)).toEqual([[12, 1, 1], [13, 1, 2], [14, 1, 2], [15, 1, 2]]);
    expect(rows(8).slice(5, 8)).toEqual([[6, 1, 1], [7, 1, 2], [8, 1, 2]]);
    expect(rows(8).slice(12).map(([, , d]) => d)).toEqual([4, 4, 4]);
    const full = mobileNetV3Blocks(16);
    expect(full.map((b) => b.squeeze).filter(Boolean)).toEqual([24, 32, 32, 120, 168, 168, 240, 240]);
    expect(full.filter((b) => b.residual).map((b) => b.index)).toEqual([1, 3, 5, 6, 8, 9, 10, 12, 14, 15]);
  });

  it('refuses unsupported settings, naming them', () => {
    expect(() => mobileNetV3Large({ outputStride: 4 as OutputStride })).toThrow(/mobileNetV3Large: outputStride is 4; expected one of 8, 16, 32/);
    expect(() => mobileNetV3Large({ widthMultiplier: 0 })).toThrow(/widthMultiplier 0 must be positive/);
    expect(() => mobileNetV3Large({ outputs: [17] })).toThrow(/outputs \[17\] must be indices of features, 0…16/);
  });
});

describeEachBackend('mobileNetV3Large vs torchvision (width 0.25, formula weights, 1×97×129 input)', () => {
  for (const os of [8, 16, 32] as const) {
    it(`output stride ${os}: features[16], [4] and [3] within 1e-3 of torch`, async () => {
      const model = await loaded(os, [16, 4, 3]);
      await expectNoTensorLeak(async () => {
        const x = image(config.imageSeed, config.image);
        const outputs = model.predict(x) as tf.Tensor[];
        const expected = [refTensor(`f16.os${os}`), refTensor('f4'), refTensor('f3')];
        for (const [i, y] of outputs.entries()) expect(await relativeError(y, expected[i])).toBeLessThan(1e-3);
        tf.dispose([x, ...outputs, ...expected]);
      });
      model.dispose();
    });
  }

  it('training-mode gradients of every parameter equal torch’s (layer-by-layer engine)', async () => {
    const model = await loaded(16, [16, 3]);
    expect(layerBackpropSupported(model)).toBe(true);
    const specs = torchvisionWeightSpecs(model);
    const x = image(config.trainSeed, config.train);
    const [w16, w3] = (model.predict(x) as tf.Tensor[]).map((y, i) => {
      y.dispose();
      return image(config.lossSeeds[i], y.shape);
    });
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { value, grads } = modelGradients(model, [x], ([f16, f3]) => tf.add(tf.sum(tf.mul(f16, w16)), tf.sum(tf.mul(f3, w3))), variables);
    const largest = [...reference.tensors.values()]
      .filter((t) => t.name.startsWith('grad.'))
      .reduce((m, t) => safetensorsToFloat32(t).reduce((n, v) => Math.max(n, Math.abs(v)), m), 0);
    let checked = 0;
    for (const [key, spec] of specs) {
      if (!reference.tensors.has(`grad.features.${key}`)) continue;
      const got = grads[(spec.layer.weights[spec.index].read() as tf.Variable).name];
      // torch's OIHW (depthwise: C·1, 1, H, W) as tfjs's HWIO (depthwise: H, W, C, 1).
      const perm = !spec.transposeKernel ? undefined : spec.layer.getClassName() === 'AtrousDepthwiseConv2D' ? [2, 3, 0, 1] : [2, 3, 1, 0];
      const expected = tf.tidy(() => (perm ? tf.transpose(refTensor(`grad.features.${key}`), perm) : refTensor(`grad.features.${key}`)));
      const scale = ((await expected.data()) as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      if (scale > 1e-9 * largest) expect(await relativeError(got, expected), key).toBeLessThan(1e-3);
      // A projection BN's bias: the next training-mode BN removes any constant shift, so torch's gradient is 0 and tfjs's float32 noise.
      else expect(((await got.data()) as Float32Array).reduce((m, v) => Math.max(m, Math.abs(v)), 0) / largest, key).toBeLessThan(1e-6);
      expected.dispose();
      checked++;
    }
    expect(checked).toBe(entries.filter(([k]) => k.startsWith('features.') && !/running|num_batches/.test(k)).length);
    tf.dispose([x, w16, w3, value, ...Object.values(grads)]);
    model.dispose();
  });
});

describe('mobileNetV3Large models [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  it('round-trip through model.save / loadLayersModel with identical outputs (dilated, OS 8)', async () => {
    const model = await loaded(8, [16, 3]);
    const copy = await roundTripInMemory(model);
    const x = image(config.imageSeed, [1, 33, 41, 3]);
    const [a, b] = [model.predict(x) as tf.Tensor[], copy.predict(x) as tf.Tensor[]];
    for (const [i, t] of a.entries()) expect(await relativeError(b[i], t)).toBe(0);
    tf.dispose([x, ...a, ...b]);
    model.dispose();
    copy.dispose();
  });

  it('names a file of another width, assigning nothing', async () => {
    const model = mobileNetV3Large({ widthMultiplier: 0.5 });
    const before = model.getWeights().map((w) => w.dataSync().slice());
    await expect(loadTorchvisionWeights(model, weights)).rejects.toThrow(
      /key "features\.2\.block\.0\.0\.weight": file shape \[16, 8, 1, 1\] but the model expects \[32, 8, 1, 1\]/,
    );
    model.getWeights().forEach((w, i) => {
      expect(w.dataSync()).toEqual(before[i]);
    });
    model.dispose();
  });
});
