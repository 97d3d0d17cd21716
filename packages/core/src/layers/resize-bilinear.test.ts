import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, roundTripInMemory } from '../../../../test-utils/backends.js';
import { maxAbsDiff } from '../../../../test-utils/compare.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import { bilinearInterpolationMatrix } from '../kernels/resize-bilinear-grad.js';
import { interpolateBilinear, ResizeBilinear, resizeBilinear } from './resize-bilinear.js';

// torch F.interpolate(bilinear, align_corners=False) outputs and input gradients,
// written by scripts/fixtures/resnet_parity.py.
const ref = parseSafetensors(readFileSync(new URL('../../fixtures/resnet-parity/reference.safetensors', import.meta.url)));
const refTensor = (key: string) => {
  const t = ref.tensors.get(key);
  if (!t) throw new Error(`fixture key ${key} missing`);
  return tf.tensor4d(safetensorsToFloat32(t), t.shape as [number, number, number, number]);
};

const CASES: Array<{ tag: string; size: [number, number] }> = [
  { tag: 'size11x4', size: [11, 4] },
  { tag: 'scale2', size: [10, 14] },
  { tag: 'size1x1', size: [1, 1] },
];

describe('bilinearInterpolationMatrix', () => {
  it('gives the hand-computed half-pixel weights for 2 → 4 and 4 → 2', () => {
    expect(Array.from(bilinearInterpolationMatrix(2, 4))).toEqual([1, 0, 0.75, 0.25, 0.25, 0.75, 0, 1]);
    // Downsampling by 2 samples halfway between pairs of inputs.
    expect(Array.from(bilinearInterpolationMatrix(4, 2))).toEqual([0.5, 0.5, 0, 0, 0, 0, 0.5, 0.5]);
  });

  it('rejects non-positive sizes', () => {
    expect(() => bilinearInterpolationMatrix(0, 3)).toThrow(/positive integers, got in=0, out=3/);
  });
});

describeEachBackend('interpolateBilinear vs torch F.interpolate', () => {
  for (const { tag, size } of CASES) {
    it(`${tag}: forward and input gradient match torch`, async () => {
      await expectNoTensorLeak(async () => {
        const [x, y, w, g] = [
          refTensor('resize.input'),
          refTensor(`resize.${tag}.output`),
          refTensor(`resize.${tag}.weight`),
          refTensor(`resize.${tag}.grad`),
        ];
        const out = interpolateBilinear(x, size);
        expect(out.shape).toEqual(y.shape);
        expect(await maxAbsDiff(out, y)).toBeLessThan(1e-5);
        const grad = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(interpolateBilinear(v as tf.Tensor4D, size), w)))(x);
        expect(grad.shape).toEqual(g.shape);
        expect(await maxAbsDiff(grad, g)).toBeLessThan(1e-5);
        tf.dispose([x, y, w, g, out, grad]);
      });
    });
  }

  it('gives the same input gradient bit for bit on every run', async () => {
    // ASPP's image-pooling branch: 1×1 → 33×33 sums 67 taps into each input value, and the
    // BatchNorm over two values behind it turns a last-bit difference into a visible one.
    const x = tf.randomNormal([2, 1, 1, 64], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.randomNormal([2, 33, 33, 64], 0, 1, 'float32', 2);
    const gradOf = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(interpolateBilinear(v as tf.Tensor4D, [33, 33]), w)));
    const grads = Array.from({ length: 20 }, () => gradOf(x));
    const runs = await Promise.all(grads.map(async (g) => Array.from(await g.data())));
    for (const run of runs.slice(1)) expect(run).toEqual(runs[0]);
    tf.dispose([x, w, ...grads]);
  });
});

