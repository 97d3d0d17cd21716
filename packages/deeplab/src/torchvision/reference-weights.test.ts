import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseSafetensors, safetensorsToFloat32 } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, useBackend } from '../../../../test-utils/backends.js';
import { relativeError } from '../../../../test-utils/compare.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { loadReferenceMsrcWeights, REFERENCE_MSRC_ARCHITECTURE } from './reference-weights.js';

// Checkpoints in the reference MSRC project's layout, made by scripts/fixtures/msrc_reference.py.
const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/msrc-reference/${name}`, import.meta.url));
const config = JSON.parse(readFileSync(fixture('config.json'), 'utf8'));
const reference = parseSafetensors(readFileSync(fixture('reference.safetensors')));
const refTensor = (key: string, shape: number[]) => tf.tensor(safetensorsToFloat32(reference.tensors.get(key)!), shape);
const files = { resNetTrunk: fixture('resNetTrunk.weights'), asppModel: fixture('asppModel.weights'), decoder: fixture('decoder.weights') };
/** The reference architecture at the fixture's reduced widths. */
const referenceModel = () => deeplabV3Plus({ ...REFERENCE_MSRC_ARCHITECTURE, ...config.deeplab });

describeEachBackend('loadReferenceMsrcWeights vs the reference project in PyTorch (reduced widths)', () => {
  it('gives its logits (with half-pixel resizes) within 1e-4 of their range', async () => {
    const model = referenceModel();
    const report = await loadReferenceMsrcWeights(model, files);
    expect(report.loaded).toEqual(expect.arrayContaining(['decoder:model.lowLevelProcessor.0.bias', 'asppModel:model.pool.1.weight']));
    expect(report.ignored).toEqual(expect.arrayContaining(['decoder:optimizer.state.0.exp_avg', 'resNetTrunk:model.bn1.num_batches_tracked']));
    const [, h, w] = config.input;
    await expectNoTensorLeak(async () => {
      const x = refTensor('input', [1, h, w, 3]);
      const expected = refTensor('logits', [1, h, w, config.deeplab.numClasses]);
      const y = model.predict(x) as tf.Tensor;
      expect(await relativeError(y, expected)).toBeLessThan(1e-4);
      tf.dispose([x, y, expected]);
    });
    model.dispose();
  });
});

describe('loadReferenceMsrcWeights [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  it('loads the ASPP and decoder alone, leaving the trunk as it was', async () => {
    const model = referenceModel();
    const trunk = model.getLayer('resnet101').getWeights().map((t) => t.dataSync().slice());
    const report = await loadReferenceMsrcWeights(model, { asppModel: files.asppModel, decoder: files.decoder });
    expect(report.loaded.some((k) => k.startsWith('resNetTrunk:'))).toBe(false);
    model.getLayer('resnet101').getWeights().forEach((t, i) => {
      expect(t.dataSync()).toEqual(trunk[i]);
    });
    model.dispose();
  });

  it('refuses a model of another architecture, and a file given for the wrong part, assigning nothing', async () => {
    const plain = deeplabV3Plus({ ...config.deeplab, backboneOptions: { ...config.deeplab.backboneOptions, dilateFirstBlock: false } });
    await expect(loadReferenceMsrcWeights(plain, files)).rejects.toThrow(
      /has ASPP rates 4\/8\/14 and first-block dilations 1\/2 in layer3\/layer4; the reference project runs rates 4\/8\/14 and 2\/4/,
    );
    plain.dispose();
    const model = referenceModel();
    const before = model.getWeights().map((t) => t.dataSync().slice());
    await expect(loadReferenceMsrcWeights(model, { asppModel: files.decoder })).rejects.toThrow(
      /no weight was assigned .*\n(.|\n)*unexpected key "asppModel:lowLevelProcessor\.0\.weight"/,
    );
    model.getWeights().forEach((t, i) => {
      expect(t.dataSync()).toEqual(before[i]);
    });
    model.dispose();
  });
});
