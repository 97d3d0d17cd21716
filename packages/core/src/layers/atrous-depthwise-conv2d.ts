import * as tf from '@tensorflow/tfjs-core';
import { serialization } from '@tensorflow/tfjs-core';
// Loaded for its side effect: it registers the tfjs-layers classes looked up below.
import '@tensorflow/tfjs-layers';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DepthwiseConv2D as TfDepthwiseConv2D } from '@tensorflow/tfjs-layers/dist/layers/convolutional_depthwise.js';
import { convolutionGradient } from '../backprop/conv-layers.js';
import type { LayerGradient } from '../backprop/layer-gradient.js';
import { type ConvFields, convFields, tfjsLayerClass } from '../backprop/tfjs-layer-fields.js';
import { checkAtrousArgs } from './atrous-conv2d.js';

type TfDepthwiseConv2DArgs = Parameters<typeof tfl.layers.depthwiseConv2d>[0];

/**
 * Arguments of {@link atrousDepthwiseConv2d}: those of tfjs-layers'
 * `tf.layers.depthwiseConv2d`, whose `dilationRate` this layer honours.
 */
export interface AtrousDepthwiseConv2DArgs extends TfDepthwiseConv2DArgs {
  /** Kernel height and width (a number means square). Required. */
  kernelSize: number | [number, number];
  /** Strides; must be 1 wherever `dilationRate` is above 1. Default `1`. */
  strides?: number | [number, number];
  /** `'same'` or `'valid'`. Default `'valid'`. */
  padding?: TfDepthwiseConv2DArgs['padding'];
  /** Dilation (atrous rate) per spatial axis. Default `1`. */
  dilationRate?: number | [number, number];
  /** Output channels per input channel. Default `1`. */
  depthMultiplier?: number;
  /** Only `'channelsLast'` (NHWC) is supported. Default `'channelsLast'`. */
  dataFormat?: TfDepthwiseConv2DArgs['dataFormat'];
  /** Activation applied after the bias. Default none (linear). */
  activation?: TfDepthwiseConv2DArgs['activation'];
  /** Whether a bias vector is added. Default `true`. */
  useBias?: boolean;
  /** Kernel initializer. Default `'glorotUniform'` (as tfjs-layers' `DepthwiseConv2D`). */
  depthwiseInitializer?: TfDepthwiseConv2DArgs['depthwiseInitializer'];
  /** Bias initializer. Default `'zeros'`. */
  biasInitializer?: TfDepthwiseConv2DArgs['biasInitializer'];
}

const DepthwiseConv2DBase = tfjsLayerClass('DepthwiseConv2D') as typeof TfDepthwiseConv2D;

/** The fields of tfjs-layers' `DepthwiseConv2D` that `ConvFields` leaves out (private in its typings). */
interface DepthwiseShape {
  kernelSize: [number, number];
  depthMultiplier: number;
}

/**
 * The depthwise convolution up to the activation: `tf.depthwiseConv2d` with
 * the layer's dilation, plus the bias. `call()` and the training step both
 * run it, so the layer's math is written once.
 */
function depthwiseBeforeActivation(f: ConvFields, x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const y = tf.depthwiseConv2d(x as tf.Tensor4D, f.depthwiseKernel!.read() as tf.Tensor4D, f.strides, f.padding as 'same' | 'valid', 'NHWC', f.dilationRate);
    return f.bias ? tf.add(y, f.bias.read()) : y;
  });
}

/** Output length of a dilated conv along one axis, as tf.conv2d computes it. */
function outputLength(size: number | null, kernel: number, dilation: number, stride: number, padding: string): number | null {
  if (size === null) return null;
  const effective = kernel + (kernel - 1) * (dilation - 1);
  return padding === 'same' ? Math.ceil(size / stride) : Math.ceil((size - effective + 1) / stride);
}

/**
 * A depthwise 2-D convolution with tfjs-layers' `DepthwiseConv2D`
 * arguments, weights (`depthwise_kernel` `[kh, kw, cin, multiplier]`,
 * `bias`) and config, that applies its dilation rate: tfjs-layers 4.22's own
 * layer stores `dilationRate` but convolves without it. Its gradient works
 * for any dilation on every backend (`registerSegKernels`). MobileNetV3's
 * dilated stages use it.
 */
export class AtrousDepthwiseConv2D extends DepthwiseConv2DBase {
  /** Name under which the class is registered for (de)serialisation. */
  static override className = 'AtrousDepthwiseConv2D';

  /** @param args See {@link AtrousDepthwiseConv2DArgs}. */
  constructor(args: AtrousDepthwiseConv2DArgs) {
    super(args);
    const f = convFields(this);
    checkAtrousArgs('AtrousDepthwiseConv2D', f.strides, f.dilationRate, f.dataFormat);
  }

  /** Convolves each channel of the NHWC input, adds the bias and applies the activation. */
  override call(inputs: tf.Tensor | tf.Tensor[], _kwargs: Record<string, unknown>): tf.Tensor {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    return tf.tidy(() => this.activation.apply(depthwiseBeforeActivation(convFields(this), x)));
  }

  /** Output shape, dilation included (tfjs-layers' leaves it out). */
  override computeOutputShape(inputShape: tfl.Shape | tfl.Shape[]): tfl.Shape {
    const [n, h, w, c] = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tfl.Shape;
    const f = convFields(this);
    const { kernelSize, depthMultiplier } = this as unknown as DepthwiseShape;
    return [
      n,
      outputLength(h, kernelSize[0], f.dilationRate[0], f.strides[0], f.padding),
      outputLength(w, kernelSize[1], f.dilationRate[1], f.strides[1], f.padding),
      c === null ? null : c * depthMultiplier,
    ];
  }
}
serialization.registerClass(AtrousDepthwiseConv2D);

/**
 * The training step of {@link AtrousDepthwiseConv2D}: its forward pass up to
 * the activation, then the registered `DepthwiseConv2dNative` gradient
 * (`registerSegKernels` makes it dilation-aware), keeping the input.
 */
export const atrousDepthwiseConv2dGradient: LayerGradient = convolutionGradient({
  kernel: (f) => f.depthwiseKernel!,
  beforeActivation: depthwiseBeforeActivation,
  gradientOf: 'DepthwiseConv2dNative',
});

/**
 * Creates an {@link AtrousDepthwiseConv2D} layer: `tf.layers.depthwiseConv2d`
 * with its dilation rate applied, trainable on every backend.
 *
 * @example
 * ```ts
 * const y = atrousDepthwiseConv2d({ kernelSize: 5, padding: 'same', dilationRate: 2, useBias: false }).apply(x);
 * ```
 */
export function atrousDepthwiseConv2d(args: AtrousDepthwiseConv2DArgs): AtrousDepthwiseConv2D {
  return new AtrousDepthwiseConv2D(args);
}
