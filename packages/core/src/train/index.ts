export { Adam } from './optimizers/adam.js';
export { EarlyStopping } from './callbacks/early-stopping.js';
export type { EarlyStoppingArgs, EarlyStoppingOptions, EarlyStoppingState, EarlyStoppingVerdict } from './callbacks/early-stopping.js';
export { Monitor, MonitoredCallback } from './callbacks/monitor.js';
export type { MonitorBest, MonitorMode, MonitorOptions, MonitorState } from './callbacks/monitor.js';
export { activeGroups, applyGroupUpdates, resolveParameterGroups } from './optimizers/parameter-groups.js';
export type { ParameterGroup, ParameterGroupOptions, ParameterGroupConfig, WeightOwner } from './optimizers/parameter-groups.js';
export { CHECKPOINT_FILES, findCheckpoint, readCheckpoint, saveCheckpoint, TRAINER_SECTIONS } from './checkpoint/checkpoint.js';
export type { CheckpointContents, CheckpointGroup, CheckpointState, ReadCheckpoint, TrainerSection } from './checkpoint/checkpoint.js';
export { CHECKPOINT_FORMAT, decodeModelWeights, encodeModelWeights, writeWeightValues } from './checkpoint/model-weights.js';
export { BestModelSaver } from './callbacks/best-model-saver.js';
export type { BestModelDecision, BestModelSaverArgs, BestModelSaverOptions, BestModelSaverState } from './callbacks/best-model-saver.js';
export { NonFiniteTrainingError } from './non-finite.js';
export type { CheckpointAt, NonFiniteKind } from './non-finite.js';
export { acquireRunLock, lockRunFolder, processStartTime, RUN_LOCK_FILE, RunLockedError } from './checkpoint/run-lock.js';
export type { RunLock, RunLockHolder } from './checkpoint/run-lock.js';
export type { GradientSource, StepGradients, TrainBatch } from './gradient-source.js';
export type { StepSeed } from './step-gradients.js';
export { ThreadGradients } from './thread-gradients.js';
export { Trainer } from './trainer.js';
export type { FitArgs, FitOptions, RestoreOptions, RestoreResult, TrainerArgs, TrainerOptions } from './trainer-types.js';
export type {
  Evaluation,
  EvaluationReport,
  EvaluationSnapshot,
  FitContext,
  FitEnd,
  FitResult,
  StepLogs,
  TrainingCallback,
} from './callbacks/training-callback.js';
export { evaluateSegmentation } from './evaluate.js';
export type { EvaluateOptions, EvaluateArgs, EvaluationResult, EvaluationScores } from './evaluate.js';
export { ReplicaPool } from './replicas/replica-pool.js';
export { shardSizes } from './replicas/shards.js';
export { replicaDeviceEnvironment, visibleCudaDevices, visibleGpus } from './replicas/devices.js';
export type { VisibleGpus } from './replicas/devices.js';
export type { ReplicaModule, ReplicaParts, TrainerWorkers } from './replicas/workers.js';
export { AdamW } from './optimizers/adamw.js';
export { createOptimizer, OPTIMIZERS, setLearningRate } from './optimizers/create-optimizer.js';
export type { OptimizerName, OptimizerOptions } from './optimizers/create-optimizer.js';
export { LR_SCHEDULES, lrSchedule } from './optimizers/lr-schedule.js';
export type { LrSchedule, LrScheduleName, LrScheduleOptions } from './optimizers/lr-schedule.js';
