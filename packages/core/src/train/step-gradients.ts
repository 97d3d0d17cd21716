import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { modelGradients } from '../backprop/model-gradients.js';
import { SeededRng } from '../data/rng.js';
import { withSeededRandom } from '../data/seeded-random.js';
import type { SegmentationLoss, SegmentationMetrics } from '../losses/segmentation-loss.js';

/** What {@link stepGradients} computes, as tensors the caller disposes (read into a `StepGradients` by the gradient sources). */
export interface StepTensors {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  scores: Record<string, tf.Scalar>;
}

/**
 * `SeededRng.derive` key of the training steps' streams (1 and 2 are the
 * batch stream's shuffling and augmentation, 3 train-msrc's validation subsets).
 */
const STEP_STREAM = 4;

/** Which random stream a training step draws from: the run's seed and the step's number. */
export interface StepSeed {
  seed: number;
  /** The step being taken (1 for the first). */
  step: number;
}

/**
 * The random stream of replica `replica`'s share of a step: a function of
 * the seed, the step and the replica only, so a resumed run draws the same
 * dropout masks as an uninterrupted one. A step in the trainer's own thread
 * is replica 0, so one replica draws what the thread would.
 */
export function stepRandom({ seed, step }: StepSeed, replica = 0): SeededRng {
  return SeededRng.derive(seed, STEP_STREAM, step, replica);
}

/**
 * The loss, the gradients of `vars` and the metric scores of one training
 * batch: the one gradient path of the trainer's own thread and of every
 * data-parallel replica, so both compute the same numbers (`modelGradients`:
 * layer by layer where every layer has a registered gradient, PyTorch's
 * memory profile, else tfjs's tape). With `random`, every tfjs random draw
 * of the step made without a seed of its own (dropout) comes from it.
 */
export function stepGradients(
  model: LayersModel,
  loss: SegmentationLoss,
  metrics: SegmentationMetrics,
  images: tf.Tensor,
  labels: tf.Tensor,
  vars: tf.Variable[],
  random?: SeededRng,
): StepTensors {
  const scores: Record<string, tf.Scalar> = {};
  const lossOf = (logits: tf.Tensor): tf.Scalar => {
    for (const [name, fn] of Object.entries(metrics)) {
      // Kept out of the tape's tidy; they feed no gradient.
      scores[name] = tf.keep(tf.tidy(() => fn(labels, logits)));
    }
    return loss(labels, logits);
  };
  const run = () => modelGradients(model, [images], ([logits]) => lossOf(logits), vars);
  const { value, grads } = random ? withSeededRandom(random, run) : run();
  return { value, grads, scores };
}
