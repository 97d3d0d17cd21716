import { readFileSync } from 'node:fs';
import * as tfl from '@tensorflow/tfjs-layers';
import { BACKBONE_NAMES, parseSafetensors, safetensorsToFloat32 } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, useBackend } from '../../../../test-utils/backends.js';
import { DEEPLAB_OUTPUT_STRIDES, type DeepLabOutputStride, type DeepLabV3PlusConfig } from './config.js';
import { deeplabV3Plus } from './deeplab-v3-plus.js';
import { loadTrunkWeights } from '../torchvision/trunk-weights.js';
import { narrowBackboneOptions } from '../../../../test-utils/narrow-backbones.js';

const fixtures = new URL('../../fixtures/deeplab-parity/', import.meta.url);
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(name, fixtures)));
const fixtureConfig = JSON.parse(readFileSync(new URL('config.json', fixtures), 'utf8'));

/** Narrow trunks (torchvision's block counts, 4 channels at stage 1; MobileNetV3 at width 0.25) and a narrow head: real topology, small cost. */
const narrow = (backbone: DeepLabV3PlusConfig['backbone'], outputStride: DeepLabOutputStride): DeepLabV3PlusConfig => ({
  backbone,
  outputStride,
  numClasses: 3,
  lowLevelChannels: 4,
  decoderChannels: 8,
  dropout: 0,
  backboneOptions: narrowBackboneOptions(backbone),
});

