import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { arrayRelativeError } from '../../../../test-utils/compare.js';
import { randomizeWeights } from '../../../../test-utils/weights.js';
import { aspp, atrousConv2d, batchNormAct, resizeBilinear } from '@seg/core';
import { exportOnnx } from './export-onnx.js';
import { readOnnxHeader } from './onnx-proto.js';

/** Runs `model` on tfjs cpu and on ONNX Runtime for one NHWC input; returns the relative error per output. */
async function parity(model: tfl.LayersModel, shape: number[]): Promise<number[]> {
  randomizeWeights(model, shape.reduce((a, b) => a + b, 0));
  const session = await ort.InferenceSession.create(await exportOnnx(model), { intraOpNumThreads: 1 });
  const x = tf.randomNormal(shape, 0, 1, 'float32', 1);
  const feed = shape.length === 4 ? tf.transpose(x, [0, 3, 1, 2]) : x;
  const out = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', (await feed.data()) as Float32Array, feed.shape) });
  const ys = model.predict(x);
  const errors: number[] = [];
  for (const [i, y] of (Array.isArray(ys) ? ys : [ys]).entries()) {
    const expected = y.rank === 4 ? tf.transpose(y, [0, 3, 1, 2]) : y;
    const got = out[session.outputNames[i]];
    expect(got.dims).toEqual(expected.shape);
    errors.push(arrayRelativeError(got.data as Float32Array, (await expected.data()) as Float32Array).error);
    tf.dispose([expected, y]);
  }
  tf.dispose([x, feed]);
  await session.release();
  return errors;
}

describe('exportOnnx layer by layer', () => {
  beforeAll(() => useBackend('cpu'));

  it("tfjs's own layers: strided 'same' convs, depthwise and separable, BN, pools, upsampling, merges, activations, dense, reshape, flatten", async () => {
    // A fixed size, which Flatten needs.
    const input = tfl.input({ shape: [37, 45, 3] });
    const s = (x: tfl.SymbolicTensor | tfl.SymbolicTensor[] | tf.Tensor | tf.Tensor[]) => x as tfl.SymbolicTensor;
    const a = s(tfl.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu6' }).apply(input));
    const b = s(tfl.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, padding: 'same', activation: 'tanh' }).apply(a));
    const c = s(tfl.layers.separableConv2d({ filters: 6, kernelSize: 3, dilationRate: 2, padding: 'same', activation: 'sigmoid' }).apply(a));
    const d = s(tfl.layers.batchNormalization({ epsilon: 1e-3 }).apply(s(tfl.layers.concatenate().apply([b, c]))));
    const e = s(tfl.layers.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same' }).apply(d));
    const f = s(tfl.layers.averagePooling2d({ poolSize: 2, padding: 'same' }).apply(e));
    const up = s(tfl.layers.upSampling2d({ size: [2, 2], interpolation: 'bilinear' }).apply(f));
    const near = s(tfl.layers.upSampling2d({ size: [2, 2] }).apply(f));
    const g = s(tfl.layers.multiply().apply([up, near]));
    const h = s(tfl.layers.minimum().apply([g, s(tfl.layers.leakyReLU({ alpha: 0.2 }).apply(near))]));
    const m = s(tfl.layers.maximum().apply([h, s(tfl.layers.average().apply([near, g, h]))]));
    const pooled = s(tfl.layers.globalMaxPooling2d({}).apply(m));
    const dense = s(tfl.layers.dense({ units: 8, activation: 'elu' }).apply(pooled));
    const back = s(tfl.layers.reshape({ targetShape: [1, 1, 8] }).apply(dense));
    const scaled = s(tfl.layers.multiply().apply([s(tfl.layers.dense({ units: 8 }).apply(m)), back]));
    const logits = s(tfl.layers.activation({ activation: 'softmax' }).apply(s(tfl.layers.reLU({ maxValue: 6 }).apply(scaled))));
    const model = tfl.model({ inputs: input, outputs: [logits, s(tfl.layers.flatten().apply(e))] });
    for (const err of await parity(model, [2, 37, 45, 3])) expect(err).toBeLessThanOrEqual(1e-4);
  });

  it("@seg's layers: ASPP alone, resizes by size and by scale, a Sequential model", async () => {
    const head = aspp({ inputChannels: 8, filters: 6, rates: [1, 2, 3], useBias: true });
    expect((await parity(head, [1, 9, 11, 8]))[0]).toBeLessThanOrEqual(1e-4);
    const input = tfl.input({ shape: [null, null, 3] });
    const x = atrousConv2d({ filters: 4, kernelSize: 3, padding: 'same', dilationRate: 3 }).apply(input) as tfl.SymbolicTensor;
    const y = batchNormAct({ activation: 'relu' }).apply(x) as tfl.SymbolicTensor;
    const sized = resizeBilinear({ size: [13, 17] }).apply(y) as tfl.SymbolicTensor;
    const scaled = resizeBilinear({ scale: [1.5, 0.75] }).apply(sized) as tfl.SymbolicTensor;
    expect((await parity(tfl.model({ inputs: input, outputs: scaled }), [1, 21, 26, 3]))[0]).toBeLessThanOrEqual(1e-4);
    const sequential = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 3, kernelSize: 1 }), tfl.layers.dropout({ rate: 0.5 })] });
    expect((await parity(sequential, [1, 8, 8, 3]))[0]).toBeLessThanOrEqual(1e-4);
  });

  it('states opset, IR version, names and metadata', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [null, null, 3], filters: 4, kernelSize: 3, padding: 'same' })] });
    const header = readOnnxHeader(await exportOnnx(model, { opset: 19 }));
    expect([header.irVersion, header.opset, header.producerName]).toEqual([9, 19, '@seg/deeplab']);
    expect(header.inputs).toEqual([{ name: 'image', elemType: 1, dims: ['batch', 3, 'height', 'width'] }]);
    expect(header.outputs).toEqual([{ name: 'logits', elemType: 1, dims: ['batch', 4, 'height', 'width'] }]);
    expect(header.metadata).toMatchObject({ 'seg.layout': 'NCHW', 'seg.num_classes': '4', 'seg.min_input_size': '1', 'seg.precision': 'fp32' });
    expect(JSON.parse(header.metadata['seg.normalization'])).toEqual({ scale: 255, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
  });

  it('a layer without an ONNX form, or a bad option, is an error naming it', async () => {
    const model = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 1, name: 'stem' }), tfl.layers.permute({ dims: [2, 1, 3], name: 'swap' })] });
    await expect(exportOnnx(model)).rejects.toThrow('exportOnnx: layer "swap" (class Permute) cannot be exported to ONNX; classes that export: AtrousConv2D, Conv2D,');
    const gelu = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [8, 8, 3], filters: 2, kernelSize: 1, activation: 'gelu', name: 'c' })] });
    await expect(exportOnnx(gelu)).rejects.toThrow('exportOnnx: layer "c" (class Conv2D) cannot be exported: its activation "gelu" has no ONNX form here');
    await expect(exportOnnx(gelu, { opset: 16 })).rejects.toThrow('exportOnnx: options.opset is 16; expected one of 17, 18, 19, 20, 21');
    await expect(exportOnnx(gelu, { precision: 'int8' as never })).rejects.toThrow("exportOnnx: options.precision is \"int8\"; expected 'fp32' or 'fp16'");
  });
});
