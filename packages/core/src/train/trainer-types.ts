/** The options, results and callback shapes of {@link Trainer}. */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { SegmentationLoss, SegmentationMetrics } from '../losses/segmentation-loss.js';
import type { ConfigChange } from '../run-state/config-diff.js';
import type { JsonObject, JsonValue } from '../run-state/json.js';
import type { StatefulPart } from '../run-state/stateful-part.js';
import type { BestModelDecision, BestModelSaver } from './callbacks/best-model-saver.js';
import type { EarlyStopping, EarlyStoppingVerdict } from './callbacks/early-stopping.js';
import type { TrainBatch } from './gradient-source.js';
import type { CheckpointAt } from './non-finite.js';
import type { ParameterGroupConfig } from './optimizers/parameter-groups.js';
import type { TrainerWorkers } from './replicas/workers.js';

/** Options of {@link Trainer}. */
export interface TrainerArgs {
  /** The model to train (any `LayersModel`); its output must be logits `[B, H, W, C]` at the labels' size. Required. */
  model: LayersModel;
  /** The loss. Required. */
  loss: SegmentationLoss;
  /** Parameter groups. Default: one group, Adam with learning rate 1e-3, over every trainable weight. */
  groups?: ParameterGroupConfig[];
  /**
   * Scores computed on each training batch's logits along with the loss
   * (e.g. pixel accuracy, which the reference run logged). Default none.
   */
  metrics?: SegmentationMetrics;
  /**
   * Stop early on a monitored evaluation score (and, by default, keep and
   * restore the best weights). Its state is checkpointed and restored with
   * the trainer's. Default none.
   */
  earlyStopping?: EarlyStopping;
  /** Saves the model whenever an evaluation score improves; checkpointed and restored with the trainer. Default none. */
  bestModel?: BestModelSaver;
  /**
   * The training batches, as a stream that remembers its position (e.g.
   * `resumableBatches(segmentationBatches(...))`): `fit()` trains on it, and
   * its position is checkpointed and restored. Default none (pass `batches` to `fit()`).
   */
  data?: StatefulPart & AsyncIterable<TrainBatch>;
  /**
   * Seeds every random draw of a training step that tfjs makes without a seed
   * of its own (dropout): step `k` draws from a stream derived from `seed`
   * and `k` alone (each data-parallel replica its own), so two runs with the
   * same seed draw the same masks, and a resumed run those of the
   * uninterrupted one. Put it in `config` too, so that `restore()` refuses a
   * checkpoint of another seed. Default none: tfjs's unseeded draws.
   */
  seed?: number;
  /** More stateful parts of your own, each checkpointed under its own `stateKey`. Default none. */
  parts?: StatefulPart[];
  /**
   * The run's configuration (model, data, optimisation settings), stored in
   * every checkpoint; `restore()` refuses a checkpoint written with another
   * one, naming the differing keys. Default none.
   */
  config?: JsonObject;
  /**
   * Data-parallel replicas (worker threads on CPU, a process per GPU): each
   * step splits the batch across them and averages their gradients; the
   * optimizer step, checkpoints and evaluation stay in this thread. Call
   * `dispose()` to end them. Default none: the step runs in this thread.
   */
  workers?: TrainerWorkers;
}

/** Options of {@link Trainer.restore}. */
export interface RestoreOptions {
  /**
   * Configuration keys allowed to differ from the checkpoint's (deliberate
   * changes, e.g. `['iterations']` to train longer); a key also covers its
   * nested keys. Default none.
   */
  allowConfigChanges?: readonly string[];
}

/** What {@link Trainer.restore} restored. */
export interface RestoreResult {
  /** The checkpoint copy read (the directory asked for, or a complete copy a crash left beside it). */
  dir: string;
  /** The restored step. */
  step: number;
  /** The `user` section: what `checkpointState` returned, or `null`. */
  user: JsonValue | null;
  /** Allowed configuration changes, for the log. */
  configChanges: ConfigChange[];
}

/** What one training step reports. */
export interface StepLogs {
  /** The step counter after this step. */
  step: number;
  /** The loss before the step. */
  loss: number;
  /** The training metrics of this batch, by name. */
  metrics: Record<string, number>;
}

/** One evaluation during {@link Trainer.fit}, with what the early stopping and the best-model saver made of it. */
export interface Evaluation {
  step: number;
  scores: Record<string, number>;
  /** Whether it is the run's last evaluation. */
  last: boolean;
  /** Early stopping's verdict, when the trainer has early stopping. */
  verdict?: EarlyStoppingVerdict;
  /** What the best-model saver did, when the trainer has one. */
  bestModel?: BestModelDecision;
}

/** How {@link Trainer.fit} ended, for {@link TrainingCallback.onFitEnd}: a result, or the error it throws. */
export type FitEnd = { result: FitResult; error?: undefined } | { result?: undefined; error: unknown };

/**
 * Hooks into {@link Trainer.fit} (Keras and Lightning callbacks): logging,
 * progress bars, reports and snapshots are composed from these. Every hook
 * may be async; they run in the order given.
 */
export interface TrainingCallback {
  /** Once, before the first step (after the checkpoint folder is locked and checked). */
  onFitStart?(step: number): void | Promise<void>;
  /** After each optimizer step. */
  onStepEnd?(logs: StepLogs): void | Promise<void>;
  /** After each evaluation, once early stopping and the best-model saver have seen it. */
  onEvaluate?(evaluation: Evaluation): void | Promise<void>;
  /** After a checkpoint was written. */
  onCheckpoint?(checkpoint: CheckpointAt): void | Promise<void>;
  /** Once, when fit ends: with its result, or with the error it then throws. */
  onFitEnd?(end: FitEnd): void | Promise<void>;
}

/** Options of {@link Trainer.fit}. */
export interface FitArgs {
  /**
   * Training batches; the trainer disposes each batch's tensors after its
   * step. Default: the trainer's `data` (one of the two is required; a
   * resumable run uses `data`, whose position is checkpointed).
   */
  batches?: AsyncIterable<TrainBatch>;
  /** Train until the step counter reaches this (a resumed run continues from its step). Required. */
  steps: number;
  /** Evaluate every this many steps (and at the end). Default: only at the end, if `evaluate` is given. */
  evaluateEvery?: number;
  /** Scores the model, e.g. mIoU on a validation split (called in inference mode). */
  evaluate?: () => Promise<Record<string, number>>;
  /**
   * Write a checkpoint to this directory every `checkpointEvery` steps and at
   * the end. It is locked (`<dir>.lock`) while `fit()` runs, so a second run
   * on it is refused; a checkpoint already there is replaced only if this
   * trainer restored it (`restore(dir)`) or wrote it.
   */
  checkpointDir?: string;
  /** Default: `evaluateEvery`, else only at the end. */
  checkpointEvery?: number;
  /** Your own JSON state, stored in every checkpoint's `user` section and returned by `restore()`. */
  checkpointState?: () => JsonValue;
  /** Hooks called as training goes, in order. */
  callbacks?: TrainingCallback[];
}

/** How {@link Trainer.fit} ended. */
export interface FitResult {
  step: number;
  stoppedEarly: boolean;
  /** Best monitored score and its step, when early stopping was used. */
  best?: { score: number | null; step: number | null };
  /** Scores of the last evaluation. */
  lastScores?: Record<string, number>;
}
