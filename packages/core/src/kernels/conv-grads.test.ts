import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, useBackend } from '../../../../test-utils/backends.js';
import { relativeError as relError } from '../../../../test-utils/compare.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import { convGeometry } from './conv-geometry.js';
import { conv2dFilterGradByTaps } from './conv2d-filter-grad.js';
import { conv2dFilterGradAsConv } from './conv2d-filter-grad-as-conv.js';
import { conv2dGradConfig, NATIVE_CONV_GRAD_BACKENDS } from './conv2d-grad.js';
import { registerSegKernels } from './register.js';
import { wasmConv2dBackpropFilterConfig } from './wasm-kernels.js';

// Fixtures written by scripts/fixtures/conv_grads.py (torch 1.13, float64 reference).
const FIXTURES = new URL('../../fixtures/conv-grads/', import.meta.url);
const weights = parseSafetensors(readFileSync(new URL('conv-grads.safetensors', FIXTURES)), 'conv-grads.safetensors');
interface Case {
  name: string;
  op: 'conv2d' | 'depthwise';
  strides: [number, number];
  dilations: [number, number];
  pad: 'same' | 'valid' | tf.backend_util.ExplicitPadding;
}
const CASES: Case[] = JSON.parse(readFileSync(new URL('cases.json', FIXTURES), 'utf8')).cases;

function fixture(name: string): tf.Tensor4D {
  const t = weights.tensors.get(name);
  if (t == null) throw new Error(`conv-grads.safetensors has no tensor '${name}'`);
  return tf.tensor4d(safetensorsToFloat32(t), t.shape as [number, number, number, number], 'float32');
}

const TOLERANCE = 1e-4;

function forward(c: Case, x: tf.Tensor4D, filter: tf.Tensor4D): tf.Tensor4D {
  return c.op === 'conv2d'
    ? tf.conv2d(x, filter, c.strides, c.pad, 'NHWC', c.dilations)
    : tf.depthwiseConv2d(x, filter, c.strides, c.pad, 'NHWC', c.dilations);
}

