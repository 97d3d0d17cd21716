import type { ReplicaModule, SegmentationLoss } from '@seg/core';
import type { DeepLabV3PlusConfig } from '@seg/deeplab';

/** What the replicas are built from: JSON, as `Trainer` `workers.args`. */
export interface MsrcReplicaArgs {
  model: DeepLabV3PlusConfig;
  classWeights: number[] | null;
}
export declare const lossWith: (classWeights: number[] | null) => SegmentationLoss;
export declare const pixelAccuracy: SegmentationLoss;
/** @see {@link ReplicaModule}: builds the run's DeepLabV3+, loss and pixel accuracy from {@link MsrcReplicaArgs}. */
declare const buildReplica: ReplicaModule;
export default buildReplica;
