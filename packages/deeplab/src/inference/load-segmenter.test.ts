import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { saveModel } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { randomRgbImage } from '../../../../test-utils/images.js';
import { randomizeWeights } from '../../../../test-utils/weights.js';
import { setModelClasses } from '../classes/model-classes.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { exportOnnx } from '../onnx/export-onnx.js';
import { loadSegmenter, modelSourceKind } from './load-segmenter.js';
import { segment } from './segment.js';

describe('modelSourceKind', () => {
  it('tells ONNX (an .onnx path or URL, any bytes) from a saved tfjs model (a folder or model.json)', () => {
    expect(modelSourceKind(new Uint8Array(4))).toBe('onnx');
    expect(modelSourceKind(new ArrayBuffer(4))).toBe('onnx');
    expect(modelSourceKind('runs/best/model.onnx')).toBe('onnx');
    expect(modelSourceKind('C:\\models\\MODEL.ONNX')).toBe('onnx');
    expect(modelSourceKind('https://example.test/m.onnx?v=2')).toBe('onnx');
    expect(modelSourceKind(new URL('https://example.test/m.onnx#x'))).toBe('onnx');
    expect(modelSourceKind('runs/best')).toBe('tfjs');
    expect(modelSourceKind('runs/best/model.json')).toBe('tfjs');
    expect(modelSourceKind('runs/onnx/')).toBe('tfjs');
    expect(modelSourceKind(new URL('https://example.test/model.onnx/model.json'))).toBe('tfjs');
  });

  it('refuses what is no model source, saying what would be', () => {
    expect(() => modelSourceKind(null as never)).toThrow(
      "loadSegmenter: source is null; expected a model folder or model.json path, an .onnx path, a URL, or an .onnx file's bytes",
    );
    expect(() => modelSourceKind(3 as never)).toThrow('loadSegmenter: source is number;');
  });
});

describe('loadSegmenter', () => {
  const dir = mkdtempSync(join(tmpdir(), 'seg-load-segmenter-'));
  const classes = ['sky', 'grass', 'cow', 'tree', 'road'].map((name, i) => ({ name, color: [i * 40, 255 - i * 40, 7] as [number, number, number] }));
  let model: tfl.LayersModel;
  let onnx: Uint8Array;
  beforeAll(async () => {
    await useBackend('cpu');
    model = deeplabV3Plus({ backbone: 'resnet18', numClasses: 5, lowLevelChannels: 4, decoderChannels: 8, backboneOptions: { baseWidth: 4, blocks: [1, 1, 1, 1] } });
    randomizeWeights(model, 5);
    setModelClasses(model, classes);
    await saveModel(model, join(dir, 'model'));
    onnx = await exportOnnx(model);
    writeFileSync(join(dir, 'model.onnx'), onnx);
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it("gives segment()'s labels and the model's classes from a folder, its model.json, a file: URL, an .onnx path and .onnx bytes", async () => {
    const image = randomRgbImage(45, 37, 3);
    const expected = await segment(model, image);
    const sources = [join(dir, 'model'), join(dir, 'model', 'model.json'), pathToFileURL(join(dir, 'model')), join(dir, 'model.onnx'), onnx];
    for (const source of sources) {
      const before = tf.memory().numTensors;
      const segmenter = await loadSegmenter(source, { runtime: 'node', threads: 1 });
      expect(segmenter.classes).toEqual(classes);
      const { labels, width, height } = await segmenter.segment(image);
      expect([width, height]).toEqual([45, 37]);
      const same = labels.filter((l, i) => l === expected.labels[i]).length;
      // ONNX Runtime sums in another order than tfjs: a pixel on a near tie may flip.
      expect(same / labels.length, `${source}`).toBeGreaterThanOrEqual(modelSourceKind(source) === 'tfjs' ? 1 : 0.999);
      await segmenter.dispose();
      expect(tf.memory().numTensors, `${source}: tensors freed by dispose()`).toBe(before);
    }
  });

  it('names the folder when it holds no model', async () => {
    const empty = join(dir, 'empty');
    await expect(loadSegmenter(empty)).rejects.toThrow(empty);
  });
});
