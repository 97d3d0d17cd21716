import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { classPalette, getModelClasses, MODEL_CLASSES_KEY, setModelClasses } from './model-classes.js';
import { loadModel, saveModel } from '../model/model-files.js';

function twoClassModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3] });
  return tfl.model({ inputs: input, outputs: tfl.layers.conv2d({ filters: 2, kernelSize: 1 }).apply(input) as tfl.SymbolicTensor });
}

describe('model classes', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seg-classes-'));
  beforeAll(() => useBackend('cpu'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('travel with the model through model.json, next to other metadata', async () => {
    const model = twoClassModel();
    model.setUserDefinedMetadata({ trainedOn: 'msrc' });
    setModelClasses(model, [{ name: 'sky', color: [0, 0, 255] }, { name: 'grass', color: [0, 255, 0] }]);
    await saveModel(model, join(dir, 'm'));
    const json = JSON.parse(readFileSync(join(dir, 'm/model.json'), 'utf8'));
    expect(json.userDefinedMetadata).toEqual({ trainedOn: 'msrc', [MODEL_CLASSES_KEY]: [{ name: 'sky', color: [0, 0, 255] }, { name: 'grass', color: [0, 255, 0] }] });
    const loaded = await loadModel(join(dir, 'm'));
    const classes = getModelClasses(loaded);
    expect(classes).toEqual([{ name: 'sky', color: [0, 0, 255] }, { name: 'grass', color: [0, 255, 0] }]);
    expect(classPalette(classes)).toEqual([[0, 0, 255], [0, 255, 0]]);
    expect(getModelClasses(twoClassModel())).toBeUndefined();
    model.dispose();
    loaded.dispose();
  });

  it('are one per class, named, with 8-bit colours; a palette needs every colour', () => {
    const model = twoClassModel();
    expect(() => setModelClasses(model, [{ name: 'sky' }])).toThrow(/1 classes are named, but the model predicts 2; name every class once/);
    expect(() => setModelClasses(model, [{ name: 'sky' }, { name: '' }])).toThrow(/class 1 has no name/);
    expect(() => setModelClasses(model, [{ name: 'sky' }, { name: 'grass', color: [0, 256, 0] }])).toThrow(/class 1 \(grass\) has colour \[0,256,0\]; expected \[r, g, b\] with integers in 0-255/);
    setModelClasses(model, [{ name: 'sky', color: [1, 2, 3] }, { name: 'grass' }]);
    expect(classPalette(getModelClasses(model))).toBeUndefined();
    model.dispose();
  });
});
