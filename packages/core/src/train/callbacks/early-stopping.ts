import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { expectInteger } from '../../run-state/json.js';
import type { PartWeights, StatefulPart } from '../../run-state/stateful-part.js';
import { CHECKPOINT_FILES } from '../checkpoint/checkpoint.js';
import { Monitor, type MonitorBest, MonitoredCallback, type MonitorMode, type MonitorState } from './monitor.js';
import type { Evaluation, FitContext, FitEnd, TrainingCallback } from './training-callback.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingOptions {
  /** Name of the validation score to watch, e.g. `'meanIoU'` or `'loss'`. Required. */
  monitor: string;
  /** Whether larger (`'max'`, e.g. mIoU) or smaller (`'min'`, e.g. loss) is better. Default `'max'`. */
  mode?: MonitorMode;
  /** Evaluations without improvement before training stops. Default 5. */
  patience?: number;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
  /**
   * Keep a copy of the weights of the best evaluation (checkpointed with the
   * run) and put them back into the model when training ends. Default true.
   */
  restoreBestWeights?: boolean;
}

/** @deprecated Renamed {@link EarlyStoppingOptions}. */
export type EarlyStoppingArgs = EarlyStoppingOptions;

/** What {@link EarlyStopping.update} concluded from a score. */
export type EarlyStoppingVerdict = 'improved' | 'waiting' | 'stop';

/** The resumable state of {@link EarlyStopping}: its checkpoint section `earlyStopping`. */
export type EarlyStoppingState = {
  best: number | null;
  bestStep: number | null;
  /** Evaluations since the last improvement (the patience counter). */
  wait: number;
};

/**
 * A callback that stops training when a validation score has not improved
 * for `patience` evaluations, as Keras' `EarlyStopping`, and (with
 * `restoreBestWeights`) owns a copy of the best weights, which the trainer
 * checkpoints (`best-weights.safetensors`) and which it puts back into the
 * model when training ends. Its state is the checkpoint section `earlyStopping`.
 */
export class EarlyStopping extends MonitoredCallback implements TrainingCallback, StatefulPart {
  readonly stateKey = 'earlyStopping' as const;
  readonly patience: number;
  readonly restoreBestWeights: boolean;
  /** The verdict of the latest evaluation, `null` before the first. */
  verdict: EarlyStoppingVerdict | null = null;
  readonly modelWeights: PartWeights = {
    file: CHECKPOINT_FILES.bestWeights,
    get: () => this.weights,
    set: (weights) => this.setBestWeights(weights),
  };
  private wait = 0;
  private weights: tf.Tensor[] | null = null;

  constructor(options: EarlyStoppingOptions) {
    super(new Monitor('EarlyStopping', options));
    this.patience = options.patience ?? 5;
    this.restoreBestWeights = options.restoreBestWeights ?? true;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new Error(`EarlyStopping: patience must be a non-negative integer, got ${options.patience}`);
    }
  }

  get minDelta(): number {
    return this.tracker.minDelta;
  }

  /** Best score so far and the step it was reached at. */
  get best(): MonitorBest {
    return this.tracker.best;
  }

  /** The weights of the best evaluation so far, in the model's weight order (`restoreBestWeights` only). */
  get bestWeights(): readonly tf.Tensor[] | null {
    return this.weights;
  }

  /** Takes over `weights` (restored from a checkpoint) as the best ones, freeing those held before. */
  setBestWeights(weights: tf.Tensor[] | null): void {
    if (this.weights) tf.dispose(this.weights);
    this.weights = weights;
  }

  /** Writes the best weights into `model` (if any are held) and frees them; done when `fit()` ends. */
  restoreBest(model: LayersModel): void {
    if (this.restoreBestWeights && this.weights) for (const [i, w] of model.weights.entries()) w.write(this.weights[i]);
    this.setBestWeights(null);
  }

  /**
   * Records the score of the evaluation at `step`; on an improvement, copies
   * `model`'s weights when `restoreBestWeights`.
   */
  update(scores: Readonly<Record<string, number>>, step: number, model?: LayersModel): EarlyStoppingVerdict {
    const score = this.tracker.score(scores);
    if (Number.isNaN(score)) throw new Error(`EarlyStopping: monitored score "${this.monitor}" is NaN`);
    if (this.tracker.improves(score)) {
      this.tracker.record(score, step);
      this.wait = 0;
      if (this.restoreBestWeights && model) this.setBestWeights(model.weights.map((w) => tf.clone(w.read())));
      return 'improved';
    }
    this.wait += 1;
    return this.wait >= this.patience ? 'stop' : 'waiting';
  }

  onEvaluate({ scores, step }: Evaluation, trainer: FitContext): void {
    this.verdict = this.update(scores, step, trainer.model);
    if (this.verdict === 'stop') trainer.requestStop();
  }

  /** Puts the best weights back once the run ended well (after its last checkpoint, which keeps the last weights). */
  onFitEnd({ result }: FitEnd, trainer: FitContext): void {
    if (result) this.restoreBest(trainer.model);
  }

  /** The state to checkpoint, with the monitored score it belongs to. */
  getState(): EarlyStoppingState & MonitorState {
    return { ...this.tracker.state(), wait: this.wait };
  }

  /** Throws unless `state` is an early-stopping state for the same score and mode, naming `source`. */
  checkState(state: unknown, source: string): void {
    expectInteger(this.tracker.checkState(state, source).wait, `${source}.wait`);
  }

  /** Restores a checkpointed state (checked by {@link EarlyStopping.checkState} when `source` is given). */
  setState(state: unknown, source?: string): void {
    if (source !== undefined) this.checkState(state, source);
    const s = state as EarlyStoppingState & MonitorState;
    this.tracker.setState(s);
    this.wait = s.wait;
  }
}
