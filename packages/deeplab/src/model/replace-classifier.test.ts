import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { getModelClasses, setModelClasses } from '../classes/model-classes.js';
import { torchvisionModel } from '../torchvision/torchvision-models.js';
import { deeplabV3Plus } from './deeplab-v3-plus.js';
import { loadModel, saveModel } from './model-files.js';

const root = mkdtempSync(join(tmpdir(), 'seg-deeplab-new-classes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** `layer`'s weights as arrays. */
const valuesOf = (layer: tfl.layers.Layer) => layer.getWeights().map((w) => Array.from(w.dataSync()));

/**
 * Gives the new classifier convs the old ones' weights for the first classes: then those output channels must equal the
 * old model's outputs exactly, which holds only if every other weight was copied and the convs sit where the old ones did.
 */
function embedOldClassifier(oldModel: tfl.LayersModel, newModel: tfl.LayersModel, layers: string[], oldClasses: number): void {
  for (const name of layers) {
    const [kernel, bias] = oldModel.getLayer(name).getWeights();
    const [newKernel, newBias] = newModel.getLayer(name).getWeights();
    const pad = (newKernel.shape[3] as number) - oldClasses;
    const k = tf.concat([kernel, tf.slice(newKernel, [0, 0, 0, oldClasses], [-1, -1, -1, pad])], 3);
    const b = tf.concat([bias, tf.slice(newBias, [oldClasses], [pad])]);
    newModel.getLayer(name).setWeights([k, b]);
    tf.dispose([k, b]);
  }
}

describe('loadModel(dir, { numClasses, classes }) [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  const cases: Array<{ title: string; build: () => tfl.LayersModel; classifiers: string[]; oldClasses: number }> = [
    {
      title: 'DeepLabV3+',
      build: () =>
        deeplabV3Plus({ backbone: 'resnet18', outputStride: 16, numClasses: 3, lowLevelChannels: 4, decoderChannels: 8, backboneOptions: { baseWidth: 4 } }),
      classifiers: ['classifier'],
      oldClasses: 3,
    },
    { title: 'LR-ASPP (two classifier convs)', build: () => torchvisionModel('lraspp_mobilenet_v3_large'), classifiers: ['classifier.low_classifier', 'classifier.high_classifier'], oldClasses: 21 },
  ];
  for (const c of cases) {
    it(`${c.title}: replaces ${c.classifiers.join(', ')}, keeps every other weight, records the new classes`, async () => {
      const saved = c.build();
      if (c.oldClasses === 3) setModelClasses(saved, [{ name: 'a' }, { name: 'b' }, { name: 'c' }]);
      const dir = join(root, c.title.replace(/\W+/g, '-'));
      await saveModel(saved, dir);
      const numClasses = c.oldClasses + 2;
      const classes = Array.from({ length: numClasses }, (_, i) => ({ name: `class ${i}`, color: [i * 10, 0, 0] as const }));
      let replaced: string[] = [];
      const model = await loadModel(dir, { numClasses, classes, onClassifierReplaced: (l) => (replaced = l) });
      expect(replaced.sort()).toEqual([...c.classifiers].sort());
      expect(model.outputs[0].shape[3]).toBe(numClasses);
      expect(getModelClasses(model)).toEqual(classes);
      for (const name of c.classifiers) {
        const [kernel, bias] = valuesOf(model.getLayer(name));
        const fanIn = (model.getLayer(name).getWeights()[0].shape as number[]).slice(0, 3).reduce((a, b) => a * b);
        // torch's nn.Conv2d: kernel and bias uniform in ±1/√fan_in.
        for (const v of [kernel, bias]) expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
      }
      for (const layer of model.layers) {
        if (layer.weights.length > 0 && !c.classifiers.includes(layer.name)) expect(valuesOf(layer), layer.name).toEqual(valuesOf(saved.getLayer(layer.name)));
      }
      embedOldClassifier(saved, model, c.classifiers, c.oldClasses);
      const x = tf.randomNormal([1, 64, 48, 3], 0, 1, 'float32', 5);
      const [want, got] = [saved.predict(x) as tf.Tensor, tf.slice(model.predict(x) as tf.Tensor, [0, 0, 0, 0], [-1, -1, -1, c.oldClasses])];
      expect(tf.max(tf.abs(tf.sub(want, got))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([x, want, got]);
      // The same class count: the saved model as it was, classes (re)named if given.
      const same = await loadModel(dir, { numClasses: c.oldClasses, onClassifierReplaced: () => expect.unreachable() });
      expect(valuesOf(same.getLayer(c.classifiers[0]))).toEqual(valuesOf(saved.getLayer(c.classifiers[0])));
      same.dispose();
      saved.dispose();
      model.dispose();
    });
  }

  it('names classes that do not match the class count', async () => {
    const saved = cases[0].build();
    const dir = join(root, 'mismatch');
    await saveModel(saved, dir);
    await expect(loadModel(dir, { numClasses: 4, classes: [{ name: 'a' }] })).rejects.toThrow(/1 classes are named, but the model predicts 4/);
    await expect(loadModel(dir, { numClasses: 0 })).rejects.toThrow(/numClasses must be a positive integer, got 0/);
    saved.dispose();
  });
});
