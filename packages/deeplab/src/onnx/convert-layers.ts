/**
 * Every layer class export knows, by tfjs class name: @seg's layers and the
 * tfjs layers models of this library (and most small convnets) use.
 *
 * @module
 */
import { activation, type ConvertContext, type LayerConverter, pair, required } from './convert-context.js';
import { convertConv2D, convertDense, convertDepthwiseConv2D, convertSeparableConv2D, paddingAttributes } from './convert-conv.js';
import type { OnnxValue } from './onnx-graph.js';
import { ONNX_DTYPE } from './onnx-proto.js';

const nchw = (name: string): OnnxValue => ({ name, layout: 'nchw', rank: 4 });

const batchNorm: LayerConverter = (c) => {
  const x = c.g.toNchw(c.inputs[0], c.path);
  const axis = (c.config.axis as number | undefined) ?? -1;
  if (axis !== -1 && axis !== x.rank - 1) c.fail(`it normalises axis ${axis}; only the last (channels) axis exports`);
  if (x.rank !== 4 && x.rank !== 2) c.fail(`its input has rank ${x.rank}; ONNX normalises axis 1, which is the channel axis for rank 2 and 4 only`);
  const mean = required(c, 'moving_mean');
  const ones = new Float32Array(mean.values.length).fill(1);
  const param = (name: string, fallback: Float32Array) => c.g.weight(`${c.path}.${name}`, c.weight(name)?.values ?? fallback, [fallback.length]);
  const y = c.g.op(
    'BatchNormalization',
    [x.name, param('gamma', ones), param('beta', new Float32Array(ones.length)), param('moving_mean', mean.values), param('moving_variance', ones)],
    c.path,
    [{ name: 'epsilon', f: (c.config.epsilon as number | undefined) ?? 1e-3 }],
  );
  // BatchNormAct's activation is 'relu' or 'linear'; tfjs's BatchNormalization has none.
  return [activation(c, { ...x, name: y }, c.config.activation)];
};

/** The `[N, C]` of `x` (channels-first) followed by `hw`, as a Resize `sizes` input. */
function sizesWith(c: ConvertContext, x: string, hw: string): string {
  const nc = c.g.op('Shape', [x], `${c.path}.batch_channels`, [
    { name: 'start', i: 0 },
    { name: 'end', i: 2 },
  ]);
  return c.g.op('Concat', [nc, hw], `${c.path}.sizes`, [{ name: 'axis', i: 0 }]);
}

/** @seg's `ResizeBilinear`: to a fixed size, by a scale (floor of the scaled size), or to a reference tensor's size. */
const resizeBilinear: LayerConverter = (c) => {
  const x = c.g.toNchw(c.inputs[0], c.path).name;
  let hw: string;
  if (c.config.size) {
    hw = c.g.int64s(`${c.path}.size`, c.config.size as number[]);
  } else if (c.config.scale) {
    const inHw = c.g.op('Cast', [c.g.op('Shape', [x], `${c.path}.in_hw`, [{ name: 'start', i: 2 }])], `${c.path}.in_hw_float`, [{ name: 'to', i: ONNX_DTYPE.FLOAT }]);
    const scaled = c.g.op('Floor', [c.g.op('Mul', [inHw, c.g.floats(`${c.path}.scale`, c.config.scale as number[])], `${c.path}.scaled_hw`)], `${c.path}.floor_hw`);
    hw = c.g.op('Cast', [scaled], `${c.path}.out_hw`, [{ name: 'to', i: ONNX_DTYPE.INT64 }]);
  } else {
    const reference = c.g.toNchw(c.inputs[1], `${c.path}.reference`).name;
    hw = c.g.op('Shape', [reference], `${c.path}.reference_hw`, [{ name: 'start', i: 2 }]);
  }
  // half_pixel with clamping at the border is tfjs's halfPixelCenters and PyTorch's align_corners=False.
  const y = c.g.op('Resize', [x, '', '', sizesWith(c, x, hw)], c.path, [
    { name: 'mode', s: 'linear' },
    { name: 'coordinate_transformation_mode', s: 'half_pixel' },
  ]);
  return [nchw(y)];
};

/** tfjs's `UpSampling2D`: resizeNearestNeighbor / resizeBilinear without half-pixel centres. */
const upSampling2D: LayerConverter = (c) => {
  const x = c.g.toNchw(c.inputs[0], c.path).name;
  const [sh, sw] = pair(c.config.size ?? 2);
  const bilinear = c.config.interpolation === 'bilinear';
  const y = c.g.op('Resize', [x, '', c.g.floats(`${c.path}.scales`, [1, 1, sh, sw])], c.path, [
    { name: 'mode', s: bilinear ? 'linear' : 'nearest' },
    { name: 'coordinate_transformation_mode', s: 'asymmetric' },
    ...(bilinear ? [] : [{ name: 'nearest_mode', s: 'floor' }]),
  ]);
  return [nchw(y)];
};

const zeroPadding2D: LayerConverter = (c) => {
  const x = c.g.toNchw(c.inputs[0], c.path).name;
  const [[top, bottom], [left, right]] = c.config.padding as [[number, number], [number, number]];
  return [nchw(c.g.op('Pad', [x, c.g.int64s(`${c.path}.pads`, [0, 0, top, left, 0, 0, bottom, right])], c.path))];
};

