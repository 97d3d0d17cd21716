import type { Pixels } from '@seg/core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak } from '../../../../test-utils/backends.js';
import { randomRgbImage } from '../../../../test-utils/images.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { IMAGENET_MEAN, IMAGENET_STD } from './preprocess.js';
import { segment } from './segment.js';

/** A per-pixel "model" whose logits are the normalised RGB values themselves: its answer is computable by hand. */
function identityModel(): tfl.LayersModel {
  const model = tfl.sequential({
    layers: [tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 3, kernelSize: 1, useBias: false })],
  });
  const eye = tf.tensor4d([1, 0, 0, 0, 1, 0, 0, 0, 1], [1, 1, 3, 3]);
  model.setWeights([eye]);
  eye.dispose();
  return model;
}

/** A model with a spatially asymmetric 3x3 kernel, so mirroring the input does not mirror its output. */
function asymmetricModel(classes: number): tfl.LayersModel {
  return tfl.sequential({
    layers: [
      tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', kernelInitializer: tfl.initializers.glorotNormal({ seed: 1 }) }),
      tfl.layers.conv2d({ filters: classes, kernelSize: 3, padding: 'same', kernelInitializer: tfl.initializers.glorotNormal({ seed: 2 }) }),
    ],
  });
}

function mirror<T extends ArrayLike<number> & { slice(): T }>(values: T, width: number, height: number, channels: number): T {
  const out = values.slice() as unknown as number[];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < channels; c++) out[(y * width + x) * channels + c] = values[(y * width + (width - 1 - x)) * channels + c];
    }
  }
  return out as unknown as T;
}

describeEachBackend('segment', () => {
  let identity: tfl.LayersModel;
  let asymmetric: tfl.LayersModel;
  beforeAll(() => {
    identity = identityModel();
    asymmetric = asymmetricModel(5);
  });
  afterAll(() => {
    identity.dispose();
    asymmetric.dispose();
  });

  it('labels each pixel with the arg-max class and scores it with its softmax probability', async () => {
    const image = randomRgbImage(33, 35, 3);
    const result = await segment(identity, image, { returnScores: true });
    expect(result.width).toBe(33);
    expect(result.height).toBe(35);
    expect(result.labels).toBeInstanceOf(Uint8Array);
    for (let i = 0; i < 33 * 35; i++) {
      const z = [0, 1, 2].map((c) => (image.data[3 * i + c] / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c]);
      const best = z.indexOf(Math.max(...z));
      const p = Math.exp(z[best]) / z.reduce((a, v) => a + Math.exp(v), 0);
      expect(result.labels[i]).toBe(best);
      expect(result.scores![i]).toBeCloseTo(p, 5);
    }
  });

  it('flip TTA gives the mirrored result on a mirrored input', async () => {
    const image = randomRgbImage(41, 37, 11);
    const mirrored: Pixels = { ...image, data: mirror(image.data, 41, 37, 3) };
    const a = await segment(asymmetric, image, { flip: true, returnScores: true });
    const b = await segment(asymmetric, mirrored, { flip: true, returnScores: true });
    expect(Array.from(b.labels)).toEqual(Array.from(mirror(a.labels, 41, 37, 1)));
    const ma = mirror(a.scores!, 41, 37, 1);
    b.scores!.forEach((v, i) => {
      expect(v).toBeCloseTo(ma[i], 5);
    });
    // Without TTA the asymmetric model is not mirror-equivariant, so the check above is not vacuous.
    const c = await segment(asymmetric, image);
    const d = await segment(asymmetric, mirrored);
    expect(Array.from(d.labels)).not.toEqual(Array.from(mirror(c.labels, 41, 37, 1)));
  });

  it('flip TTA leaves a mirror-equivariant (per-pixel) model unchanged', async () => {
    const image = randomRgbImage(32, 32, 5);
    const plain = await segment(identity, image, { returnScores: true });
    const flipped = await segment(identity, image, { flip: true, returnScores: true });
    expect(Array.from(flipped.labels)).toEqual(Array.from(plain.labels));
    flipped.scores!.forEach((v, i) => {
      expect(v).toBeCloseTo(plain.scores![i], 5);
    });
  });

  it('multi-scale inference returns the input size and agrees with one scale on a constant image', async () => {
    const data = new Uint8Array(50 * 40 * 3);
    for (let i = 0; i < data.length; i += 3) data.set([200, 30, 90], i);
    const image: Pixels = { data, width: 50, height: 40, channels: 3 };
    const one = await segment(identity, image, { returnScores: true });
    const many = await segment(identity, image, { scales: [1, 1.5, 0.8], flip: true, returnScores: true });
    expect(many.width).toBe(50);
    expect(many.height).toBe(40);
    expect(many.labels.length).toBe(2000);
    expect(Array.from(many.labels)).toEqual(Array.from(one.labels));
    many.scores!.forEach((v, i) => {
      expect(v).toBeCloseTo(one.scores![i], 5);
    });
  });

  it('leaks no tensors, with or without TTA, and on errors', async () => {
    const image = randomRgbImage(40, 36, 9);
    await expectNoTensorLeak(() => segment(asymmetric, image));
    await expectNoTensorLeak(() => segment(asymmetric, image, { flip: true, scales: [1, 1.25], returnScores: true }));
    await expectNoTensorLeak(() => expect(segment(asymmetric, image, { scales: [0.5] })).rejects.toThrow());
    const shrinking = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 2, kernelSize: 2, strides: 2 })] });
    await expectNoTensorLeak(() => expect(segment(shrinking, image)).rejects.toThrow(/maps a \[1, 36, 40, 3\] input to \[1, 18, 20, 2\]/));
    shrinking.dispose();
  });

  it('refuses scales that shrink the image below 32 px, naming the scale', async () => {
    await expect(segment(identity, randomRgbImage(40, 36, 1), { scales: [1, 0.5] })).rejects.toThrow(
      'segment: scale 0.5 turns the 40x36 image into 20x18; scales must be positive and keep both sides >= 32 px',
    );
    await expect(segment(identity, randomRgbImage(40, 36, 1), { scales: [] })).rejects.toThrow(/scales is empty/);
  });

  it('returns Int32Array labels for more than 256 classes', async () => {
    const many = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 300, kernelSize: 1 })] });
    const result = await segment(many, randomRgbImage(32, 32, 2));
    expect(result.labels).toBeInstanceOf(Int32Array);
    expect(Math.max(...result.labels)).toBeLessThan(300);
    many.dispose();
  });
});

