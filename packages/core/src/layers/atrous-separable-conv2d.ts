import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
// Loaded for its side effect: it registers the tfjs-layers classes looked up below.
import '@tensorflow/tfjs-layers';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SeparableConv2D as TfSeparableConv2D } from '@tensorflow/tfjs-layers/dist/layers/convolutional.js';
import type { LayerGradient } from '../backprop/layer-gradient.js';
import { recomputeGradient } from '../backprop/recompute-gradient.js';
import { tfjsLayerClass } from '../backprop/tfjs-layer-fields.js';
import { checkAtrousArgs } from './atrous-conv2d.js';

type TfSeparableConv2DArgs = Parameters<typeof tfl.layers.separableConv2d>[0];

/**
 * Arguments of {@link atrousSeparableConv2d}: exactly those of tfjs-layers'
 * `tf.layers.separableConv2d`.
 */
export interface AtrousSeparableConv2DArgs extends TfSeparableConv2DArgs {
  /** Number of output channels of the pointwise conv. Required. */
  filters: number;
  /** Depthwise kernel height and width (a number means square). Required. */
  kernelSize: number | number[];
  /** Depthwise strides; must be 1 wherever `dilationRate` is above 1. Default `1`. */
  strides?: number | number[];
  /** `'same'` or `'valid'`, for the depthwise conv. Default `'valid'`. */
  padding?: TfSeparableConv2DArgs['padding'];
  /** Dilation (atrous rate) of the depthwise conv per spatial axis. Default `1`. */
  dilationRate?: TfSeparableConv2DArgs['dilationRate'];
  /** Depthwise output channels per input channel. Default `1`. */
  depthMultiplier?: number;
  /** Only `'channelsLast'` (NHWC) is supported. Default `'channelsLast'`. */
  dataFormat?: TfSeparableConv2DArgs['dataFormat'];
  /** Activation applied after the bias. Default none (linear). */
  activation?: TfSeparableConv2DArgs['activation'];
  /** Whether a bias vector is added after the pointwise conv. Default `true`. */
  useBias?: boolean;
  /**
   * Depthwise kernel initializer. Default `'glorotUniform'`. As in tfjs-layers
   * 4.22, it also initialises the pointwise kernel.
   */
  depthwiseInitializer?: TfSeparableConv2DArgs['depthwiseInitializer'];
  /** Pointwise kernel initializer. Default `'glorotUniform'` (ignored by tfjs-layers 4.22, see above). */
  pointwiseInitializer?: TfSeparableConv2DArgs['pointwiseInitializer'];
  /** Bias initializer. Default `'zeros'`. */
  biasInitializer?: TfSeparableConv2DArgs['biasInitializer'];
  /** Depthwise kernel regularizer. Default none. */
  depthwiseRegularizer?: TfSeparableConv2DArgs['depthwiseRegularizer'];
  /** Pointwise kernel regularizer. Default none. */
  pointwiseRegularizer?: TfSeparableConv2DArgs['pointwiseRegularizer'];
  /** Bias regularizer. Default none. */
  biasRegularizer?: TfSeparableConv2DArgs['biasRegularizer'];
  /** Depthwise kernel constraint. Default none. */
  depthwiseConstraint?: TfSeparableConv2DArgs['depthwiseConstraint'];
  /** Pointwise kernel constraint. Default none. */
  pointwiseConstraint?: TfSeparableConv2DArgs['pointwiseConstraint'];
  /** Bias constraint. Default none. */
  biasConstraint?: TfSeparableConv2DArgs['biasConstraint'];
  /** Activity regularizer. Default none. */
  activityRegularizer?: TfSeparableConv2DArgs['activityRegularizer'];
}

const SeparableConv2DBase = tfjsLayerClass('SeparableConv2D') as typeof TfSeparableConv2D;

/**
 * A depthwise (optionally dilated) convolution followed by a 1×1 pointwise
 * convolution, with tfjs-layers' `SeparableConv2D` arguments, weights
 * (`depthwise_kernel` `[kh, kw, cin, multiplier]`, `pointwise_kernel`
 * `[1, 1, cin·multiplier, filters]`, `bias` `[filters]`) and config; the
 * separable ASPP branches of DeepLabV3+ use it.
 *
 * Both convs are the unfused `tf.depthwiseConv2d` / `tf.conv2d` ops, whose
 * registry gradients `registerSegKernels` makes dilation-aware and whose
 * backprop kernels it supplies on wasm.
 */
export class AtrousSeparableConv2D extends SeparableConv2DBase {
  /** Name under which the class is registered for (de)serialisation. */
  static override className = 'AtrousSeparableConv2D';

  /** @param args See {@link AtrousSeparableConv2DArgs}. */
  constructor(args: AtrousSeparableConv2DArgs) {
    super(args);
    checkAtrousArgs('AtrousSeparableConv2D', this.strides, this.dilationRate, this.dataFormat);
  }

  /** Depthwise conv, pointwise conv, bias, activation, on an NHWC input. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const [sh, sw] = this.strides;
      const [dh, dw] = this.dilationRate;
      const depthwise = tf.depthwiseConv2d(
        x,
        this.depthwiseKernel.read() as tf.Tensor4D,
        [sh, sw],
        this.padding as 'same' | 'valid',
        'NHWC',
        [dh, dw],
      );
      let y: tf.Tensor = tf.conv2d(depthwise, this.pointwiseKernel.read() as tf.Tensor4D, 1, 'valid');
      if (this.bias != null) y = tf.add(y, this.bias.read());
      return this.activation.apply(y);
    });
  }
}
serialization.registerClass(AtrousSeparableConv2D);

/**
 * The training step of {@link AtrousSeparableConv2D}: its `call()` again
 * under tfjs's tape in the backward pass (it is deterministic and keeps no
 * running state), keeping only the input between the passes.
 */
export const atrousSeparableConv2dGradient: LayerGradient = recomputeGradient;

/**
 * Creates an {@link AtrousSeparableConv2D} layer: a drop-in for
 * `tf.layers.separableConv2d` that trains with any dilation rate on every
 * backend.
 *
 * @example
 * ```ts
 * const branch = atrousSeparableConv2d({ filters: 256, kernelSize: 3, padding: 'same', dilationRate: 12, useBias: false });
 * ```
 */
export function atrousSeparableConv2d(args: AtrousSeparableConv2DArgs): AtrousSeparableConv2D {
  return new AtrousSeparableConv2D(args);
}
