import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { arrayRelativeError } from '../../../../test-utils/compare.js';
import { randomizeWeights } from '../../../../test-utils/weights.js';
import { BACKBONE_NAMES, getBackbone } from '@seg/core';
import type { DeepLabV3PlusConfig } from '../model/config.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { exportOnnx } from './export-onnx.js';
import { narrowBackboneOptions } from '../../../../test-utils/narrow-backbones.js';

/** The two heads of examples/train-msrc's presets (and the paper's separable ASPP), on narrow layers. */
const HEADS: Record<string, Partial<DeepLabV3PlusConfig>> = {
  paper: {},
  reference: { asppRates: [4, 8, 14], asppBias: true, asppBranchDropout: 0.5, spatialDropout: true, decoderDropout: [0.5, 0.5, 0.15] },
  separable: { separableAspp: true },
};
const SIZES = [
  [65, 77],
  [97, 129],
] as const;
/** fp32 parity bound: ONNX Runtime's logits against tfjs cpu's, relative to their largest magnitude. */
const FP32_TOLERANCE = 1e-4;
/** fp16 weights: logits within 0.5% of their range (measured: 0.11-0.22% on the narrow models here), and labels equal on at least 99.5% of pixels. */
const FP16_TOLERANCE = 5e-3;
const FP16_LABEL_AGREEMENT = 0.995;

const narrow = (backbone: DeepLabV3PlusConfig['backbone'], outputStride: 8 | 16, head: string): DeepLabV3PlusConfig => ({
  backbone,
  outputStride,
  numClasses: 5,
  lowLevelChannels: 6,
  decoderChannels: 8,
  backboneOptions: narrowBackboneOptions(backbone),
  ...HEADS[head],
});

/** tfjs's outputs (NHWC) as NCHW arrays, and ONNX Runtime's for the same input. */
async function bothRuntimes(model: tfl.LayersModel, session: ort.InferenceSession, x: tf.Tensor4D): Promise<[Float32Array, Float32Array][]> {
  const [n, h, w, c] = x.shape;
  const feed = tf.transpose(x, [0, 3, 1, 2]);
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', (await feed.data()) as Float32Array, [n, c, h, w]) });
  feed.dispose();
  const expected = tf.tidy(() => {
    const y = model.predict(x);
    return (Array.isArray(y) ? y : [y]).map((t) => tf.transpose(t, [0, 3, 1, 2]));
  });
  const pairs: [Float32Array, Float32Array][] = [];
  for (const [i, name] of session.outputNames.entries()) {
    expect(out[name].dims).toEqual(expected[i].shape);
    pairs.push([(await expected[i].data()) as Float32Array, out[name].data as Float32Array]);
  }
  tf.dispose(expected);
  return pairs;
}

function relativeError(expected: Float32Array, actual: Float32Array): number {
  const { error, scale } = arrayRelativeError(actual, expected);
  expect(scale).toBeGreaterThan(0.1);
  return error;
}

/** Share of pixels whose arg-max over the class axis (axis 1 of `[1, C, H, W]`) agrees. */
function labelAgreement(a: Float32Array, b: Float32Array, classes: number): number {
  const pixels = a.length / classes;
  let same = 0;
  for (let p = 0; p < pixels; p++) {
    let [ba, bb] = [0, 0];
    for (let c = 1; c < classes; c++) {
      if (a[c * pixels + p] > a[ba * pixels + p]) ba = c;
      if (b[c * pixels + p] > b[bb * pixels + p]) bb = c;
    }
    if (ba === bb) same++;
  }
  return same / pixels;
}

const session = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });

