/**
 * Training runs in a folder, for `Trainer.fit`: the run folder and its lock,
 * `config.json`, `log.jsonl`, checkpoints, `best-model/` and `model/`,
 * validation snapshots, `metrics.json` and `report.html`, and the progress bar.
 *
 * @module
 */
export { TrainingRun } from './training-run.js';
export type { FinishOptions, TrainingRunMetrics, TrainingRunOptions } from './training-run.js';
export { RUN_CONTROL_KEYS, runConfig } from './run-folder.js';
export { RUN_FILES } from './run-files.js';
export type { RunOutputs } from './run-files.js';
export type { Validation, ValidationOptions } from './validation.js';
export type { ProgressSink } from '../cli/progress.js';
export type { RunLogRecord } from './run-log.js';
export { replicaWorkers } from './replicas.js';
export type { ReplicaCountOptions } from './replicas.js';
export { buildSegmentationReplica, LOSS_NAMES, lossFrom, modelFrom, pixelAccuracyWith } from './segmentation-replica.js';
export type { LossName, LossSpec, ModelSpec, SegmentationReplicaOptions } from './segmentation-replica.js';
export { splitScores, summaryScores } from './split-scores.js';
export type { ClassScores, ScoringOptions, SplitScores, SummaryScores } from './split-scores.js';
export type { ScoreLine } from './report/html.js';