describeEachBackend('conv gradients match torch', (backend) => {
  for (const c of CASES) {
    it(`${c.name}: forward, input and filter gradients`, async () => {
      const [y, dx, dfilter, ...refs] = tf.tidy(() => {
        const x = fixture(`${c.name}.x`);
        const filter = fixture(`${c.name}.filter`);
        const dy = fixture(`${c.name}.dy`);
        const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => forward(c, a as tf.Tensor4D, b as tf.Tensor4D))([x, filter], dy);
        return [forward(c, x, filter), ...grads, ...['y', 'dx', 'dfilter'].map((k) => fixture(`${c.name}.${k}`))];
      });
      expect(await relError(y, refs[0])).toBeLessThan(TOLERANCE);
      expect(await relError(dx, refs[1])).toBeLessThan(TOLERANCE);
      expect(await relError(dfilter, refs[2])).toBeLessThan(TOLERANCE);
      tf.dispose([y, dx, dfilter, ...refs]);
    });
  }

  // The backprop kernels themselves (ours on wasm, tfjs's own on cpu), as
  // tfjs-layers' fused-conv gradient calls them. Conv2DBackpropFilter has no
  // dilation attribute; the depthwise ones do, and ours honour it.
  const dilationOne = (k: Case) => k.dilations.every((d) => d === 1);
  for (const c of CASES.filter((k) => dilationOne(k) || (k.op === 'depthwise' && backend === 'wasm'))) {
    it(`${c.name}: backprop kernels on ${backend}`, async () => {
      const pairs = tf.tidy(() => {
        const x = fixture(`${c.name}.x`);
        const filter = fixture(`${c.name}.filter`);
        const dy = fixture(`${c.name}.dy`);
        const attrs = { strides: c.strides, pad: c.pad, dilations: c.dilations, dataFormat: 'NHWC' };
        const run = (name: string, inputs: tf.NamedTensorMap, extra: object) =>
          tf.engine().runKernel(name, inputs, { ...attrs, ...extra } as unknown as tf.NamedAttrMap) as tf.Tensor;
        const dfilter =
          c.op === 'conv2d'
            ? run(tf.Conv2DBackpropFilter, { x, dy }, { filterShape: filter.shape })
            : run(tf.DepthwiseConv2dNativeBackpropFilter, { x, dy }, { filterShape: filter.shape });
        const out: [tf.Tensor, tf.Tensor][] = [[dfilter, fixture(`${c.name}.dfilter`)]];
        if (c.op === 'depthwise') {
          out.push([run(tf.DepthwiseConv2dNativeBackpropInput, { dy, filter }, { inputShape: x.shape }), fixture(`${c.name}.dx`)]);
        }
        return out;
      });
      for (const [got, want] of pairs) expect(await relError(got, want)).toBeLessThan(TOLERANCE);
      tf.dispose(pairs.flat());
    });
  }

  it('agrees with central differences of a quadratic loss (dilation 2, odd sizes)', async () => {
    // For L = ½Σy², y bilinear in (x, w), central differences are exact up to
    // float32 rounding, so a large step keeps that rounding small.
    const x = tf.randomNormal([2, 7, 6, 3], 0, 1, 'float32', 7) as tf.Tensor4D;
    const w = tf.randomNormal([3, 3, 3, 2], 0, 1, 'float32', 8) as tf.Tensor4D;
    const loss = async (a: tf.Tensor4D, b: tf.Tensor4D) => {
      const l = tf.tidy(() => tf.mul(0.5, tf.sum(tf.square(tf.conv2d(a, b, 1, 'same', 'NHWC', 2)))));
      const [v] = await l.data();
      l.dispose();
      return v;
    };
    const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      tf.mul(0.5, tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', 2)))),
    )([x, w]);
    const probe = async (t: tf.Tensor4D, grad: tf.Tensor, flat: number, other: tf.Tensor4D, isX: boolean) => {
      const eps = 0.5;
      const base = await t.data();
      // Separate copies: the cpu backend keeps the array it is given.
      const shifted = (delta: number) => {
        const values = base.slice();
        values[flat] += delta;
        return tf.tensor(values, t.shape) as tf.Tensor4D;
      };
      const plus = shifted(eps);
      const minus = shifted(-eps);
      const numeric = isX
        ? ((await loss(plus, other)) - (await loss(minus, other))) / (2 * eps)
        : ((await loss(other, plus)) - (await loss(other, minus))) / (2 * eps);
      plus.dispose();
      minus.dispose();
      const values = Array.from(await grad.data());
      const analytic = values[flat];
      const scale = Math.max(...values.map(Math.abs));
      expect(Math.abs(numeric - analytic) / scale).toBeLessThan(1e-3);
    };
    for (const flat of [0, 17, 101, 251]) await probe(x, dx, flat, w, true);
    for (const flat of [0, 13, 40, 53]) await probe(w, dw, flat, x, false);
    tf.dispose([x, w, dx, dw]);
  });

  it(`takes the backend's own backprop kernels at dilation 1 only where they win (${backend})`, async () => {
    const kernelsOfGrad = async (dilation: number) => {
      const x = tf.randomNormal([1, 9, 9, 4], 0, 1, 'float32', 1) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 4, 5], 0, 1, 'float32', 2) as tf.Tensor4D;
      const grad = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, 'same', 'NHWC', dilation));
      let out: tf.Tensor[] = [];
      const profile = await tf.profile(() => {
        out = grad([x, w]);
        return out;
      });
      tf.dispose([x, w, ...out]);
      return new Set(profile.kernels.map((k) => k.name));
    };
    const native = NATIVE_CONV_GRAD_BACKENDS.has(backend);
    const d1 = await kernelsOfGrad(1);
    expect(d1.has('Conv2DBackpropInput')).toBe(native);
    expect(d1.has('Conv2DBackpropFilter')).toBe(native);
    const d2 = await kernelsOfGrad(2);
    expect(d2.has('Conv2DBackpropInput') || d2.has('Conv2DBackpropFilter')).toBe(false);
  });

  it('keeps the tensor count flat over 10 gradient steps', async () => {
    const x = tf.randomNormal([2, 9, 9, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const w = tf.variable(tf.randomNormal([3, 3, 3, 4], 0, 0.1, 'float32', 2));
    const d = tf.variable(tf.randomNormal([3, 3, 4, 1], 0, 0.1, 'float32', 3));
    const optimizer = tf.train.sgd(0.01);
    const step = () =>
      optimizer.minimize(() => {
        const y = tf.conv2d(x, w as tf.Tensor4D, 1, 'same', 'NHWC', 3);
        return tf.mean(tf.square(tf.depthwiseConv2d(y, d as tf.Tensor4D, 1, 'same', 'NHWC', 2)));
      });
    step();
    await expectNoTensorLeak(() => {
      for (let i = 0; i < 10; i++) step();
    });
    tf.dispose([x, w, d]);
  });
});