/** Copies the torch head weights (`aspp.*`, `decoder.*`, `classifier.*`) onto the layers of the same names, the way any PyTorch DeepLabV3+ state dict maps. */
function loadHeadWeights(model: tfl.LayersModel, bytes: Uint8Array): void {
  const file = parseSafetensors(bytes, 'head');
  const used = new Set<string>();
  const torchName: Record<string, string> = {
    kernel: 'weight',
    bias: 'bias',
    gamma: 'weight',
    beta: 'bias',
    moving_mean: 'running_mean',
    moving_variance: 'running_var',
  };
  const aspp = model.getLayer('aspp') as tfl.LayersModel;
  const layers = [...model.layers.map((l) => ['', l] as const), ...aspp.layers.map((l) => ['aspp.', l] as const)];
  for (const [prefix, layer] of layers) {
    if (layer.weights.length === 0 || layer.name === 'aspp' || layer.name === fixtureConfig.backbone) continue;
    const values = layer.weights.map((w) => {
      const own = w.originalName.slice(w.originalName.lastIndexOf('/') + 1).replace(/_\d+$/, '');
      const key = `${prefix}${layer.name}.${torchName[own]}`;
      const t = file.tensors.get(key);
      if (!t) throw new Error(`head fixture has no ${key}`);
      used.add(key);
      const data = safetensorsToFloat32(t);
      if (t.shape.length !== 4) return tf.tensor(data, w.shape as number[]);
      return tf.tidy(() => tf.transpose(tf.tensor4d(data, t.shape as [number, number, number, number]), [2, 3, 1, 0]));
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
  const unused = [...file.tensors.keys()].filter((k) => !used.has(k) && !k.endsWith('num_batches_tracked'));
  expect(unused).toEqual([]);
}

describe('deeplabV3Plus shapes', () => {
  beforeAll(() => useBackend('cpu'));
  for (const backbone of BACKBONE_NAMES) {
    for (const outputStride of DEEPLAB_OUTPUT_STRIDES) {
      it(`${backbone} at OS ${outputStride}: [N, H, W, numClasses] logits for 32x32, 65x77 and 48x40; computeOutputShape agrees`, () => {
        const model = deeplabV3Plus(narrow(backbone, outputStride));
        expect(model.outputs[0].shape).toEqual([null, null, null, 3]);
        for (const [n, h, w] of [
          [1, 32, 32],
          [1, 65, 77],
          [2, 48, 40],
        ]) {
          const y = tf.tidy(() => (model.predict(tf.zeros([n, h, w, 3])) as tf.Tensor).shape);
          expect(y).toEqual([n, h, w, 3]);
          expect(model.computeOutputShape([n, h, w, 3])).toEqual([n, h, w, 3]);
        }
        model.dispose();
      });
    }
  }

  it('separable ASPP (the Xception-style head of the paper) keeps the shapes', () => {
    const model = deeplabV3Plus({ ...narrow('resnet50', 16), separableAspp: true });
    expect((model.getLayer('aspp') as tfl.LayersModel).getLayer('convs.1.0').getClassName()).toBe('AtrousSeparableConv2D');
    const shape = tf.tidy(() => (model.predict(tf.zeros([1, 65, 77, 3])) as tf.Tensor).shape);
    expect(shape).toEqual([1, 65, 77, 3]);
    model.dispose();
  });

  it("the reference run's head: ASPP branch dropout and bias, decoder dropouts; shapes kept, no dropout at inference", () => {
    const model = deeplabV3Plus({
      ...narrow('resnet18', 8),
      asppRates: [4, 8, 14],
      asppBranchDropout: 0.5,
      asppBias: true,
      spatialDropout: true,
      decoderDropout: [0.5, 0.5, 0.15],
    });
    const head = model.getLayer('aspp') as tfl.LayersModel;
    expect(head.getLayer('convs.3.0').getConfig().dilationRate).toEqual([14, 14]);
    expect(head.getLayer('convs.4.dropout').getConfig().rate).toBe(0.5);
    expect(['decoder.project.dropout', 'decoder.fuse.0.dropout', 'decoder.fuse.3.dropout'].map((n) => model.getLayer(n).getConfig().rate)).toEqual([
      0.5, 0.5, 0.15,
    ]);
    const x = tf.randomNormal([1, 48, 40, 3], 0, 1, 'float32', 2);
    const [a, b] = [model.predict(x) as tf.Tensor, model.predict(x) as tf.Tensor];
    expect(a.shape).toEqual([1, 48, 40, 3]);
    expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBe(0);
    tf.dispose([x, a, b]);
    model.dispose();
  });

  it('full-width resnet101 (the paper model): symbolic and computed shapes, fixed and free input sizes', () => {
    const free = deeplabV3Plus({ numClasses: 21, outputStride: 8 });
    expect(free.name).toBe('deeplabv3plus_resnet101_os8');
    expect(free.outputs[0].shape).toEqual([null, null, null, 21]);
    expect(free.computeOutputShape([1, 513, 513, 3])).toEqual([1, 513, 513, 21]);
    const trunk = free.getLayer('resnet101') as tfl.LayersModel;
    expect(trunk.outputs.map((o) => o.shape)).toEqual([
      [null, null, null, 2048],
      [null, null, null, 256],
    ]);
    expect(free.getLayer('decoder.project.0').getWeights()[0].shape).toEqual([1, 1, 256, 48]);
    expect(free.getLayer('decoder.fuse.0').getWeights()[0].shape).toEqual([3, 3, 256 + 48, 256]);
    free.dispose();
    const fixed = deeplabV3Plus({ numClasses: 21, backbone: 'resnet50', inputShape: [65, 77, 3] });
    expect(fixed.outputs[0].shape).toEqual([null, 65, 77, 21]);
    fixed.dispose();
  });

  it('builds the same initial weights from the same seed, other weights from another seed or none', () => {
    const weights = (seed?: number) => {
      const model = deeplabV3Plus({ ...narrow('mobilenet_v3_large', 16), seed });
      const values = model.getWeights().map((w) => Array.from(w.dataSync()));
      model.dispose();
      return values;
    };
    const a = weights(3);
    // Another model in between: what ran before must not matter.
    weights();
    expect(weights(3)).toEqual(a);
    const differing = (b: number[][]) => b.filter((w, i) => w.some((v, j) => v !== a[i][j])).length;
    // Every randomly initialised kernel differs (BatchNorm's ones and zeros do not).
    const kernels = deeplabV3Plus(narrow('mobilenet_v3_large', 16));
    const randomKernels = kernels.weights.filter((w) => /kernel/.test(w.originalName)).length;
    kernels.dispose();
    expect(differing(weights(4))).toBe(randomKernels);
    expect(differing(weights())).toBe(randomKernels);
  });

  it('refuses inputs under 32 px, saying which sizes work', () => {
    const model = deeplabV3Plus(narrow('resnet18', 16));
    const x = tf.zeros([1, 31, 40, 3]);
    expect(() => model.predict(x)).toThrow(
      'input_size_guard: input of 40x31 px (width x height) is too small; DeepLabV3+ needs at least 32x32 (any size >= 32 px per side works, e.g. 65x77)',
    );
    expect(() => model.computeOutputShape([1, 64, 20, 3])).toThrow(/input of 20x64 px/);
    x.dispose();
    model.dispose();
  });
});

describeEachBackend('deeplabV3Plus vs a PyTorch DeepLabV3+ (torchvision ResNet trunk + ASPP, paper decoder)', () => {
  const reference = parseSafetensors(fixture('reference.safetensors'), 'reference.safetensors');
  const [, h, w] = fixtureConfig.input as number[];
  for (const outputStride of [16, 8] as const) {
    it(`OS ${outputStride}: logits at 65x77 match torch within 1e-4 of their range; loadTrunkWeights fills the trunk`, async () => {
      const model = deeplabV3Plus({
        backbone: fixtureConfig.backbone,
        outputStride,
        numClasses: fixtureConfig.numClasses,
        lowLevelChannels: fixtureConfig.lowLevelChannels,
        decoderChannels: fixtureConfig.decoderChannels,
        backboneOptions: fixtureConfig.backboneOptions,
      });
      const report = await loadTrunkWeights(model, fixture('trunk.safetensors'));
      expect(report.loaded).toContain('layer4.1.conv2.weight');
      expect(report.ignored.filter((k) => !k.endsWith('num_batches_tracked'))).toEqual(['fc.weight', 'fc.bias']);
      loadHeadWeights(model, fixture(`head-os${outputStride}.safetensors`));
      const expected = safetensorsToFloat32(reference.tensors.get(`os${outputStride}.logits`)!);
      const got = await expectNoTensorLeak(async () => {
        const x = tf.tensor4d(safetensorsToFloat32(reference.tensors.get('input')!), [1, h, w, 3]);
        const y = model.predict(x) as tf.Tensor;
        expect(y.shape).toEqual([1, h, w, fixtureConfig.numClasses]);
        const data = await y.data();
        tf.dispose([x, y]);
        return data;
      });
      let maxErr = 0;
      let maxRef = 0;
      for (let i = 0; i < expected.length; i++) {
        maxErr = Math.max(maxErr, Math.abs(got[i] - expected[i]));
        maxRef = Math.max(maxRef, Math.abs(expected[i]));
      }
      expect(maxRef).toBeGreaterThan(0.1);
      expect(maxErr / maxRef).toBeLessThan(1e-4);
      model.dispose();
    });
  }
});

describe('loadTrunkWeights errors', () => {
  beforeAll(() => useBackend('cpu'));
  it('names the keys of a file that does not fit the trunk and leaves the model untouched', async () => {
    const model = deeplabV3Plus({ ...narrow('resnet18', 16), backboneOptions: fixtureConfig.backboneOptions, decoderChannels: 16 });
    const before = model.getLayer('resnet18').getWeights().map((t) => t.dataSync().slice());
    await expect(loadTrunkWeights(model, fixture('head-os16.safetensors'))).rejects.toThrow(/unexpected key "aspp\.convs\.0\.0\.weight"/);
    const narrowerTrunk = deeplabV3Plus({ ...narrow('resnet18', 16), backboneOptions: { ...fixtureConfig.backboneOptions, baseWidth: 8 } });
    await expect(loadTrunkWeights(narrowerTrunk, fixture('trunk.safetensors'))).rejects.toThrow(/key "conv1\.weight": file shape \[4, 3, 7, 7\] but the model expects \[8, 3, 7, 7\]/);
    const after = model.getLayer('resnet18').getWeights().map((t) => t.dataSync());
    after.forEach((a, i) => {
      expect(Array.from(a)).toEqual(Array.from(before[i]));
    });
    model.dispose();
    narrowerTrunk.dispose();
  });

  it('refuses a model without a ResNet trunk', async () => {
    const plain = tfl.sequential({ layers: [tfl.layers.dense({ units: 1, inputShape: [1] })] });
    await expect(loadTrunkWeights(plain, fixture('trunk.safetensors'))).rejects.toThrow(/has no trunk sub-model named resnet18 \| resnet34 \| resnet50 \| resnet101 \| mobilenet_v3_large/);
  });
});
