/**
 * Convolutions and dense layers: tfjs's `[kh, kw, in, out]` kernels become
 * ONNX's `[out, in, kh, kw]`, on channels-first values.
 *
 * @module
 */
import { activation, type ConvertContext, type LayerConverter, pair, required } from './convert-context.js';
import type { OnnxAttribute } from './onnx-proto.js';

/** `[d0, d1, d2, d3]` values permuted so output axis i is input axis `perm[i]`. */
function permute4(values: Float32Array, dims: readonly number[], perm: readonly number[]): Float32Array {
  const out = new Float32Array(values.length);
  const outDims = perm.map((p) => dims[p]);
  const strides = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
  const s = perm.map((p) => strides[p]);
  let i = 0;
  for (let a = 0; a < outDims[0]; a++)
    for (let b = 0; b < outDims[1]; b++)
      for (let c = 0; c < outDims[2]; c++) for (let d = 0; d < outDims[3]; d++) out[i++] = values[a * s[0] + b * s[1] + c * s[2] + d * s[3]];
  return out;
}

/** tfjs's `'same'`/`'valid'` padding as ONNX Conv/Pool attributes. */
export function paddingAttributes(c: ConvertContext, kernel: [number, number], strides: [number, number], dilation: [number, number]): OnnxAttribute[] {
  const padding = c.config.padding;
  if (padding === 'valid') return [{ name: 'pads', ints: [0, 0, 0, 0] }];
  if (padding !== 'same') return c.fail(`its padding ${JSON.stringify(padding)} has no ONNX form here; use 'same' or 'valid'`);
  // With stride 1 the padding does not depend on the input size; tfjs puts an odd extra row/column at the end.
  if (strides[0] === 1 && strides[1] === 1) {
    const [th, tw] = [(kernel[0] - 1) * dilation[0], (kernel[1] - 1) * dilation[1]];
    return [{ name: 'pads', ints: [Math.floor(th / 2), Math.floor(tw / 2), th - Math.floor(th / 2), tw - Math.floor(tw / 2)] }];
  }
  // SAME_UPPER is TensorFlow's 'same': extra padding at the end, sized from the input at run time.
  return [{ name: 'auto_pad', s: 'SAME_UPPER' }];
}

function checkChannelsLast(c: ConvertContext): void {
  if (c.config.dataFormat !== undefined && c.config.dataFormat !== 'channelsLast') c.fail(`its dataFormat is ${c.config.dataFormat}; only channelsLast exports`);
}

function conv(c: ConvertContext, x: string, weight: string, bias: string | undefined, kernel: [number, number], group: number, suffix = ''): string {
  const strides = pair(c.config.strides ?? 1);
  const dilation = pair(c.config.dilationRate ?? 1);
  return c.g.op('Conv', bias ? [x, weight, bias] : [x, weight], `${c.path}${suffix}`, [
    { name: 'kernel_shape', ints: kernel },
    { name: 'strides', ints: strides },
    { name: 'dilations', ints: dilation },
    { name: 'group', i: group },
    ...paddingAttributes(c, kernel, strides, dilation),
  ]);
}

/** `Conv2D` and `AtrousConv2D`. */
export const convertConv2D: LayerConverter = (c) => {
  checkChannelsLast(c);
  const x = c.g.toNchw(c.inputs[0], c.path);
  const k = required(c, 'kernel');
  const [kh, kw, cin, cout] = k.shape;
  const w = c.g.weight(`${c.path}.weight`, permute4(k.values, k.shape, [3, 2, 0, 1]), [cout, cin, kh, kw]);
  const b = c.weight('bias');
  const y = conv(c, x.name, w, b && c.g.weight(`${c.path}.bias`, b.values, b.shape), [kh, kw], 1);
  return [activation(c, { name: y, layout: 'nchw', rank: 4 }, c.config.activation)];
};

/** `DepthwiseConv2D`: a grouped convolution with one group per input channel. */
export const convertDepthwiseConv2D: LayerConverter = (c) => {
  checkChannelsLast(c);
  const x = c.g.toNchw(c.inputs[0], c.path);
  const k = required(c, 'depthwise_kernel');
  const [kh, kw, cin, multiplier] = k.shape;
  // tfjs's output channel i·multiplier + m is ONNX's group i, filter m: the same order.
  const w = c.g.weight(`${c.path}.weight`, permute4(k.values, k.shape, [2, 3, 0, 1]), [cin * multiplier, 1, kh, kw]);
  const b = c.weight('bias');
  const y = conv(c, x.name, w, b && c.g.weight(`${c.path}.bias`, b.values, b.shape), [kh, kw], cin);
  return [activation(c, { name: y, layout: 'nchw', rank: 4 }, c.config.activation)];
};

/** `SeparableConv2D` and `AtrousSeparableConv2D`: depthwise, then a 1×1 pointwise convolution. */
export const convertSeparableConv2D: LayerConverter = (c) => {
  checkChannelsLast(c);
  const x = c.g.toNchw(c.inputs[0], c.path);
  const d = required(c, 'depthwise_kernel');
  const p = required(c, 'pointwise_kernel');
  const [kh, kw, cin, multiplier] = d.shape;
  const filters = p.shape[3];
  const dw = c.g.weight(`${c.path}.depthwise.weight`, permute4(d.values, d.shape, [2, 3, 0, 1]), [cin * multiplier, 1, kh, kw]);
  const depthwise = conv(c, x.name, dw, undefined, [kh, kw], cin, '.depthwise');
  const pw = c.g.weight(`${c.path}.pointwise.weight`, permute4(p.values, p.shape, [3, 2, 0, 1]), [filters, cin * multiplier, 1, 1]);
  const b = c.weight('bias');
  const y = c.g.op('Conv', b ? [depthwise, pw, c.g.weight(`${c.path}.bias`, b.values, b.shape)] : [depthwise, pw], `${c.path}.pointwise`, [
    { name: 'kernel_shape', ints: [1, 1] },
  ]);
  return [activation(c, { name: y, layout: 'nchw', rank: 4 }, c.config.activation)];
};

/** `Dense`: `Gemm` on `[N, in]`, a 1×1 convolution on channels-first images, `MatMul` otherwise. */
export const convertDense: LayerConverter = (c) => {
  const x = c.inputs[0];
  const k = required(c, 'kernel');
  const [cin, units] = k.shape;
  const b = c.weight('bias');
  let y: string;
  if (x.rank === 4) {
    const xc = c.g.toNchw(x, c.path);
    const wt = c.g.weight(`${c.path}.weight`, permute4(k.values, [cin, units, 1, 1], [1, 0, 2, 3]), [units, cin, 1, 1]);
    y = c.g.op('Conv', b ? [xc.name, wt, c.g.weight(`${c.path}.bias`, b.values, b.shape)] : [xc.name, wt], c.path, [{ name: 'kernel_shape', ints: [1, 1] }]);
    return [activation(c, { name: y, layout: 'nchw', rank: 4 }, c.config.activation)];
  }
  const w = c.g.weight(`${c.path}.weight`, k.values, [cin, units]);
  if (x.rank === 2) {
    y = c.g.op('Gemm', b ? [x.name, w, c.g.weight(`${c.path}.bias`, b.values, b.shape)] : [x.name, w], c.path);
  } else {
    y = c.g.op('MatMul', [x.name, w], c.path);
    if (b) y = c.g.op('Add', [y, c.g.weight(`${c.path}.bias`, b.values, b.shape)], `${c.path}.bias_add`);
  }
  return [activation(c, { name: y, layout: 'nhwc', rank: x.rank }, c.config.activation)];
};
