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
  type SegmentationLoss,
  sparseSoftmaxCrossEntropy,
} from '@seg/core';
import { freezeBatchNorm, type ReplicaModule } from '@seg/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { DEFAULT_BACKBONE, type DeepLabV3PlusConfig } from '../model/config.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { loadModel } from '../model/model-files.js';
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

/** A model architecture as JSON: DeepLabV3+ from its config, a torchvision model by name, or a saved model folder (its head replaced for `numClasses`). */
export type ModelSpec =
  | { kind: 'deeplabv3plus'; config: DeepLabV3PlusConfig }
  | { kind: 'torchvision'; name: TorchvisionModelName; options?: TorchvisionModelOptions }
  | { kind: 'saved'; dir: string; numClasses: number };

/** What every replica is built from: JSON, as `Trainer` `workers.args`. */
export interface SegmentationReplicaOptions {
  model: ModelSpec;
  loss: LossSpec;
  /** The trunk's BatchNorm in inference mode (`--freezeBN`). Default false. */
  freezeBN?: boolean;
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

/** The architecture `spec` names (replicas take the trainer's weights at every step, so any initial weights do). */
export async function modelFrom(spec: ModelSpec): Promise<LayersModel> {
  if (spec.kind === 'deeplabv3plus') return deeplabV3Plus(spec.config);
  if (spec.kind === 'saved') return loadModel(spec.dir, { numClasses: spec.numClasses });
  return torchvisionModel(spec.name, spec.options);
}

/** The layer holding a model's trunk: DeepLabV3+ names it after its backbone, torchvision `backbone`. */
export function trunkLayerName(spec: ModelSpec): string {
  return spec.kind === 'deeplabv3plus' ? (spec.config.backbone ?? DEFAULT_BACKBONE) : 'backbone';
}

/** A replica: the run's model (its trunk's BatchNorm frozen with `freezeBN`), its loss and pixel accuracy. */
export const buildSegmentationReplica: ReplicaModule = async (args) => {
  const { model: spec, loss, freezeBN = false } = args as unknown as SegmentationReplicaOptions;
  const model = await modelFrom(spec);
  if (freezeBN) freezeBatchNorm(model.getLayer(trunkLayerName(spec)) as unknown as LayersModel);
  return { model, loss: lossFrom(loss), metrics: { pixelAccuracy: pixelAccuracyWith(loss.ignoreIndex) } };
};
export default buildSegmentationReplica;
