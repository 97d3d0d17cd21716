/**
 * `seg-deeplab evaluate` on a generated VOC-layout copy with a model whose
 * answer is known: it predicts background everywhere, so every score follows
 * from the ground truth alone.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDataset } from '@seg/datasets';
import { VOC_CLASS_NAMES } from '@seg/datasets/classes';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { setModelClasses } from '../classes/model-classes.js';
import { saveModel } from '../model/model-files.js';
import { capturedCli } from './captured-cli.js';
import { writeSyntheticDataset } from './train/fixtures/synthetic-datasets.js';

const cli = capturedCli;

describe('seg-deeplab evaluate', () => {
  let dir: string;
  let voc: string;
  beforeAll(async () => {
    await useBackend('cpu');
    dir = mkdtempSync(join(tmpdir(), 'seg-evaluate-'));
    voc = join(dir, 'voc');
    await writeSyntheticDataset(voc, { layout: 'voc', trainImages: 4, width: 40, height: 32, seed: 5 });
    // 21 logits per pixel from a 1×1 conv with zero kernel: the bias alone, background highest.
    const input = tfl.input({ shape: [null, null, 3] });
    const conv = tfl.layers.conv2d({ filters: 21, kernelSize: 1, kernelInitializer: 'zeros', biasInitializer: 'zeros' });
    const model = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
    conv.setWeights([tf.zeros([1, 1, 3, 21]), tf.tensor1d(Array.from({ length: 21 }, (_, c) => (c === 0 ? 5 : 0)))]);
    setModelClasses(model, VOC_CLASS_NAMES.map((name) => ({ name })));
    await saveModel(model, join(dir, 'model'));
    model.dispose();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints and writes the per-class table and the confusion matrix, every number following from the ground truth', async () => {
    const r = await cli('evaluate', join(dir, 'model'), '--data', voc, '--format', 'voc', '--split', 'val', '--out', join(dir, 'eval.json'));
    expect(r.code, r.err).toBe(0);
    const data = await openDataset(voc, { format: 'voc' });
    const val = data.split('val');
    const pixels = new Array<number>(21).fill(0);
    for (let i = 0; i < val.size; i++) for (const id of (await val.get(i)).labels) if (id !== 255) pixels[id] += 1;
    const total = pixels.reduce((a, b) => a + b, 0);
    const written = JSON.parse(readFileSync(join(dir, 'eval.json'), 'utf8'));
    // Everything predicted background: row t of the matrix holds all of class t's pixels in column 0.
    expect(written.confusionMatrix.classes).toEqual([...VOC_CLASS_NAMES]);
    expect(written.confusionMatrix.counts).toEqual(pixels.map((n) => [n, ...new Array(20).fill(0)]));
    expect(written.pixelAccuracy).toBeCloseTo(pixels[0] / total, 12);
    // IoU of background: its pixels over all counted pixels; of a present object class: 0; absent classes have no union.
    const present = pixels.map((n, c) => (n > 0 || c === 0 ? c : -1)).filter((c) => c >= 0);
    expect(written.meanIoU).toBeCloseTo(pixels[0] / total / present.length, 12);
    expect(Object.keys(written.perClassIoU).sort()).toEqual(present.map((c) => VOC_CLASS_NAMES[c]).sort());
    expect(written.perClass.aeroplane.recall === 0 || written.perClass.aeroplane.pixels === 0).toBe(true);
    expect(r.out).toMatch(new RegExp(`^background +${(100 * pixels[0] / total).toFixed(1)}%`, 'm'));
    expect(r.out).toContain('confusion matrix (rows: ground truth, columns: prediction; pixels)');
    expect(r.out).toContain(`wrote ${join(dir, 'eval.json')}`);
  });

  it('refuses a model of another class count and an unknown split, naming them', async () => {
    const split = await cli('evaluate', join(dir, 'model'), '--data', voc, '--format', 'voc', '--split', 'test');
    expect(split.code).toBe(2);
    expect(split.err).toMatch(/test/);
    const folder = join(dir, 'folder');
    await writeSyntheticDataset(folder, { layout: 'folder', trainImages: 2, width: 40, height: 32, seed: 6 });
    const other = await cli('evaluate', join(dir, 'model'), '--data', folder, '--format', 'folder', '--out', join(dir, 'x.json'));
    expect(other.code).toBe(2);
    expect(other.err).toContain(`${join(dir, 'model')} predicts 21 classes (background, aeroplane,`);
    expect(other.err).toContain('the folder dataset has 3');
  });
});
