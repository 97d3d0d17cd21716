import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2DBackpropFilter,
  type Conv2DBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropFilter,
  type DepthwiseConv2dNativeBackpropFilterAttrs,
  DepthwiseConv2dNativeBackpropInput,
  type DepthwiseConv2dNativeBackpropInputAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core';
import { conv2dFilterGrad } from './conv2d-filter-grad.js';
import { depthwiseConv2dFilterGrad } from './depthwise-filter-grad.js';
import { depthwiseConv2dInputGrad } from './depthwise-input-grad.js';

/** Backend the kernels of this module are registered for. */
export const WASM_BACKEND = 'wasm';

/**
 * Runs `fn` on two of a kernel's inputs as 4-D tensors. The engine passes the
 * op's own tensors; bare TensorInfos from other callers are wrapped (shared
 * data, one more reference) and the wraps disposed afterwards.
 */
function withInputs(
  op: string,
  inputs: Record<string, TensorInfo | undefined>,
  [a, b]: [string, string],
  fn: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D,
): tf.Tensor4D {
  const wrapped: tf.Tensor[] = [];
  const tensor = (name: string): tf.Tensor4D => {
    const info = inputs[name];
    if (info == null) throw new Error(`${op}: input '${name}' is missing`);
    if (info instanceof tf.Tensor) return info as tf.Tensor4D;
    const t = tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
    wrapped.push(t);
    return t;
  };
  try {
    return fn(tensor(a), tensor(b));
  } finally {
    tf.dispose(wrapped);
  }
}

/**
 * `Conv2DBackpropFilter` for wasm, which tfjs-backend-wasm 4.22 lacks (so no
 * convnet trains there): per-tap matrix products on wasm's `BatchMatMul`.
 */
export const wasmConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: WASM_BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const { filterShape, ...convAttrs } = attrs as unknown as Conv2DBackpropFilterAttrs;
    return withInputs(`${Conv2DBackpropFilter} (wasm)`, inputs, ['x', 'dy'], (x, dy) =>
      conv2dFilterGrad(x, dy, filterShape, convAttrs),
    );
  },
};

/**
 * `DepthwiseConv2dNativeBackpropFilter` for wasm, which tfjs-backend-wasm 4.22
 * lacks: per-tap products and last-axis sums on wasm's elementwise kernels.
 */
export const wasmDepthwiseConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropFilter,
  backendName: WASM_BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const { filterShape, ...convAttrs } = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
    return withInputs(`${DepthwiseConv2dNativeBackpropFilter} (wasm)`, inputs, ['x', 'dy'], (x, dy) =>
      depthwiseConv2dFilterGrad(x, dy, filterShape, convAttrs),
    );
  },
};

/**
 * `DepthwiseConv2dNativeBackpropInput` for wasm, which tfjs-backend-wasm 4.22
 * lacks: a forward depthwise conv (XNNPACK) with the flipped filter.
 */
export const wasmDepthwiseConv2dBackpropInputConfig: KernelConfig = {
  kernelName: DepthwiseConv2dNativeBackpropInput,
  backendName: WASM_BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const { inputShape, ...convAttrs } = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
    return withInputs(`${DepthwiseConv2dNativeBackpropInput} (wasm)`, inputs, ['dy', 'filter'], (dy, filter) =>
      depthwiseConv2dInputGrad(inputShape, dy, filter, convAttrs),
    );
  },
};
