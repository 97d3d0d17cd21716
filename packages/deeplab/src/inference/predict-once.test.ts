import { evaluateSegmentation } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectNoTensorLeak, roundTripInMemory, useBackend } from '../../../../test-utils/backends.js';
import { DeepLabV3PlusModel } from '../model/deeplab-model.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { segment } from './segment.js';

/** Counts calls of the trunk's stem conv: one per trunk execution, whoever drives it. */
function countTrunkRuns(model: tfl.LayersModel): { readonly count: number; reset(): void } {
  const stem = (model.getLayer('resnet18') as tfl.LayersModel).getLayer('conv1');
  const spy = vi.spyOn(stem, 'call');
  return {
    get count() {
      return spy.mock.calls.length;
    },
    reset: () => spy.mockClear(),
  };
}

async function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const d = tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))));
  const v = (await d.data())[0];
  d.dispose();
  return v;
}

describe('one forward pass: predict(), segment() and evaluation run the trunk once', () => {
  let model: DeepLabV3PlusModel;
  let trunk: ReturnType<typeof countTrunkRuns>;
  let x: tf.Tensor4D;
  beforeAll(async () => {
    await useBackend('cpu');
    model = deeplabV3Plus({
      backbone: 'resnet18',
      numClasses: 3,
      lowLevelChannels: 4,
      decoderChannels: 8,
      backboneOptions: { baseWidth: 4, blocks: [1, 1, 1, 1] },
    });
    trunk = countTrunkRuns(model);
    x = tf.randomNormal([3, 33, 41, 3], 0, 1, 'float32', 7);
  });
  afterAll(() => {
    x.dispose();
    model.dispose();
  });

  it("tfjs-layers' own predict() runs the trunk twice (the cost this fixes)", () => {
    trunk.reset();
    tf.dispose(tfl.LayersModel.prototype.predict.call(model, x));
    expect(trunk.count).toBe(2);
  });

  it('predict() runs it once per batch, with the same logits and no leak', async () => {
    const reference = tfl.LayersModel.prototype.predict.call(model, x) as tf.Tensor;
    trunk.reset();
    await expectNoTensorLeak(() => tf.dispose(model.predict(x)));
    expect(trunk.count).toBe(1);
    const y = model.predict(x) as tf.Tensor;
    expect(y.shape).toEqual([3, 33, 41, 3]);
    expect(await maxAbsDiff(y, reference)).toBeLessThanOrEqual(1e-6);
    trunk.reset();
    const batched = model.predict(x, { batchSize: 2 }) as tf.Tensor;
    expect(trunk.count).toBe(2);
    expect(await maxAbsDiff(batched, reference)).toBeLessThanOrEqual(1e-6);
    tf.dispose([y, batched, reference]);
  });

  it('predict() frees each trunk activation after its last reader; tfjs-layers keeps them all until the trunk returns', () => {
    let peak = 0;
    const spies = (model.getLayer('resnet18') as tfl.LayersModel).layers.map((layer) =>
      vi.spyOn(layer, 'call').mockImplementation(function (this: tfl.layers.Layer, ...args) {
        const out = (Object.getPrototypeOf(layer) as tfl.layers.Layer).call.apply(layer, args);
        peak = Math.max(peak, tf.memory().numBytes);
        return out;
      }),
    );
    const base = tf.memory().numBytes;
    const peakOf = (run: () => tf.Tensor | tf.Tensor[]) => {
      peak = 0;
      tf.dispose(run());
      return peak - base;
    };
    const ours = peakOf(() => model.predict(x));
    const theirs = peakOf(() => tfl.LayersModel.prototype.predict.call(model, x));
    for (const spy of spies) spy.mockRestore();
    trunk = countTrunkRuns(model);
    expect(ours).toBeGreaterThan(0);
    expect(ours).toBeLessThan(0.8 * theirs);
  });

  it('segment() runs it once, flip included (one batch of two), and once per scale', async () => {
    const image = { data: new Uint8Array(41 * 33 * 3).map((_, i) => (i * 37) & 255), width: 41, height: 33, channels: 3 as const };
    trunk.reset();
    await segment(model, image);
    expect(trunk.count).toBe(1);
    trunk.reset();
    await segment(model, image, { flip: true });
    expect(trunk.count).toBe(1);
    trunk.reset();
    await segment(model, image, { flip: true, scales: [1, 1.25] });
    expect(trunk.count).toBe(2);
  });

  it("apply() on tensors runs it once (tfjs-layers' computeMask() ran the trunk again), and so does evaluateSegmentation() per batch", async () => {
    trunk.reset();
    tf.dispose(tfl.LayersModel.prototype.call.call(model, x, {}));
    expect(trunk.count).toBe(2);
    trunk.reset();
    tf.dispose(model.apply(x) as tf.Tensor);
    expect(trunk.count).toBe(1);
    async function* batches() {
      for (let i = 0; i < 2; i++) yield { images: tf.randomNormal([2, 33, 41, 3], 0, 1, 'float32', i) as tf.Tensor4D, labels: tf.zeros([2, 33, 41], 'int32') as tf.Tensor3D };
    }
    trunk.reset();
    await evaluateSegmentation(model, batches(), { numClasses: 3 });
    expect(trunk.count).toBe(2);
  });

  it('a saved and loaded model is a DeepLabV3PlusModel again, keeps its layer names and runs the trunk once', async () => {
    const loaded = await roundTripInMemory(model);
    expect(loaded).toBeInstanceOf(DeepLabV3PlusModel);
    expect(loaded.getLayer('resnet18').name).toBe('resnet18');
    const runs = countTrunkRuns(loaded);
    const [a, b] = [model.predict(x) as tf.Tensor, loaded.predict(x) as tf.Tensor];
    expect(runs.count).toBe(1);
    expect(await maxAbsDiff(a, b)).toBe(0);
    tf.dispose([a, b]);
    loaded.dispose();
  });
});
