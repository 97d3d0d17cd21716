import type { SegmentationLoss } from '@seg/core';
import type { DeepLabV3PlusConfig } from '@seg/deeplab';
import type * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';

/** What the replicas are built from: JSON, as `Trainer` `workers.args`. */
export interface MsrcReplicaArgs {
  model: DeepLabV3PlusConfig;
  classWeights: number[] | null;
}
export declare const lossWith: (classWeights: number[] | null) => SegmentationLoss;
export declare const pixelAccuracy: (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar;
export default function buildReplica(args: MsrcReplicaArgs): {
  model: LayersModel;
  loss: SegmentationLoss;
  metrics: { pixelAccuracy: typeof pixelAccuracy };
};
