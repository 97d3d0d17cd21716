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

// The engine passes the op's own tensors to a kernel; the wrap covers callers
// that hand in bare TensorInfos (shared data, one more reference).
function asTensor4D(op: string, name: string, info: TensorInfo | undefined): tf.Tensor4D {
  if (info == null) throw new Error(`${op}: input '${name}' is missing`);
  if (info instanceof tf.Tensor) return info as tf.Tensor4D;
  return tf.engine().makeTensorFromTensorInfo(info) as tf.Tensor4D;
}

function disposeWrapped(info: TensorInfo | undefined, tensor: tf.Tensor): void {
  if (!(info instanceof tf.Tensor)) tensor.dispose();
}

/**
 * `Conv2DBackpropFilter` for wasm, which tfjs-backend-wasm 4.22 lacks (so no
 * convnet trains there): per-tap matrix products on wasm's `BatchMatMul`.
 */
export const wasmConv2dBackpropFilterConfig: KernelConfig = {
  kernelName: Conv2DBackpropFilter,
  backendName: WASM_BACKEND,
  kernelFunc: ({ inputs, attrs }) => {
    const op = `${Conv2DBackpropFilter} (wasm)`;
    const { filterShape, ...convAttrs } = attrs as unknown as Conv2DBackpropFilterAttrs;
    const x = asTensor4D(op, 'x', inputs.x);
    const dy = asTensor4D(op, 'dy', inputs.dy);
    const out = conv2dFilterGrad(x, dy, filterShape, convAttrs);
    disposeWrapped(inputs.x, x);
    disposeWrapped(inputs.dy, dy);
    return out;
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
    const op = `${DepthwiseConv2dNativeBackpropFilter} (wasm)`;
    const { filterShape, ...convAttrs } = attrs as unknown as DepthwiseConv2dNativeBackpropFilterAttrs;
    const x = asTensor4D(op, 'x', inputs.x);
    const dy = asTensor4D(op, 'dy', inputs.dy);
    const out = depthwiseConv2dFilterGrad(x, dy, filterShape, convAttrs);
    disposeWrapped(inputs.x, x);
    disposeWrapped(inputs.dy, dy);
    return out;
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
    const op = `${DepthwiseConv2dNativeBackpropInput} (wasm)`;
    const { inputShape, ...convAttrs } = attrs as unknown as DepthwiseConv2dNativeBackpropInputAttrs;
    const dy = asTensor4D(op, 'dy', inputs.dy);
    const filter = asTensor4D(op, 'filter', inputs.filter);
    const out = depthwiseConv2dInputGrad(inputShape, dy, filter, convAttrs);
    disposeWrapped(inputs.dy, dy);
    disposeWrapped(inputs.filter, filter);
    return out;
  },
};
