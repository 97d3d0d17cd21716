import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { layerBackpropSupported, modelGradients } from '../backprop/model-gradients.js';
import type { SegmentationLoss, SegmentationMetrics } from '../losses/segmentation-loss.js';

/** What {@link stepGradients} computes, as tensors the caller disposes (read into a `StepGradients` by the gradient sources). */
export interface StepTensors {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  scores: Record<string, tf.Scalar>;
}

/**
 * The loss, the gradients of `vars` and the metric scores of one training
 * batch: the one gradient path of the trainer's own thread and of every
 * data-parallel replica, so both compute the same numbers. Layer by layer
 * where every layer has a written gradient (PyTorch's memory profile), else
 * tfjs's tape.
 */
export function stepGradients(
  model: LayersModel,
  loss: SegmentationLoss,
  metrics: SegmentationMetrics,
  images: tf.Tensor,
  labels: tf.Tensor,
  vars: tf.Variable[],
): StepTensors {
  const scores: Record<string, tf.Scalar> = {};
  const lossOf = (logits: tf.Tensor): tf.Scalar => {
    for (const [name, fn] of Object.entries(metrics)) {
      // Kept out of the tape's tidy; they feed no gradient.
      scores[name] = tf.keep(tf.tidy(() => fn(labels, logits)));
    }
    return loss(labels, logits);
  };
  const { value, grads } = layerBackpropSupported(model)
    ? modelGradients(model, [images], ([logits]) => lossOf(logits), vars)
    : tf.variableGrads(() => lossOf(model.apply(images, { training: true }) as tf.Tensor), vars);
  return { value, grads, scores };
}
