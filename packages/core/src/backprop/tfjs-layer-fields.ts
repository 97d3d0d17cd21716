/**
 * Typed access to what tfjs-layers 4.22 keeps private or protected in its
 * typings: its layer classes (not exported from the package root) and the
 * fields of `BatchNormalization` and `Conv2D` that @seg's subclasses and the
 * layer-by-layer gradients read. One place, so a tfjs-layers upgrade that
 * renames a field breaks here and nowhere else.
 *
 * @module
 */
import { serialization, type Tensor } from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * The class tfjs-layers registered under `className`.
 *
 * tfjs-layers does not export its layer classes from the package root, and a
 * deep import would load a second copy of tfjs-layers under Node's CommonJS
 * entry; the serialization registry hands out the very class the public
 * factories build.
 *
 * @internal
 */
export function tfjsLayerClass(className: string): unknown {
  const entry = serialization.SerializationMap.getMap().classNameMap[className];
  if (entry == null) {
    throw new Error(`@seg/core: tfjs-layers class '${className}' is not registered; is @tensorflow/tfjs-layers loaded?`);
  }
  return entry[0];
}

/** An activation as tfjs-layers layers hold it (`getClassName()` is `'linear'`, `'relu'`, `'tanh'`, …). */
export interface LayerActivation {
  getClassName(): string;
  apply(x: Tensor): Tensor;
}

/** The fields of tfjs-layers' `BatchNormalization` (and its subclasses) read in training. */
export interface BatchNormFields {
  axis: number;
  center: boolean;
  scale: boolean;
  momentum: number;
  epsilon: number;
  gamma: tfl.LayerVariable;
  beta: tfl.LayerVariable;
  movingMean: tfl.LayerVariable;
  movingVariance: tfl.LayerVariable;
}

/** `layer`'s batch-norm fields. */
export const batchNormFields = (layer: tfl.layers.Layer): BatchNormFields => layer as unknown as BatchNormFields;

/** The fields of tfjs-layers' `Conv2D` / `DepthwiseConv2D` (and their subclasses) that define its forward pass. */
export interface ConvFields {
  /** `kernel` of a `Conv2D`. */
  kernel?: tfl.LayerVariable;
  /** `depthwiseKernel` of a `DepthwiseConv2D`. */
  depthwiseKernel?: tfl.LayerVariable;
  bias: tfl.LayerVariable | null;
  strides: [number, number];
  padding: 'same' | 'valid' | 'causal';
  dilationRate: [number, number];
  dataFormat: 'channelsFirst' | 'channelsLast';
  /** Applied after the bias. */
  activation: LayerActivation;
}

/** `layer`'s convolution fields. */
export const convFields = (layer: tfl.layers.Layer): ConvFields => layer as unknown as ConvFields;
