import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roundTripInMemory, useBackend } from '../../../../test-utils/backends.js';
import { deeplabV3Plus } from './deeplab-v3-plus.js';
import { loadModel, saveModel } from './model-files.js';

const root = mkdtempSync(join(tmpdir(), 'seg-deeplab-files-'));

async function predict(model: tfl.LayersModel, x: tf.Tensor): Promise<Float32Array> {
  const y = model.predict(x) as tf.Tensor;
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

describe('DeepLabV3+ model files', () => {
  let model: tfl.LayersModel;
  let x: tf.Tensor4D;
  let expected: Float32Array;
  beforeAll(async () => {
    await useBackend('cpu');
    model = deeplabV3Plus({
      backbone: 'resnet50',
      outputStride: 8,
      numClasses: 4,
      lowLevelChannels: 4,
      decoderChannels: 8,
      backboneOptions: { baseWidth: 4, blocks: [1, 2, 1, 1] },
    });
    // Non-trivial BN statistics, so a loader that dropped non-trainable weights would be caught.
    const bnStats = model.getLayer('decoder.fuse.1').getWeights().map((w, i) => tf.fill(w.shape, [1.5, -0.2, 0.3, 2][i]));
    model.getLayer('decoder.fuse.1').setWeights(bnStats);
    tf.dispose(bnStats);
    x = tf.randomNormal([1, 65, 77, 3], 0, 1, 'float32', 3);
    expected = await predict(model, x);
  });
  afterAll(() => {
    tf.dispose([x]);
    model.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  it('saveModel -> loadModel (Node, no tfjs-node) gives identical predictions, with nested trunk and ASPP', async () => {
    const dir = join(root, 'deeplab');
    await saveModel(model, dir);
    expect(readdirSync(dir).sort()).toEqual(['.complete.json', 'group1-shard1of1.bin', 'model.json']);
    const loaded = await loadModel(dir);
    expect(loaded.layers.map((l) => l.name)).toEqual(model.layers.map((l) => l.name));
    expect(loaded.countParams()).toBe(model.countParams());
    expect(await predict(loaded, x)).toEqual(expected);
    loaded.dispose();
  });

  it('tf.io in-memory round trip gives identical predictions', async () => {
    const loaded = await roundTripInMemory(model);
    expect(await predict(loaded, x)).toEqual(expected);
    const small = tf.zeros([1, 20, 40, 3]);
    expect(() => loaded.predict(small)).toThrow(/too small; DeepLabV3\+ needs at least 32x32/);
    small.dispose();
    loaded.dispose();
  });
});
