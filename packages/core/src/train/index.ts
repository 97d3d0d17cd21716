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
  readCheckpoint,
  saveCheckpoint,
} from './checkpoint.js';
export type { CheckpointGroup, CheckpointState, ReadCheckpoint, TrainerSection } from './checkpoint.js';
export { CHECKPOINT_SECTIONS, ConfigMismatchError, configChanges } from './state.js';
export type { CheckpointSection, ConfigChange, JsonObject, JsonValue, StatefulPart } from './state.js';
export { BestModelSaver } from './best-model-saver.js';
export type { BestModelDecision, BestModelSaverArgs, BestModelSaverState } from './best-model-saver.js';
export { NonFiniteTrainingError } from './non-finite.js';
export type { NonFiniteKind } from './non-finite.js';
export { acquireRunLock, lockRunFolder, RUN_LOCK_FILE, RunLockedError } from './run-lock.js';
export type { RunLock, RunLockHolder } from './run-lock.js';
export { Trainer } from './trainer.js';
export type {
  FitArgs,
  FitResult,
  RestoreOptions,
  RestoreResult,
  SegmentationLoss,
  StepLogs,
  TrainBatch,
  TrainerArgs,
  TrainerCallbacks,
} from './trainer.js';
export { evaluateSegmentation } from './evaluate.js';
export type { EvaluateArgs, EvaluationResult } from './evaluate.js';
export { ReplicaPool, shardSizes } from './replicas/replica-pool.js';
export type { ReplicaStepResult, TrainerWorkers } from './replicas/replica-pool.js';
