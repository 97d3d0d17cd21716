import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { layerBackpropSupported, sparseSoftmaxCrossEntropy, Trainer } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { arrayRelativeError, relativeError } from '../../../../test-utils/compare.js';
import { formulaStateDict, type StateDictEntry } from '../../../../test-utils/formula-weights.js';
import { fromTorchvision } from './from-torchvision.js';
import { loadModel, saveModel } from '../model/model-files.js';
import { exportOnnx } from '../onnx/export-onnx.js';
import { segment } from '../inference/segment.js';
import { torchvisionModel } from './torchvision-models.js';
import { VOC_CLASSES, VOC_PALETTE } from '../classes/voc-classes.js';

const stateDicts: Record<string, { test: StateDictEntry[] }> = JSON.parse(
  readFileSync(new URL('../../fixtures/torchvision/state-dicts.json', import.meta.url), 'utf8'),
);
const root = mkdtempSync(join(tmpdir(), 'seg-torchvision-'));

// wasm: the backend users run these models on in Node and browsers.
describe('torchvision models in use [wasm]', () => {
  beforeAll(() => useBackend('wasm'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('segment() labels an RGB image with VOC class ids; saveModel/loadModel keep the outputs', async () => {
    const model = await fromTorchvision('lraspp_mobilenet_v3_large', formulaStateDict(stateDicts.lraspp_mobilenet_v3_large.test));
    const [width, height] = [45, 37];
    const data = Uint8Array.from({ length: width * height * 3 }, (_, i) => (i * 37) % 256);
    const { labels } = await segment(model, { data, width, height, channels: 3 });
    expect(labels).toHaveLength(width * height);
    expect(Math.max(...labels)).toBeLessThan(VOC_CLASSES.length);
    expect(VOC_PALETTE).toHaveLength(VOC_CLASSES.length);
    await saveModel(model, join(root, 'lraspp'));
    const copy = await loadModel(join(root, 'lraspp'));
    const x = tf.randomNormal([1, height, width, 3], 0, 1, 'float32', 1);
    const [a, b] = [model.predict(x) as tf.Tensor, copy.predict(x) as tf.Tensor];
    expect(await relativeError(b, a)).toBe(0);
    tf.dispose([x, a, b]);
    model.dispose();
    copy.dispose();
  });

  it('exportOnnx writes the MobileNetV3 models (depthwise, hardswish, squeeze-excitation, LR-ASPP gate); ONNX Runtime gives their logits', async () => {
    for (const name of ['deeplabv3_mobilenet_v3_large', 'lraspp_mobilenet_v3_large'] as const) {
      const model = await fromTorchvision(name, formulaStateDict(stateDicts[name].test));
      const session = await ort.InferenceSession.create(await exportOnnx(model), { intraOpNumThreads: 1 });
      const x = tf.randomNormal([1, 37, 45, 3], 0, 1, 'float32', 3);
      const [nchw, y] = [tf.transpose(x, [0, 3, 1, 2]), tf.transpose(model.predict(x) as tf.Tensor, [0, 3, 1, 2])];
      const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', (await nchw.data()) as Float32Array, nchw.shape) });
      const got = out[session.outputNames[0]];
      expect(got.dims).toEqual(y.shape);
      expect(arrayRelativeError(got.data as Float32Array, (await y.data()) as Float32Array).error, name).toBeLessThan(1e-4);
      tf.dispose([x, nchw, y]);
      await session.release();
      model.dispose();
    }
  });

  it('fine-tunes with the Trainer: the layer-by-layer engine covers every model, a step changes the weights', async () => {
    for (const built of [torchvisionModel('fcn_resnet50', { blocks: [1, 1, 1, 1] }), torchvisionModel('lraspp_mobilenet_v3_large')]) {
      expect(layerBackpropSupported(built), built.name).toBe(true);
      built.dispose();
    }
    const model = await fromTorchvision('deeplabv3_mobilenet_v3_large', formulaStateDict(stateDicts.deeplabv3_mobilenet_v3_large.test));
    expect(layerBackpropSupported(model)).toBe(true);
    const trainer = new Trainer({ model, loss: (l, x) => sparseSoftmaxCrossEntropy(l, x), groups: [{ name: 'all', optimizer: tf.train.sgd(1e-3) }] });
    const images = tf.randomNormal([2, 33, 41, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const labels = tf.randomUniformInt([2, 33, 41], 0, 21, 6) as tf.Tensor3D;
    const classifier = model.getLayer('classifier.4');
    const before = classifier.getWeights()[0].dataSync().slice();
    await trainer.trainStep({ images, labels });
    const tensors = tf.memory().numTensors;
    const { loss } = await trainer.trainStep({ images, labels });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(Number.isFinite(loss)).toBe(true);
    expect(classifier.getWeights()[0].dataSync()).not.toEqual(before);
    tf.dispose([images, labels]);
    model.dispose();
  });
});
