import type * as tf from '@tensorflow/tfjs-core';
import {
  DepthwiseConv2dNative,
  type DepthwiseConv2dNativeAttrs,
  type GradConfig,
  type NamedAttrMap,
} from '@tensorflow/tfjs-core';
import { convGeometry } from './conv-geometry.js';
import { depthwiseConv2dFilterGrad } from './depthwise-filter-grad.js';
import { depthwiseConv2dInputGrad } from './depthwise-input-grad.js';

/**
 * Gradient of the `DepthwiseConv2dNative` kernel that, unlike tfjs-core's,
 * accepts dilation rates above 1 (at stride 1), for 'same', 'valid', numeric
 * and explicit padding in NHWC. Built only from public forward ops, so it
 * runs on every backend.
 */
export const depthwiseConv2dGradConfig: GradConfig = {
  kernelName: DepthwiseConv2dNative,
  inputsToSave: ['x', 'filter'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: NamedAttrMap) => {
    const [x, filter] = saved as [tf.Tensor4D, tf.Tensor4D];
    const convAttrs = attrs as unknown as DepthwiseConv2dNativeAttrs;
    convGeometry('DepthwiseConv2dNative gradient', x.shape, filter.shape, convAttrs, true);
    return {
      x: () => depthwiseConv2dInputGrad(x.shape, dy as tf.Tensor4D, filter, convAttrs),
      filter: () => depthwiseConv2dFilterGrad(x, dy as tf.Tensor4D, filter.shape, convAttrs),
    };
  },
};