describe('exportOnnx: ONNX Runtime gives tfjs logits, every backbone x output stride x head, odd sizes', () => {
  beforeAll(() => useBackend('cpu'));
  const cases = BACKBONE_NAMES.flatMap((backbone) =>
    ([8, 16] as const).flatMap((os) => ['paper', 'reference', ...(backbone === 'resnet50' ? ['separable'] : [])].map((head) => [backbone, os, head] as const)),
  );
  it.each(cases)('%s OS %i, %s head: fp32 within 1e-4 at 65x77 and 97x129', async (backbone, os, head) => {
    const model = deeplabV3Plus(narrow(backbone, os, head));
    randomizeWeights(model, os * 7 + BACKBONE_NAMES.indexOf(backbone));
    const onnx = await session(await exportOnnx(model));
    for (const [h, w] of SIZES) {
      const x = tf.randomNormal([1, h, w, 3], 0, 1, 'float32', h) as tf.Tensor4D;
      const [[expected, actual]] = await bothRuntimes(model, onnx, x);
      expect(relativeError(expected, actual)).toBeLessThanOrEqual(FP32_TOLERANCE);
      if (process.env.SEG_PRINT_PARITY) console.log(`parity ${backbone} os${os} ${head} ${h}x${w} ${relativeError(expected, actual).toExponential(2)}`);
      x.dispose();
    }
    await onnx.release();
    model.dispose();
  });

  it.each(BACKBONE_NAMES)(`%s OS 16, fp16 weights: logits within ${FP16_TOLERANCE}, labels equal on >= 99.5 percent of pixels, file about half`, async (backbone) => {
    const model = deeplabV3Plus(narrow(backbone, 16, 'paper'));
    randomizeWeights(model, 3 + BACKBONE_NAMES.indexOf(backbone));
    const [fp32, fp16] = [await exportOnnx(model), await exportOnnx(model, { precision: 'fp16' })];
    const onnx = await session(fp16);
    const x = tf.randomNormal([1, 97, 129, 3], 0, 1, 'float32', 5) as tf.Tensor4D;
    const [[expected, actual]] = await bothRuntimes(model, onnx, x);
    expect(relativeError(expected, actual)).toBeLessThanOrEqual(FP16_TOLERANCE);
    expect(labelAgreement(expected, actual, 5)).toBeGreaterThanOrEqual(FP16_LABEL_AGREEMENT);
    if (process.env.SEG_PRINT_PARITY) console.log(`fp16 ${backbone} ${relativeError(expected, actual).toExponential(2)} ${labelAgreement(expected, actual, 5)} ${fp16.length}/${fp32.length}`);
    // Narrow models carry many float32 vectors; the kernels, stored in half, still halve most bytes.
    expect(fp16.length).toBeLessThan(0.75 * fp32.length);
    tf.dispose(x);
    await onnx.release();
    model.dispose();
  });

  it.each([8, 16, 32] as const)('bare backbones at OS %i (two outputs, high and low) match', async (outputStride) => {
    for (const name of ['resnet18', 'resnet50'] as const) {
      const { model } = getBackbone(name, { outputStride, baseWidth: 4, blocks: [1, 1, 2, 2] });
      randomizeWeights(model, outputStride);
      const onnx = await session(await exportOnnx(model));
      expect(onnx.outputNames).toEqual(model.outputNames);
      const x = tf.randomNormal([2, 65, 77, 3], 0, 1, 'float32', 9) as tf.Tensor4D;
      for (const [expected, actual] of await bothRuntimes(model, onnx, x)) expect(relativeError(expected, actual)).toBeLessThanOrEqual(FP32_TOLERANCE);
      x.dispose();
      await onnx.release();
      model.dispose();
    }
  });

  it('opset 21 (IR 10) exports the same function', async () => {
    const model = deeplabV3Plus(narrow('resnet18', 16, 'reference'));
    randomizeWeights(model, 21);
    const onnx = await session(await exportOnnx(model, { opset: 21 }));
    const x = tf.randomNormal([1, 65, 77, 3], 0, 1, 'float32', 21) as tf.Tensor4D;
    const [[expected, actual]] = await bothRuntimes(model, onnx, x);
    expect(relativeError(expected, actual)).toBeLessThanOrEqual(FP32_TOLERANCE);
    x.dispose();
    await onnx.release();
    model.dispose();
  });
});
