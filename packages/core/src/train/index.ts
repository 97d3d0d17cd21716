export { Adam } from './adam.js';
export { EarlyStopping } from './early-stopping.js';
export type { EarlyStoppingArgs, EarlyStoppingState, EarlyStoppingVerdict } from './early-stopping.js';
export { resolveParameterGroups } from './parameter-groups.js';
export type { ParameterGroup, ParameterGroupConfig, WeightOwner } from './parameter-groups.js';
export {
  CHECKPOINT_FILES,
  CHECKPOINT_FORMAT,
  decodeModelWeights,
  encodeModelWeights,
  findCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
} from './checkpoint.js';
export type { CheckpointState, JsonValue } from './checkpoint.js';
export { Trainer } from './trainer.js';
export type { FitArgs, FitResult, SegmentationLoss, StepLogs, TrainBatch, TrainerArgs, TrainerCallbacks } from './trainer.js';
export { evaluateSegmentation } from './evaluate.js';
export type { EvaluateArgs, EvaluationResult } from './evaluate.js';
