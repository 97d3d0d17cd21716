/**
 * Batch normalisation in training mode (batch statistics), optionally fused
 * with the ReLU after it, as one differentiable op with an analytic backward
 * pass (Ioffe & Szegedy 2015, §3):
 *
 *     x̂ = (x − μ_B) · σ⁻¹,  σ⁻¹ = 1 / √(σ²_B + ε),  z = γ x̂ + β,  y = relu(z)
 *     g = dy · [z > 0]                      (g = dy without the ReLU)
 *     dβ = Σ g,   dγ = Σ g x̂,   dx = γ σ⁻¹ (g − (dβ + x̂ dγ) / M)
 *
 * sums over the M = N·H·W positions of each channel.
 *
 * Why: tfjs-layers assembles training-mode BN from a dozen elementary ops
 * (moments, reshapes, sub, div, sqrt, mul, add) and the gradient tape keeps
 * the inputs of each, several full-size copies of every activation; a ReLU
 * after it keeps one more. This op keeps its input x and two per-channel
 * vectors, as PyTorch's `batch_norm` does (its in-place ReLU keeps nothing
 * more): x̂ and the ReLU mask are recomputed in the backward pass, a few
 * elementwise kernels against a full activation of memory per layer.
 * Measured on a whole DeepLabV3+ step in bench/README.md.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** Options of {@link batchNormTraining}. */
export interface BatchNormTrainingOptions {
  /** Added to the variance before the square root. Required (torch: 1e-5). */
  epsilon: number;
  /** Apply a ReLU to the output, inside the op. Default false. */
  relu?: boolean;
  /**
   * Receives the batch mean and (biased) variance per channel, e.g. to update
   * running statistics. The tensors are disposed after the call; keep clones.
   */
  onMoments?: (mean: tf.Tensor1D, variance: tf.Tensor1D) => void;
}

/** What the backward pass of {@link batchNormTraining} needs: its input and two per-channel vectors. */
export interface BatchNormSaved {
  x: tf.Tensor;
  mean: tf.Tensor1D;
  invStd: tf.Tensor1D;
}

/**
 * The forward pass of {@link batchNormTraining}: output, batch statistics,
 * and what the backward pass keeps. Plain ops; the caller disposes all.
 */
export function batchNormTrainingForward(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  epsilon: number,
  relu: boolean,
): { y: tf.Tensor; mean: tf.Tensor1D; variance: tf.Tensor1D; invStd: tf.Tensor1D } {
  const channels = x.shape[x.rank - 1];
  if (gamma.shape[0] !== channels || beta.shape[0] !== channels) {
    throw new Error(
      `batchNormTraining: gamma [${gamma.shape}] and beta [${beta.shape}] must have the input's ${channels} channels (input [${x.shape}])`,
    );
  }
  const axes = [...Array(x.rank - 1).keys()];
  // Not tf.moments: it adds a cast (a copy on wasm) and two reshapes; [C] broadcasts over [..., C] as it is.
  const mean = tf.mean(x, axes) as tf.Tensor1D;
  const variance = tf.tidy(() => tf.mean(tf.squaredDifference(x, mean), axes)) as tf.Tensor1D;
  const invStd = tf.tidy(() => tf.rsqrt(tf.add(variance, epsilon))) as tf.Tensor1D;
  const y = tf.tidy(() => {
    const z = tf.batchNorm(x, mean, variance, beta, gamma, epsilon);
    return relu ? tf.relu(z) : z;
  });
  return { y, mean, variance, invStd };
}

/** The backward pass of {@link batchNormTraining}: gradients of `x`, `gamma` and `beta` from `dy`. */
export function batchNormTrainingBackward(
  dy: tf.Tensor,
  saved: BatchNormSaved,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  relu: boolean,
): { dx: tf.Tensor; dGamma: tf.Tensor1D; dBeta: tf.Tensor1D } {
  return tf.tidy(() => {
    const { x, mean, invStd } = saved;
    const axes = [...Array(x.rank - 1).keys()];
    const count = x.size / x.shape[x.rank - 1];
    const xHat = tf.mul(tf.sub(x, mean), invStd);
    // z > 0 exactly where the forward ReLU passed z through.
    const grad = relu ? tf.mul(dy, tf.step(tf.add(tf.mul(xHat, gamma), beta))) : dy;
    const dBeta = tf.sum(grad, axes) as tf.Tensor1D;
    const dGamma = tf.sum(tf.mul(grad, xHat), axes) as tf.Tensor1D;
    const centred = tf.sub(grad, tf.add(tf.mul(xHat, tf.div(dGamma, count)), tf.div(dBeta, count)));
    return { dx: tf.mul(centred, tf.mul(gamma, invStd)), dGamma, dBeta };
  });
}

/**
 * Normalises `x` (channels last) with its own batch statistics, scales by
 * `gamma`, shifts by `beta` and, with `relu`, clamps at zero; differentiable
 * in `x`, `gamma` and `beta` through `tf.grads` / `tf.variableGrads`.
 *
 * @param x Activations `[..., C]`, normalised over every axis but the last.
 * @param gamma Scale `[C]`.
 * @param beta Offset `[C]`.
 */
export function batchNormTraining(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  options: BatchNormTrainingOptions,
): tf.Tensor {
  const { epsilon, relu = false, onMoments } = options;
  const op = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const [input, scale, offset] = args as [tf.Tensor, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const { y, mean, variance, invStd } = batchNormTrainingForward(input, scale, offset, epsilon, relu);
    onMoments?.(mean, variance);
    save([input, mean, invStd, scale, offset]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [xs, mu, inv, g, b] = saved;
        const { dx, dGamma, dBeta } = batchNormTrainingBackward(
          dy as tf.Tensor,
          { x: xs, mean: mu as tf.Tensor1D, invStd: inv as tf.Tensor1D },
          g as tf.Tensor1D,
          b as tf.Tensor1D,
          relu,
        );
        return [dx, dGamma, dBeta];
      },
    };
  });
  return op(x, gamma, beta);
}
