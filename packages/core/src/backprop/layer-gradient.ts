import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { isBatchNormFrozen } from './frozen-batch-norm.js';
import { recomputeGradient } from './recompute-gradient.js';
import type { RunningUpdate } from './running-statistics.js';

/** A tfjs-layers layer, as the functional API exposes it. */
export type Layer = tfl.layers.Layer;

/** Which gradients a layer's backward pass must produce. */
export interface WantedGradients {
  /** Per input: whether its gradient is needed (it depends on a trained weight). */
  inputs: boolean[];
  /** The layer's trainable weights whose gradients are needed. */
  weights: ReadonlySet<tfl.LayerVariable>;
}

/** What a layer's backward pass returns. Every tensor returned becomes the caller's. */
export interface LayerGradients {
  /** Per input: its gradient, or `null` where not wanted or not differentiable. */
  inputs: Array<tf.Tensor | null>;
  /** Gradients of the wanted weights. */
  weights: Map<tfl.LayerVariable, tf.Tensor>;
}

/** One layer call in training mode: its outputs and the closure of its backward pass. */
export interface LayerStep {
  /** The layer's outputs (the caller owns them). */
  outputs: tf.Tensor[];
  /**
   * What the backward pass reads: inputs, outputs, or tensors of its own,
   * which the caller takes over and frees once `backward` has run. Empty
   * when the step was made with `keep` false.
   */
  saved: tf.Tensor[];
  /**
   * Running statistics to move towards batch values (`old − (old − value) · (1 − momentum)`,
   * tfjs-layers' update), applied by the caller after the forward pass, all
   * in a few kernels. The caller takes over the `value` tensors.
   */
  runningUpdates?: RunningUpdate[];
  /** Gradients from the gradients of the outputs (`null`: the output got none, read as zeros). */
  backward(dys: Array<tf.Tensor | null>, want: WantedGradients): LayerGradients;
}

/**
 * The forward and backward pass of one layer class in training mode.
 *
 * @param keep Whether `backward` will be called (else nothing need be saved).
 */
export interface LayerGradient {
  /** Whether this layer instance's configuration is covered (say, a conv's activation). Default: all are. */
  supports?(layer: Layer): boolean;
  step(layer: Layer, inputs: tf.Tensor[], keep: boolean): LayerStep;
}

/** A layer class as tfjs-layers registers it for serialisation: its own static `className`. */
export interface LayerClass {
  readonly className: string;
}

const REGISTRY = new Map<string, LayerGradient>();

/**
 * Registers how layers of `layerClass` (a class, or its `className`) run
 * forward and backward in a layer-by-layer training step (see
 * `modelGradients`). A later registration for the same class replaces the
 * earlier one.
 *
 * Only layers of exactly this class get the gradient: a subclass that does
 * not declare its own `className` may compute something else in `call()`,
 * so it is left to the tape (as is a subclass registered under its own name).
 *
 * @example
 * ```ts
 * registerLayerGradient(MyDeterministicLayer, recomputeGradient);
 * ```
 */
export function registerLayerGradient(layerClass: LayerClass | string, gradient: LayerGradient): void {
  REGISTRY.set(typeof layerClass === 'string' ? layerClass : layerClass.className, gradient);
}

/** The registered gradient of `layer`'s class, if it covers this instance. */
export function layerGradient(layer: Layer): LayerGradient | undefined {
  // In inference mode it is deterministic and updates nothing: recomputing it under the tape is exact.
  if (isBatchNormFrozen(layer)) return recomputeGradient;
  const own = layer.constructor as Partial<LayerClass>;
  if (!Object.hasOwn(own, 'className') || typeof own.className !== 'string') return undefined;
  const gradient = REGISTRY.get(own.className);
  return gradient && (gradient.supports?.(layer) ?? true) ? gradient : undefined;
}
