import type * as tf from '@tensorflow/tfjs-core';
import { Conv2D, type Conv2DAttrs, type GradConfig, type NamedAttrMap } from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
import { conv2dFilterGrad } from './conv2d-filter-grad.js';
import { conv2dInputGrad } from './conv2d-input-grad.js';

/**
 * Gradient of the `Conv2D` kernel that, unlike tfjs-core's, accepts dilation
 * rates above 1 (at stride 1), for 'same', 'valid', numeric and explicit
 * padding in NHWC. Built only from public forward ops, so it runs on every
 * backend.
 */
export const conv2dGradConfig: GradConfig = {
  kernelName: Conv2D,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const convAttrs = attrs as unknown as Conv2DAttrs;
    // Checked here rather than inside the thunks so a bad combination fails
    // when the gradient is requested, naming the op, before any work is done.
    convGeometry('Conv2D gradient', x.shape, filter.shape, convAttrs, false);
    return {
      x: () => conv2dInputGrad(x.shape, dy as tf.Tensor4D, filter, convAttrs),
      filter: () => conv2dFilterGrad(x, dy as tf.Tensor4D, filter.shape, convAttrs),
    };
  },
};
