/**
 * Where a training step's gradients come from. The {@link Trainer} only
 * loops: it asks a gradient source for a batch's loss, metrics and
 * gradients, checks them, and steps the optimizers. Two sources exist: this
 * thread (`ThreadGradients`) and data-parallel replicas (`ReplicaPool`);
 * both hand back the same {@link StepGradients}.
 *
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { StepSeed } from './step-gradients.js';

/** A training batch: images `[B, H, W, C]` and integer labels `[B, H, W]`. */
export interface TrainBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

/** One batch's loss, training metrics and gradients, whichever source computed them. */
export interface StepGradients {
  /** The batch's loss before the step (replicas: the pixel-weighted mean over shards). */
  loss: number;
  /** The batch's training metrics, by name. */
  metrics: Record<string, number>;
  /** Gradients by variable name (`tf.Variable.name`); the caller disposes them. */
  grads: tf.NamedTensorMap;
  /**
   * Applies what else the step computed (replicas: BatchNorm moving
   * statistics), once the caller knows the step is finite and applies it.
   */
  commit(): void;
}

/** Computes the loss, metrics and gradients of training batches for a trainer. */
export interface GradientSource {
  /** Gets ready (replicas: starts them and waits until each built its model); idempotent. */
  start(): Promise<void>;
  /**
   * The loss, metrics and gradients of `batch` (which the caller still owns)
   * at the model's current weights; with `seed`, the step's random draws
   * (dropout) come from `stepRandom(seed)` (each replica its own).
   */
  gradients(batch: TrainBatch, seed?: StepSeed): Promise<StepGradients>;
  /** Ends whatever the source started; a step still waiting rejects. Idempotent. */
  dispose(): Promise<void>;
}
