/**
 * A training run's model, loss and metric, built the same way in the main
 * thread and in every data-parallel replica (`Trainer` `workers`) from JSON
 * arguments. Built as an entry of its own (`dist/run/segmentation-replica.js`):
 * worker threads import it by path.
 *
 * @module
 */
import {
  combinedLoss,
  diceLoss,
  focalLoss,
  lovaszSoftmaxLoss,
  type ReplicaModule,
  type SegmentationLoss,
  sparseSoftmaxCrossEntropy,
} from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { DeepLabV3PlusConfig } from '../model/config.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { type TorchvisionModelName, type TorchvisionModelOptions, torchvisionModel } from '../torchvision/torchvision-models.js';

/** The losses `--loss` names: core's cross-entropy, Dice, focal, Lovász-Softmax, and cross-entropy plus Dice. */
export const LOSS_NAMES = ['ce', 'dice', 'focal', 'lovasz', 'ce+dice'] as const;
export type LossName = (typeof LOSS_NAMES)[number];

/** A loss as JSON: its name, class weights and ignored id. */
export interface LossSpec {
  name: LossName;
  /** One weight per class, or `null`: unweighted. */
  classWeights: number[] | null;
  /** Ground-truth id left out of the loss; `null`: none. */
  ignoreIndex: number | null;
}

/** A model architecture as JSON: DeepLabV3+ from its config, or a torchvision model by name. */
export type ModelSpec =
  | { kind: 'deeplabv3plus'; config: DeepLabV3PlusConfig }
  | { kind: 'torchvision'; name: TorchvisionModelName; options?: TorchvisionModelOptions & { numClasses?: number } };

/** What every replica is built from: JSON, as `Trainer` `workers.args`. */
export interface SegmentationReplicaArgs {
  model: ModelSpec;
  loss: LossSpec;
}

/** The loss `spec` names. */
export function lossFrom(spec: LossSpec): SegmentationLoss {
  const ignoreIndex = spec.ignoreIndex ?? undefined;
  const classWeights = spec.classWeights ?? undefined;
  const ce: SegmentationLoss = (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits, { ignoreIndex, classWeights });
  const dice: SegmentationLoss = (labels, logits) => diceLoss(labels, logits, { ignoreIndex, classWeights });
  switch (spec.name) {
    case 'ce':
      return ce;
    case 'dice':
      return dice;
    case 'focal':
      return (labels, logits) => focalLoss(labels, logits, { ignoreIndex, ...(classWeights ? { alpha: classWeights } : {}) });
    case 'lovasz':
      return (labels, logits) => lovaszSoftmaxLoss(labels, logits, { ignoreIndex, classWeights });
    case 'ce+dice':
      return combinedLoss([
        [ce, 1],
        [dice, 1],
      ]);
    default:
      throw new Error(`loss "${spec.name as string}" is none of ${LOSS_NAMES.join(', ')}`);
  }
}

/** The share of labelled pixels whose arg-max is right (pixels labelled `ignoreIndex` left out). */
export function pixelAccuracyWith(ignoreIndex: number | null): SegmentationLoss {
  return (labels, logits) =>
    tf.tidy(() => {
      const truth = tf.cast(labels, 'int32');
      const right = tf.cast(tf.equal(tf.argMax(logits, -1), truth), 'float32');
      if (ignoreIndex === null) return tf.mean(right);
      const counted = tf.cast(tf.notEqual(truth, ignoreIndex), 'float32');
      return tf.div(tf.sum(tf.mul(right, counted)), tf.maximum(tf.sum(counted), 1));
    }) as tf.Scalar;
}

/** The untrained architecture `spec` names (replicas take the trainer's weights at every step). */
export function modelFrom(spec: ModelSpec): LayersModel {
  if (spec.kind === 'deeplabv3plus') return deeplabV3Plus(spec.config);
  return torchvisionModel(spec.name, spec.options as TorchvisionModelOptions);
}

/** A replica: the run's model, its loss and pixel accuracy. */
const buildReplica: ReplicaModule = (args) => {
  const { model, loss } = args as unknown as SegmentationReplicaArgs;
  return { model: modelFrom(model), loss: lossFrom(loss), metrics: { pixelAccuracy: pixelAccuracyWith(loss.ignoreIndex) } };
};
export default buildReplica;
