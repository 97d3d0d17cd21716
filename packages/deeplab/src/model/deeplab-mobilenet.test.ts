import { readFileSync } from 'node:fs';
import { layerBackpropSupported, sparseSoftmaxCrossEntropy } from '@seg/core';
import { modelGradients } from '@seg/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import { expect, it } from 'vitest';
import { describeEachBackend } from '../../../../test-utils/backends.js';
import { maxAbsDiff, relativeError } from '../../../../test-utils/compare.js';
import { formulaStateDict, type StateDictEntry } from '../../../../test-utils/formula-weights.js';
import { deeplabV3Plus } from './deeplab-v3-plus.js';
import { loadTrunkWeights } from '../torchvision/trunk-weights.js';

// torchvision's ImageNet layout of MobileNetV3-Large at width 0.25 (scripts/fixtures/torchvision_models.py).
const entries: StateDictEntry[] = JSON.parse(readFileSync(new URL('../../../core/fixtures/mobilenet-v3/state-dict.json', import.meta.url), 'utf8'));

async function maxAbs(t: tf.Tensor): Promise<number> {
  const m = tf.tidy(() => tf.max(tf.abs(t)));
  const [v] = await m.data();
  m.dispose();
  return v;
}

describeEachBackend('deeplabV3Plus on mobilenet_v3_large', () => {
  it('loads torchvision ImageNet trunk weights and trains: layer-by-layer gradients equal the tape’s', async () => {
    const model = deeplabV3Plus({
      backbone: 'mobilenet_v3_large',
      numClasses: 3,
      lowLevelChannels: 8,
      decoderChannels: 16,
      dropout: 0,
      backboneOptions: { widthMultiplier: 0.25 },
    });
    const report = await loadTrunkWeights(model, formulaStateDict(entries));
    expect(report.loaded).toContain('features.16.1.running_var');
    expect(report.ignored).toContain('classifier.3.weight');
    expect(layerBackpropSupported(model)).toBe(true);
    const images = tf.randomNormal([2, 33, 41, 3], 0, 1, 'float32', 1);
    const labels = tf.randomUniformInt([2, 33, 41], 0, 3, 2);
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const loss = (logits: tf.Tensor) => sparseSoftmaxCrossEntropy(labels, logits as tf.Tensor4D);
    // Both runs update the BN running statistics: the tape's forward pass sees the same batch statistics either way.
    const ours = modelGradients(model, [images], ([logits]) => loss(logits), variables);
    const tape = tf.variableGrads(() => loss(model.apply(images, { training: true }) as tf.Tensor), variables);
    expect(await relativeError(ours.value, tape.value)).toBeLessThan(1e-5);
    // A projection BN's beta (its conv's output feeds only 1×1 convs into training-mode BNs) has a zero gradient:
    // both sides give float32 noise there, so errors are measured against every gradient's largest value too.
    const scales = await Promise.all(variables.map((v) => maxAbs(tape.grads[v.name])));
    const largest = Math.max(...scales);
    for (const [i, v] of variables.entries()) {
      const error = (await maxAbsDiff(ours.grads[v.name], tape.grads[v.name])) / Math.max(scales[i], 1e-3 * largest);
      expect(error, v.name).toBeLessThan(1e-3);
    }
    tf.dispose([images, labels, ours.value, tape.value, ...Object.values(ours.grads), ...Object.values(tape.grads)]);
    model.dispose();
  });
});
