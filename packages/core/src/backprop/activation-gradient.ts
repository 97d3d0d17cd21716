/**
 * The activation at the end of a layer (a conv's `activation`, tfjs's
 * `Activation` layer) in a layer-by-layer training step. Linear keeps
 * nothing and ReLU its output, as PyTorch's in-place ReLU; any other tfjs
 * activation keeps its input and takes its vector-Jacobian product under
 * tfjs's tape, which is exact because activations are deterministic
 * elementwise functions (softmax: along the last axis).
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayerActivation } from './tfjs-layer-fields.js';

/** An activation applied in a step: its output, what its backward keeps, and its backward. */
export interface ActivationStep {
  y: tf.Tensor;
  saved: tf.Tensor[];
  /** The gradient of the activation's input from that of its output (`dy` itself when linear). */
  backward(dy: tf.Tensor): tf.Tensor;
}

/**
 * Applies `activation` to `z`, which it takes over (`y` may be `z` itself).
 *
 * @param keep Whether `backward` will be called (else nothing is kept).
 */
export function activationStep(activation: LayerActivation, z: tf.Tensor, keep: boolean): ActivationStep {
  const name = activation.getClassName().toLowerCase();
  if (name === 'linear') return { y: z, saved: [], backward: (dy) => dy };
  const y = name === 'relu' ? tf.relu(z) : tf.tidy(() => activation.apply(z));
  if (name === 'relu') {
    z.dispose();
    return { y, saved: keep ? [y] : [], backward: (dy) => tf.tidy(() => tf.mul(dy, tf.step(y))) };
  }
  if (!keep) z.dispose();
  return {
    y,
    saved: keep ? [z] : [],
    backward: (dy) => tf.grad((a: tf.Tensor) => activation.apply(a))(z, dy),
  };
}
