import * as tf from '@tensorflow/tfjs-core';
import {
  Conv2D,
  type Conv2DAttrs,
  Conv2DBackpropFilter,
  Conv2DBackpropInput,
  type GradConfig,
  type NamedAttrMap,
} from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
import { conv2dFilterGrad } from './conv2d-filter-grad.js';
import { conv2dInputGrad } from './conv2d-input-grad.js';

/**
 * Backends whose own `Conv2DBackpropInput` / `Conv2DBackpropFilter` kernels
 * are used at dilation 1. On webgpu they were faster than the composed
 * gradient and needed 3–4× less peak memory and 2 kernels instead of 9–251
 * (bench/README.md, "Conv2D gradient route"); libtensorflow's are cuDNN's.
 * On wasm and cpu the composed gradient stays: faster there.
 */
export const NATIVE_CONV_GRAD_BACKENDS: ReadonlySet<string> = new Set(['webgpu', 'tensorflow']);

/**
 * Gradient of the `Conv2D` kernel that, unlike tfjs-core's, accepts dilation
 * rates above 1 (at stride 1), for 'same', 'valid', numeric and explicit
 * padding in NHWC. Built only from public forward ops, so it runs on every
 * backend; at dilation 1 on {@link NATIVE_CONV_GRAD_BACKENDS} it runs the
 * backend's own backprop kernels instead.
 */
export const conv2dGradConfig: GradConfig = {
  kernelName: Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const upstream = dy as tf.Tensor4D;
    const convAttrs = attrs as unknown as Conv2DAttrs;
    // Checked here rather than inside the thunks so a bad combination fails
    // when the gradient is requested, naming the op, before any work is done.
    const g = convGeometry('Conv2D gradient', x.shape, filter.shape, convAttrs, false);
    if (g.dilationHeight === 1 && g.dilationWidth === 1 && NATIVE_CONV_GRAD_BACKENDS.has(tf.getBackend())) {
      const { strides, pad, dataFormat, dimRoundingMode } = convAttrs;
      const common = { strides, pad, dataFormat, dimRoundingMode } as unknown as NamedAttrMap;
      return {
        x: () => tf.engine().runKernel(Conv2DBackpropInput, { dy: upstream, filter }, { ...common, inputShape: x.shape }) as tf.Tensor4D,
        filter: () => tf.engine().runKernel(Conv2DBackpropFilter, { x, dy: upstream }, { ...common, filterShape: filter.shape }) as tf.Tensor4D,
      };
    }
    return {
      x: () => conv2dInputGrad(x.shape, upstream, filter, convAttrs),
      filter: () => conv2dFilterGrad(x, upstream, filter.shape, convAttrs),
    };
  },
};
