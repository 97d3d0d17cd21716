/**
 * Batch normalisation in a layer-by-layer training step (tfjs-layers'
 * `BatchNormalization` here; `@seg/core`'s `BatchNormAct`, which adds a
 * fused ReLU, builds on the same step): batch statistics, running
 * statistics updated as tfjs-layers does, and the analytic backward of
 * `batchNormTraining` keeping the input and two per-channel vectors.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { batchNormTrainingBackward, batchNormTrainingForward } from '../kernels/batch-norm-training.js';
import type { Layer, LayerGradient, LayerStep } from './layer-gradient.js';
import type { RunningUpdate } from './running-statistics.js';
import { type BatchNormFields, batchNormFields } from './tfjs-layer-fields.js';

/** The moves of a BN layer's running mean and variance towards a batch's, as tfjs-layers makes them. */
export function batchNormRunningUpdates(f: BatchNormFields, mean: tf.Tensor1D, variance: tf.Tensor1D): RunningUpdate[] {
  return [
    { variable: f.movingMean, value: mean, momentum: f.momentum },
    { variable: f.movingVariance, value: variance, momentum: f.momentum },
  ];
}

/** Whether `layer` normalises its input's last axis with both `gamma` and `beta` (tfjs-layers' training mode needs both). */
export function normalisesLastAxis(layer: Layer): boolean {
  const f = batchNormFields(layer);
  const rank = layer.inputSpec?.[0]?.ndim;
  return (f.axis === -1 || (rank != null && f.axis === rank - 1)) && f.center && f.scale;
}

/** One training-mode call of a batch-norm layer on channels-last `x`, optionally followed by a ReLU. */
export function batchNormStep(layer: Layer, x: tf.Tensor, keep: boolean, relu: boolean): LayerStep {
  const f = batchNormFields(layer);
  const gamma = f.gamma.read() as tf.Tensor1D;
  const beta = f.beta.read() as tf.Tensor1D;
  const { y, mean, variance, invStd } = batchNormTrainingForward(x, gamma, beta, f.epsilon, relu);
  if (!keep) invStd.dispose();
  return {
    outputs: [y],
    saved: keep ? [x, mean, invStd] : [],
    runningUpdates: batchNormRunningUpdates(f, mean, variance),
    backward([dy], want) {
      const weights = new Map<tfl.LayerVariable, tf.Tensor>();
      if (dy === null) return { inputs: [null], weights };
      const { dx, dGamma, dBeta } = batchNormTrainingBackward(dy, { x, mean, invStd }, gamma, beta, relu);
      if (want.weights.has(f.gamma)) weights.set(f.gamma, dGamma);
      else dGamma.dispose();
      if (want.weights.has(f.beta)) weights.set(f.beta, dBeta);
      else dBeta.dispose();
      if (want.inputs[0]) return { inputs: [dx], weights };
      dx.dispose();
      return { inputs: [null], weights };
    },
  };
}

/** tfjs-layers' `BatchNormalization` over the last axis. */
export const batchNormalizationGradient: LayerGradient = {
  supports: normalisesLastAxis,
  step: (layer, [x], keep) => batchNormStep(layer, x, keep, false),
};
