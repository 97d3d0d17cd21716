import * as tf from '@tensorflow/tfjs-core';
import { backend_util } from '@tensorflow/tfjs-core';

/** A convolution's padding attribute, as tfjs kernels receive it. */
export type ConvPad = 'valid' | 'same' | number | backend_util.ExplicitPadding;

/** Shapes, strides, dilations and padding of one NHWC 2-D convolution. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  dilationHeight: number;
  dilationWidth: number;
  /** Zero rows/columns added before/after the input (from tfjs's own padding rules). */
  padTop: number;
  padBottom: number;
  padLeft: number;
  padRight: number;
}

/** The conv attributes every gradient and kernel of this folder reads. */
export interface ConvAttrs {
  strides: [number, number] | number;
  dilations?: [number, number] | number;
  pad: ConvPad;
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dataFormat?: 'NHWC' | 'NCHW';
}

function pair(v: [number, number] | number | undefined): [number, number] {
  if (v == null) return [1, 1];
  return typeof v === 'number' ? [v, v] : [v[0], v[1]];
}

/**
 * Checks the attributes this folder supports and computes the geometry with
 * tfjs's own `computeConv2DInfo`, so output sizes and 'same' padding match
 * the forward op exactly.
 *
 * @param op Kernel or gradient name used in error messages.
 * @throws If the layout is not NHWC, if strides and dilations are both above
 *   1, or if the shapes do not fit.
 */
export function convGeometry(
  op: string,
  xShape: number[],
  filterShape: number[],
  attrs: ConvAttrs,
  depthwise: boolean,
): ConvGeometry {
  const strides = pair(attrs.strides);
  const dilations = pair(attrs.dilations);
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC') {
    throw new Error(`${op}: dataFormat '${attrs.dataFormat}' is not supported; only 'NHWC' is`);
  }
  if (strides.some((s) => s !== 1) && dilations.some((d) => d !== 1)) {
    throw new Error(
      `${op}: strides [${strides}] together with dilations [${dilations}] are not supported ` +
        '(tf.conv2d rejects them too); use strides 1 with dilations, or dilations 1 with strides',
    );
  }
  if (xShape.length !== 4 || filterShape.length !== 4) {
    throw new Error(`${op}: expected a rank-4 input and filter, got shapes [${xShape}] and [${filterShape}]`);
  }
  if (xShape[3] !== filterShape[2]) {
    throw new Error(
      `${op}: input has ${xShape[3]} channels but the filter [${filterShape}] expects ${filterShape[2]} (dimension 2)`,
    );
  }
  const info = backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    dilations,
    attrs.pad,
    attrs.dimRoundingMode,
    depthwise,
  );
  const g: ConvGeometry = {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    dilationHeight: info.dilationHeight,
    dilationWidth: info.dilationWidth,
    padTop: info.padInfo.top,
    padBottom: info.padInfo.bottom,
    padLeft: info.padInfo.left,
    padRight: info.padInfo.right,
  };
  if (g.outHeight < 1 || g.outWidth < 1) {
    throw new Error(`${op}: input [${xShape}] is smaller than the dilated filter [${filterShape}] with this padding`);
  }
  return g;
}

/**
 * For a stride-1 convolution: the upstream gradient cropped, and the explicit
 * padding, such that the input gradient is a 'valid'-style forward
 * convolution of it with the flipped filter at the forward op's dilation,
 * yielding exactly `[batch, inHeight, inWidth, ·]`.
 *
 * Going through the forward op rather than the backprop-input kernel matters
 * on wasm: there the forward conv runs in XNNPACK, about 12× faster than the
 * backprop-input kernel for a 3×3 256→256 conv on 64×64. Passing the padding
 * to the conv instead of materialising it keeps large rates cheap.
 */
export function upstreamForTransposedConv(
  dy: tf.Tensor4D,
  g: ConvGeometry,
): { z: tf.Tensor4D; pad: backend_util.ExplicitPadding } {
  let z = dy;
  const [n, , , c] = dy.shape;
  const spanH = (g.filterHeight - 1) * g.dilationHeight;
  const spanW = (g.filterWidth - 1) * g.dilationWidth;
  const top = spanH - g.padTop;
  const left = spanW - g.padLeft;
  const bottom = g.inHeight + spanH - z.shape[1] - top;
  const right = g.inWidth + spanW - z.shape[2] - left;
  if (top < 0 || bottom < 0 || left < 0 || right < 0) {
    const t = Math.max(0, -top);
    const l = Math.max(0, -left);
    z = tf.slice(z, [0, t, l, 0], [n, z.shape[1] - t - Math.max(0, -bottom), z.shape[2] - l - Math.max(0, -right), c]);
  }
  return {
    z,
    pad: [
      [0, 0],
      [Math.max(0, top), Math.max(0, bottom)],
      [Math.max(0, left), Math.max(0, right)],
      [0, 0],
    ],
  };
}
