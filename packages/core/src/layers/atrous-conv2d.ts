import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
// Loaded for its side effect: it registers the tfjs-layers classes looked up below.
import '@tensorflow/tfjs-layers';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { Conv2D as TfConv2D } from '@tensorflow/tfjs-layers/dist/layers/convolutional.js';
import { conv2dBeforeActivation, conv2dGradient } from '../backprop/conv-layers.js';
import type { LayerGradient } from '../backprop/layer-gradient.js';
import { convFields, tfjsLayerClass } from '../backprop/tfjs-layer-fields.js';

type TfConv2DArgs = Parameters<typeof tfl.layers.conv2d>[0];

/**
 * Arguments of {@link atrousConv2d}: exactly those of tfjs-layers'
 * `tf.layers.conv2d`, so a `Conv2D` config (and its weights) load unchanged.
 */
export interface AtrousConv2DArgs extends TfConv2DArgs {
  /** Number of output channels. Required. */
  filters: number;
  /** Kernel height and width (a number means square). Required. */
  kernelSize: number | number[];
  /** Strides; must be 1 wherever `dilationRate` is above 1. Default `1`. */
  strides?: number | number[];
  /** `'same'` or `'valid'`. Default `'valid'`. */
  padding?: TfConv2DArgs['padding'];
  /** Dilation (atrous rate) per spatial axis. Default `1`. */
  dilationRate?: TfConv2DArgs['dilationRate'];
  /** Only `'channelsLast'` (NHWC) is supported. Default `'channelsLast'`. */
  dataFormat?: TfConv2DArgs['dataFormat'];
  /** Activation applied after the bias. Default none (linear). */
  activation?: TfConv2DArgs['activation'];
  /** Whether a bias vector is added. Default `true`. */
  useBias?: boolean;
  /** Kernel initializer. Default `'glorotNormal'` (as tfjs-layers' `Conv2D`). */
  kernelInitializer?: TfConv2DArgs['kernelInitializer'];
  /** Bias initializer. Default `'zeros'`. */
  biasInitializer?: TfConv2DArgs['biasInitializer'];
  /** Kernel regularizer. Default none. */
  kernelRegularizer?: TfConv2DArgs['kernelRegularizer'];
  /** Bias regularizer. Default none. */
  biasRegularizer?: TfConv2DArgs['biasRegularizer'];
  /** Kernel constraint. Default none. */
  kernelConstraint?: TfConv2DArgs['kernelConstraint'];
  /** Bias constraint. Default none. */
  biasConstraint?: TfConv2DArgs['biasConstraint'];
  /** Activity regularizer. Default none. */
  activityRegularizer?: TfConv2DArgs['activityRegularizer'];
}

/**
 * Throws unless strides and dilations are compatible and the layout is NHWC.
 *
 * @internal
 */
export function checkAtrousArgs(layer: string, strides: number[], dilationRate: number[], dataFormat: string): void {
  if (dataFormat !== 'channelsLast') {
    throw new Error(`${layer}: dataFormat '${dataFormat}' is not supported; use 'channelsLast' (NHWC)`);
  }
  if (strides.some((s) => s !== 1) && dilationRate.some((d) => d !== 1)) {
    throw new Error(
      `${layer}: strides ${JSON.stringify(strides)} with dilationRate ${JSON.stringify(dilationRate)} is not supported; ` +
        'use strides 1 with a dilation rate, or dilation rate 1 with strides (as tf.conv2d requires)',
    );
  }
}

const Conv2DBase = tfjsLayerClass('Conv2D') as typeof TfConv2D;

/**
 * A 2-D convolution with tfjs-layers' `Conv2D` arguments, weights (`kernel`
 * `[kh, kw, cin, cout]`, `bias` `[cout]`) and config, whose gradient also
 * works for dilation rates above 1.
 *
 * Why not `Conv2D` itself: it runs `tf.fused.conv2d`, whose gradient is
 * written inline in the op (not in the gradient registry) and asserts
 * dilation 1 whenever the activation is linear, which is every conv followed
 * by batch norm. This layer runs `tf.conv2d` (whose registry gradient
 * `registerSegKernels` replaces with a dilation-aware one), then adds the
 * bias and applies the activation as separate ops.
 */
export class AtrousConv2D extends Conv2DBase {
  /** Name under which the class is registered for (de)serialisation. */
  static override className = 'AtrousConv2D';

  /** @param args See {@link AtrousConv2DArgs}. */
  constructor(args: AtrousConv2DArgs) {
    super(args);
    checkAtrousArgs('AtrousConv2D', this.strides, this.dilationRate, this.dataFormat);
  }

  /** Convolves the NHWC input, adds the bias and applies the activation. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => this.activation.apply(conv2dBeforeActivation(convFields(this), x)));
  }
}
serialization.registerClass(AtrousConv2D);

/**
 * The training step of {@link AtrousConv2D}: tfjs-layers' `Conv2D` one, since
 * the layer has `Conv2D`'s weights and its `call()` is the same
 * convolution, bias and activation.
 */
export const atrousConv2dGradient: LayerGradient = conv2dGradient;

/**
 * Creates an {@link AtrousConv2D} layer: a drop-in for `tf.layers.conv2d`
 * whose gradients work for any dilation rate on every backend.
 *
 * @example
 * ```ts
 * const y = atrousConv2d({ filters: 256, kernelSize: 3, padding: 'same', dilationRate: 6 }).apply(x);
 * ```
 */
export function atrousConv2d(args: AtrousConv2DArgs): AtrousConv2D {
  return new AtrousConv2D(args);
}
