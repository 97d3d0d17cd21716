import type * as tf from '@tensorflow/tfjs-core';

/**
 * A scalar score of per-pixel logits `[B, H, W, C]` against integer labels
 * `[B, H, W]`: the loss a trainer minimises (e.g. `sparseSoftmaxCrossEntropy`
 * with an ignore index), and the signature of every training metric too.
 */
export type SegmentationLoss = (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar;

/** Scores computed on each training batch's logits along with the loss (e.g. pixel accuracy), by name. */
export type SegmentationMetrics = Record<string, SegmentationLoss>;