describe('numeric padding and dimRoundingMode [cpu]', () => {
  beforeAll(() => useBackend('cpu'));
  // tfjs-backend-cpu's own backprop kernels are the reference here (torch
  // has no rounding modes); dilation 1, where they are correct.
  const grid: [[number, number, number, number], number, number, number, 'floor' | 'round' | 'ceil' | undefined][] = [
    [[2, 9, 8, 3], 3, 2, 1, undefined],
    [[1, 10, 9, 4], 3, 2, 1, 'ceil'],
    [[1, 10, 9, 4], 4, 3, 2, 'round'],
    [[1, 11, 10, 3], 5, 2, 2, 'ceil'],
    [[1, 6, 7, 3], 3, 1, 4, undefined],
  ];
  for (const [shape, k, stride, pad, dimRoundingMode] of grid) {
    it(`[${shape}] k${k} stride ${stride} pad ${pad} ${dimRoundingMode ?? ''}`, async () => {
      const pairs = tf.tidy(() => {
        const x = tf.randomNormal(shape, 0, 1, 'float32', 11) as tf.Tensor4D;
        const w = tf.randomNormal([k, k, shape[3], 5], 0, 1, 'float32', 12) as tf.Tensor4D;
        const y = tf.conv2d(x, w, stride, pad, 'NHWC', 1, dimRoundingMode);
        const dy = tf.randomNormal(y.shape, 0, 1, 'float32', 13) as tf.Tensor4D;
        const attrs = { strides: stride, pad, dimRoundingMode, dataFormat: 'NHWC', dilations: 1 };
        const named = attrs as unknown as tf.NamedAttrMap;
        const expectedDx = tf.engine().runKernel(tf.Conv2DBackpropInput, { dy, filter: w }, { ...named, inputShape: shape });
        const expectedDw = tf.engine().runKernel(tf.Conv2DBackpropFilter, { x, dy }, { ...named, filterShape: w.shape });
        const [dx, dw] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, stride, pad, 'NHWC', 1, dimRoundingMode),
        )([x, w], dy);
        return [
          [dx, expectedDx as tf.Tensor],
          [dw, expectedDw as tf.Tensor],
        ] as const;
      });
      for (const [got, want] of pairs) expect(await relError(got, want)).toBeLessThan(TOLERANCE);
      tf.dispose(pairs.flat());
    });
  }
});

describe('unsupported combinations', () => {
  it('name the op and the attributes', () => {
    const x = tf.zeros([1, 9, 9, 3]);
    const w = tf.zeros([3, 3, 3, 2]);
    const dy = tf.zeros([1, 5, 5, 2]);
    const attrs = { strides: [2, 2], dilations: [2, 2], pad: 'same', dataFormat: 'NHWC' } as unknown as tf.NamedAttrMap;
    expect(() => conv2dGradConfig.gradFunc(dy, [x, w], attrs)).toThrow(
      /Conv2D gradient: strides \[2,2\] together with dilations \[2,2\] are not supported/,
    );
    const nchw = { strides: 1, dilations: 2, pad: 'same', dataFormat: 'NCHW' } as unknown as tf.NamedAttrMap;
    expect(() => conv2dGradConfig.gradFunc(dy, [x, w], nchw)).toThrow(/Conv2D gradient: dataFormat 'NCHW'/);
    tf.dispose([x, w, dy]);
  });

  it('registerSegKernels is idempotent and puts our gradient back if replaced', () => {
    registerSegKernels();
    registerSegKernels();
    expect(tf.getGradient(tf.Conv2D)).toBe(conv2dGradConfig);
    // As a tfjs copy loaded later would do:
    tf.registerGradient({ kernelName: tf.Conv2D, gradFunc: () => ({}) });
    expect(tf.getGradient(tf.Conv2D)).not.toBe(conv2dGradConfig);
    registerSegKernels();
    expect(tf.getGradient(tf.Conv2D)).toBe(conv2dGradConfig);
    expect(tf.getKernel(tf.Conv2DBackpropFilter, 'wasm')).toBe(wasmConv2dBackpropFilterConfig);
  });
});

// Both filter-gradient routes on every case they cover, whichever conv2dFilterGrad picks for its size.
describeEachBackend('conv2d filter gradient routes match torch', () => {
  for (const c of CASES.filter((k) => k.op === 'conv2d')) {
    const plain = [...c.strides, ...c.dilations].every((v) => v === 1);
    it(`${c.name}: per-tap products${plain ? ' and one convolution' : ''}`, async () => {
      const [expected, ...routes] = tf.tidy(() => {
        const x = fixture(`${c.name}.x`);
        const filter = fixture(`${c.name}.filter`);
        const dy = fixture(`${c.name}.dy`);
        const g = convGeometry('test', x.shape, filter.shape, { strides: c.strides, dilations: c.dilations, pad: c.pad }, false);
        return [fixture(`${c.name}.dfilter`), conv2dFilterGradByTaps(x, dy, g), ...(plain ? [conv2dFilterGradAsConv(x, dy, g)] : [])];
      });
      for (const route of routes) expect(await relError(route, expected)).toBeLessThan(TOLERANCE);
      tf.dispose([expected, ...routes]);
    });
  }
});