describeEachBackend('ResizeBilinear layer', () => {
  it('resizes to a second input’s size, by scale, and to a fixed size', async () => {
    const x = refTensor('resize.input');
    const toRef = resizeBilinear();
    const reference = tf.zeros([2, 11, 4, 1]);
    const a = toRef.apply([x, reference]) as tf.Tensor;
    const b = resizeBilinear({ scale: 2 }).apply(x) as tf.Tensor;
    const c = resizeBilinear({ size: [11, 4] }).apply(x) as tf.Tensor;
    expect(a.shape).toEqual([2, 11, 4, 3]);
    expect(await maxAbsDiff(a, refTensor('resize.size11x4.output'))).toBeLessThan(1e-5);
    expect(await maxAbsDiff(b, refTensor('resize.scale2.output'))).toBeLessThan(1e-5);
    expect(await maxAbsDiff(c, a)).toBe(0);
    expect(toRef.computeOutputShape([x.shape, reference.shape])).toEqual(a.shape);
    expect(resizeBilinear({ scale: [1.5, 0.5] }).computeOutputShape([null, 5, 7, 3])).toEqual([null, 7, 3, 3]);
    tf.dispose([x, reference, a, b, c]);
  });

  it('round-trips getConfig and model.save → loadLayersModel with identical outputs', async () => {
    const layer = resizeBilinear({ scale: [2, 3], name: 'up' });
    const config = layer.getConfig();
    expect(config).toMatchObject({ scale: [2, 3], name: 'up' });
    const clone = ResizeBilinear.fromConfig(ResizeBilinear, config) as ResizeBilinear;
    expect(clone.getConfig()).toEqual(config);
    expect(tf.serialization.SerializationMap.getMap().classNameMap.ResizeBilinear[0]).toBe(ResizeBilinear);

    const x = tfl.input({ shape: [null, null, 3] });
    const r = tfl.input({ shape: [null, null, 1] });
    const y = resizeBilinear({ name: 'to_ref' }).apply([x, r]) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: [x, r], outputs: y });
    const loaded = await roundTripInMemory(model);
    const xs = refTensor('resize.input');
    const rs = tf.zeros([2, 6, 9, 1]);
    const [p, q] = [model.predict([xs, rs]) as tf.Tensor, loaded.predict([xs, rs]) as tf.Tensor];
    expect(q.shape).toEqual([2, 6, 9, 3]);
    expect(await maxAbsDiff(p, q)).toBe(0);
    tf.dispose([xs, rs, p, q]);
  });

  it('trains through the layer: fit() lowers the loss without leaking tensors', async () => {
    const x = tfl.input({ shape: [4, 4, 2] });
    const h = tfl.layers.dense({ units: 2 }).apply(x);
    const y = resizeBilinear({ scale: 2 }).apply(h) as tfl.SymbolicTensor;
    const model = tfl.model({ inputs: x, outputs: y });
    model.compile({ optimizer: tf.train.adam(0.1), loss: 'meanSquaredError' });
    const xs = tf.randomNormal([2, 4, 4, 2], 0, 1, 'float32', 3);
    // Reachable target: the dense layer can learn the channel map -1.5·x.
    const ys = interpolateBilinear(tf.mul(xs, -1.5), [8, 8]);
    const first = await model.fit(xs, ys, { epochs: 1, verbose: 0 });
    const rest = await expectNoTensorLeak(() => model.fit(xs, ys, { epochs: 15, verbose: 0 }));
    const losses = [...first.history.loss, ...rest.history.loss] as number[];
    expect(losses.at(-1)!).toBeLessThan(losses[0] * 0.5);
    tf.dispose([xs, ys]);
  });

  it('names the problem on bad arguments', () => {
    expect(() => resizeBilinear({ size: [4, 4], scale: 2 })).toThrow(/either size or scale, not both/);
    expect(() => resizeBilinear({ size: [0, 4] })).toThrow(/positive integers, got \[0,4\]/);
    expect(() => resizeBilinear({ scale: -1 })).toThrow(/scale must be a positive number/);
    expect(() => resizeBilinear().computeOutputShape([null, 5, 7, 3])).toThrow(/takes \[x, reference\], got 1 input/);
    const tiny = tf.zeros([1, 1, 1, 1]);
    expect(() => resizeBilinear({ scale: 0.5 }).apply(tiny)).toThrow(/output size 0×0; it must be at least 1×1/);
    tiny.dispose();
  });
});