const pooling =
  (op: 'MaxPool' | 'AveragePool'): LayerConverter =>
  (c) => {
    const x = c.g.toNchw(c.inputs[0], c.path).name;
    const kernel = pair(c.config.poolSize);
    const strides = pair(c.config.strides ?? kernel);
    // tfjs averages over the pixels inside the image only, as count_include_pad=0.
    const extra = op === 'AveragePool' ? [{ name: 'count_include_pad', i: 0 }] : [];
    return [nchw(c.g.op(op, [x], c.path, [{ name: 'kernel_shape', ints: kernel }, { name: 'strides', ints: strides }, ...paddingAttributes(c, kernel, strides, [1, 1]), ...extra]))];
  };

const globalPooling =
  (op: 'GlobalAveragePool' | 'GlobalMaxPool'): LayerConverter =>
  (c) => {
    const pooled = c.g.op(op, [c.g.toNchw(c.inputs[0], c.path).name], c.path);
    if (c.config.keepDims) return [nchw(pooled)];
    return [{ name: c.g.op('Flatten', [pooled], `${c.path}.flatten`, [{ name: 'axis', i: 1 }]), layout: 'nhwc', rank: 2 }];
  };

const reshape: LayerConverter = (c) => {
  const x = c.g.toNhwc(c.inputs[0], c.path);
  const target = c.config.targetShape as number[];
  // 0 keeps the input's batch size.
  const y = c.g.op('Reshape', [x.name, c.g.int64s(`${c.path}.shape`, [0, ...target])], c.path);
  return [{ name: y, layout: 'nhwc', rank: target.length + 1 }];
};

const flatten: LayerConverter = (c) => [
  { name: c.g.op('Flatten', [c.g.toNhwc(c.inputs[0], c.path).name], c.path, [{ name: 'axis', i: 1 }]), layout: 'nhwc', rank: 2 },
];

/** The inputs in one layout: channels-first when they are images. */
function aligned(c: ConvertContext): OnnxValue[] {
  return c.inputs.map((v, i) => (v.rank === 4 ? c.g.toNchw(v, `${c.path}.${i}`) : c.g.toNhwc(v, `${c.path}.${i}`)));
}

const concatenate: LayerConverter = (c) => {
  const xs = aligned(c);
  const axis = c.g.axis(xs[0], (c.config.axis as number | undefined) ?? -1);
  return [{ ...xs[0], name: c.g.op('Concat', xs.map((v) => v.name), c.path, [{ name: 'axis', i: axis }]) }];
};

const merge =
  (op: string, variadic: boolean): LayerConverter =>
  (c) => {
    const xs = aligned(c);
    if (variadic || xs.length === 2) return [{ ...xs[0], name: c.g.op(op, xs.map((v) => v.name), c.path) }];
    let y = xs[0].name;
    xs.slice(1).forEach((v, i) => {
      y = c.g.op(op, [y, v.name], `${c.path}.${i}`);
    });
    return [{ ...xs[0], name: y }];
  };

const relu: LayerConverter = (c) => {
  const x = c.inputs[0];
  const max = c.config.maxValue as number | null | undefined;
  if (max == null) return [{ ...x, name: c.g.op('Relu', [x.name], c.path) }];
  return [activation(c, x, max === 6 ? 'relu6' : c.fail(`its maxValue ${max} has no ONNX form here; only 6 (relu6) or none`))];
};

const identity: LayerConverter = (c) => [c.inputs[0]];

/** The converters by tfjs class name. */
export const LAYER_CONVERTERS: Readonly<Record<string, LayerConverter>> = {
  AtrousConv2D: convertConv2D,
  Conv2D: convertConv2D,
  DepthwiseConv2D: convertDepthwiseConv2D,
  AtrousDepthwiseConv2D: convertDepthwiseConv2D,
  AtrousSeparableConv2D: convertSeparableConv2D,
  SeparableConv2D: convertSeparableConv2D,
  Dense: convertDense,
  BatchNormAct: batchNorm,
  BatchNormalization: batchNorm,
  ResizeBilinear: resizeBilinear,
  UpSampling2D: upSampling2D,
  ZeroPadding2D: zeroPadding2D,
  MaxPooling2D: pooling('MaxPool'),
  AveragePooling2D: pooling('AveragePool'),
  GlobalAveragePooling2D: globalPooling('GlobalAveragePool'),
  GlobalMaxPooling2D: globalPooling('GlobalMaxPool'),
  Reshape: reshape,
  Flatten: flatten,
  Concatenate: concatenate,
  Add: merge('Sum', true),
  Average: merge('Mean', true),
  Maximum: merge('Max', true),
  Minimum: merge('Min', true),
  Multiply: merge('Mul', false),
  ReLU: relu,
  // PyTorch's hardswish and hardsigmoid (@seg/core's layers): ONNX's with slope 1/6 and offset 1/2.
  HardSwish: (c) => [{ ...c.inputs[0], name: c.g.op('HardSwish', [c.inputs[0].name], c.path) }],
  HardSigmoid: (c) => [{ ...c.inputs[0], name: c.g.op('HardSigmoid', [c.inputs[0].name], c.path, [{ name: 'alpha', f: 1 / 6 }, { name: 'beta', f: 0.5 }]) }],
  Activation: (c) => [activation(c, c.inputs[0], c.config.activation)],
  LeakyReLU: (c) => [{ ...c.inputs[0], name: c.g.op('LeakyRelu', [c.inputs[0].name], c.path, [{ name: 'alpha', f: (c.config.alpha as number | undefined) ?? 0.3 }]) }],
  // Inference leaves these inputs unchanged: dropout, noise, and DeepLabV3+'s size check (the segmenter checks sizes itself).
  Dropout: identity,
  SpatialDropout1D: identity,
  GaussianNoise: identity,
  GaussianDropout: identity,
  AlphaDropout: identity,
  InputSizeGuard: identity,
};
