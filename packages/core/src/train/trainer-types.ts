/** The options and results of {@link Trainer} (its callbacks' shapes: `callbacks/training-callback.ts`). */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { SegmentationLoss, SegmentationMetrics } from '../losses/segmentation-loss.js';
import type { ConfigChange } from '../run-state/config-diff.js';
import type { JsonObject, JsonValue } from '../run-state/json.js';
import type { StatefulPart } from '../run-state/stateful-part.js';
import type { EvaluationReport, TrainingCallback } from './callbacks/training-callback.js';
import type { GradientSource, TrainBatch } from './gradient-source.js';
import type { ParameterGroupOptions } from './optimizers/parameter-groups.js';
import type { TrainerWorkers } from './replicas/workers.js';

/** Options of {@link Trainer}. */
export interface TrainerOptions {
  /** The model to train (any `LayersModel`); its output must be logits `[B, H, W, C]` at the labels' size. Required. */
  model: LayersModel;
  /** The loss. Required. */
  loss: SegmentationLoss;
  /** Parameter groups. Default: one group, Adam with learning rate 1e-3, over every trainable weight. */
  groups?: ParameterGroupOptions[];
  /**
   * Scores computed on each training batch's logits along with the loss
   * (e.g. pixel accuracy, which the reference run logged). Default none.
   */
  metrics?: SegmentationMetrics;
  /**
   * The training batches: `fit()` trains on them, disposing each batch's
   * tensors after its step. A stream that remembers its position (a
   * `StatefulPart`, e.g. `resumableBatches(segmentationBatches(...))`) has
   * it checkpointed and restored, so a resumed run continues with the batch
   * the interrupted one would have taken; any other async iterable is read
   * as it is (keep its position yourself, e.g. in `checkpointState`). This
   * is the one way data comes in. Default none (then only `trainStep()`).
   */
  data?: AsyncIterable<TrainBatch> | (AsyncIterable<TrainBatch> & StatefulPart);
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
  /**
   * Where each step's loss and gradients come from, for a source of your own
   * (e.g. gradients computed elsewhere); excludes `workers`. Default: this
   * thread, or the replicas of `workers`.
   */
  gradientSource?: GradientSource;
}

/** @deprecated Renamed {@link TrainerOptions}. */
export type TrainerArgs = TrainerOptions;

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

/** Options of {@link Trainer.fit}. */
export interface FitOptions {
  /** Train until the step counter reaches this (a resumed run continues from its step). Required. */
  steps: number;
  /** Evaluate every this many steps (and at the end). Default: only at the end, if `evaluate` is given. */
  evaluateEvery?: number;
  /**
   * Scores the model, e.g. mIoU on a validation split (called in inference
   * mode): the scores, or an {@link EvaluationReport} that also carries what
   * callbacks show (confusion matrix, boundary F1, snapshots).
   */
  evaluate?: () => Promise<Record<string, number> | EvaluationReport>;
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
  /**
   * The run's callbacks, in order: early stopping, the best-model saver,
   * loggers, your own. Those with a `stateKey` are saved in every checkpoint;
   * a resumed run must pass the same ones (their state comes back when
   * `fit()` starts). Default none.
   */
  callbacks?: TrainingCallback[];
}

/** @deprecated Renamed {@link FitOptions}. */
export type FitArgs = FitOptions;
