/**
 * The hooks of {@link Trainer.fit} and what they are handed. Everything a run
 * does beside stepping (early stopping, best-model saving, logging, progress,
 * reports, snapshots) is a callback; a callback with a `stateKey` also owns
 * its part of the run state, which the trainer saves in every checkpoint and
 * gives back on resume, as Lightning's `Callback.state_dict()`.
 *
 * @module
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { BoundaryScores } from '../../metrics/boundary-f1.js';
import type { ConfusionMatrix } from '../../metrics/confusion-matrix.js';
import type { RgbImage } from '../../data/image.js';
import type { JsonValue } from '../../run-state/json.js';
import type { PartWeights } from '../../run-state/stateful-part.js';
import type { CheckpointAt } from '../non-finite.js';

/** What one training step reports. */
export interface StepLogs {
  /** The step counter after this step. */
  step: number;
  /** The loss before the step. */
  loss: number;
  /** The training metrics of this batch, by name. */
  metrics: Record<string, number>;
}

/** An image shown with an evaluation: the input, its ground truth and the model's prediction (class ids, row-major). */
export interface EvaluationSnapshot {
  /** The sample's id. */
  id: string;
  image: RgbImage;
  labels: ArrayLike<number>;
  prediction: ArrayLike<number>;
}

/**
 * What `fit()`'s `evaluate` may return instead of bare scores: the scores,
 * and what reports and snapshot writers show beside them.
 */
export interface EvaluationReport {
  /** The scores, by name (the monitored ones among them). Required. */
  scores: Record<string, number>;
  /** The confusion matrix the scores came from. */
  confusion?: ConfusionMatrix;
  /** Boundary precision, recall and F1 per class. */
  boundaryF1?: BoundaryScores;
  /** Images to show, with their predictions. */
  snapshots?: EvaluationSnapshot[];
}

/** One evaluation during {@link Trainer.fit}: its step, its scores and what the evaluation returned beside them. */
export interface Evaluation extends EvaluationReport {
  step: number;
  /** Whether it is the run's last evaluation (at the last step); an early stop may end the run after any evaluation. */
  last: boolean;
}

/** The evaluation at `step` from what `fit()`'s `evaluate` returned (bare scores or a report). */
export function evaluationOf(returned: Record<string, number> | EvaluationReport, step: number, last: boolean): Evaluation {
  const report = typeof returned.scores === 'object' ? (returned as EvaluationReport) : { scores: returned as Record<string, number> };
  return { ...report, step, last };
}

/** How {@link Trainer.fit} ended. */
export interface FitResult {
  step: number;
  /** Whether a callback (early stopping) or `requestStop()` ended the run before `steps`. */
  stoppedEarly: boolean;
  /** Scores of the last evaluation. */
  lastScores?: Record<string, number>;
}

/** How {@link Trainer.fit} ended, for {@link TrainingCallback.onFitEnd}: a result, or the error it throws. */
export type FitEnd = { result: FitResult; error?: undefined } | { result?: undefined; error: unknown };

/** The trainer as its callbacks see it: the model, the step, and a way to end the run. */
export interface FitContext {
  readonly model: LayersModel;
  /** Optimizer steps taken so far. */
  readonly step: number;
  /** Whether the run ends after this step (`requestStop()` was called). */
  readonly stopRequested: boolean;
  /** Ends `fit()` after the current step, as an early stop. */
  requestStop(): void;
}

/**
 * Hooks into {@link Trainer.fit} (Keras and Lightning callbacks). Every hook
 * may be async; for each event they run in the order of the `callbacks`
 * list, so a callback that decides (early stopping, the best-model saver)
 * goes before one that reports what was decided.
 *
 * A callback with a `stateKey` and `getState`/`checkState`/`setState` (a
 * `StatefulPart`) is saved in every checkpoint under that key; a restored
 * run gives its state back when `fit()` starts, so the same callbacks must
 * be passed to the resumed `fit()`.
 */
export interface TrainingCallback {
  /** Its checkpoint section: any key no other part of the run uses. Default none: the callback keeps no run state. */
  readonly stateKey?: string;
  /** Its state now, as JSON (with `stateKey`). */
  getState?(): JsonValue;
  /** Throws if `state` cannot be restored into it, naming `source` (with `stateKey`). */
  checkState?(state: unknown, source: string): void;
  /** Takes a state that passed `checkState` (with `stateKey`). */
  setState?(state: unknown, source: string): void;
  /** Model-shaped tensors it keeps across a restart (with `stateKey`). */
  readonly modelWeights?: PartWeights;
  /**
   * The evaluation score it decides by: an evaluation that scores it NaN or
   * infinite stops the run before any callback sees it.
   */
  readonly monitor?: string;
  /** Once, before the first step (after the checkpoint folder is locked and checked, and the callbacks' state restored). */
  onFitStart?(step: number, trainer: FitContext): void | Promise<void>;
  /** After each optimizer step. */
  onStepEnd?(logs: StepLogs, trainer: FitContext): void | Promise<void>;
  /** After each evaluation (of finite weights with finite monitored scores). */
  onEvaluate?(evaluation: Evaluation, trainer: FitContext): void | Promise<void>;
  /** Once, after the last step and evaluation, before the final checkpoint: the model is the one the last evaluation scored if the run stopped early. */
  onTrainEnd?(trainer: FitContext): void | Promise<void>;
  /** After a checkpoint was written. */
  onCheckpoint?(checkpoint: CheckpointAt, trainer: FitContext): void | Promise<void>;
  /** Once, when fit ends: with its result, or with the error it then throws. */
  onFitEnd?(end: FitEnd, trainer: FitContext): void | Promise<void>;
}