describeEachBackend('segment with a DeepLabV3+ model', () => {
  let model: tfl.LayersModel;
  beforeAll(() => {
    model = deeplabV3Plus({
      backbone: 'resnet18',
      numClasses: 4,
      lowLevelChannels: 4,
      decoderChannels: 8,
      backboneOptions: { baseWidth: 4, blocks: [1, 1, 1, 1] },
    });
  });
  afterAll(() => model.dispose());

  it('leaks no tensors and flip TTA mirrors its result on a mirrored 65x77 input', async () => {
    const image = randomRgbImage(65, 77, 21);
    const mirrored: Pixels = { ...image, data: mirror(image.data, 65, 77, 3) };
    const options = { flip: true, scales: [1, 0.75], returnScores: true };
    const a = await expectNoTensorLeak(() => segment(model, image, options));
    const b = await expectNoTensorLeak(() => segment(model, mirrored, options));
    expect([a.width, a.height, a.labels.length]).toEqual([65, 77, 65 * 77]);
    const ma = mirror(a.scores!, 65, 77, 1);
    // A random model ties two classes at a few pixels, where float rounding of the two orders picks either:
    // such a pixel's winning probability is the same both ways; any other mismatch would be a mirroring bug.
    const la = mirror(a.labels, 65, 77, 1);
    const differing = Array.from(b.labels).flatMap((l, i) => (l === la[i] ? [] : [i]));
    expect(differing.length).toBeLessThanOrEqual(5);
    for (const i of differing) expect(Math.abs(b.scores![i] - ma[i])).toBeLessThan(1e-5);
    b.scores!.forEach((v, i) => {
      expect(v).toBeCloseTo(ma[i], 5);
    });
  });
});
