import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { expectInteger, expectNumberOrNull, expectObject } from '../../run-state/json.js';
import type { StatefulPart } from '../../run-state/stateful-part.js';

/** Options of {@link EarlyStopping}. */
export interface EarlyStoppingArgs {
  /** Name of the validation score to watch, e.g. `'meanIoU'` or `'loss'`. Required. */
  monitor: string;
  /** Whether larger (`'max'`, e.g. mIoU) or smaller (`'min'`, e.g. loss) is better. Default `'max'`. */
  mode?: 'max' | 'min';
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
 * Stops training when a validation score has not improved for `patience`
 * evaluations, as Keras' `EarlyStopping` callback, and (with
 * `restoreBestWeights`) owns a copy of the best weights, which the trainer
 * checkpoints and, when training ends, puts back into the model.
 */
export class EarlyStopping implements StatefulPart {
  readonly stateKey = 'earlyStopping' as const;
  readonly monitor: string;
  readonly mode: 'max' | 'min';
  readonly patience: number;
  readonly minDelta: number;
  readonly restoreBestWeights: boolean;
  private st: EarlyStoppingState = { best: null, bestStep: null, wait: 0 };
  private weights: tf.Tensor[] | null = null;

  constructor(args: EarlyStoppingArgs) {
    this.monitor = args.monitor;
    this.mode = args.mode ?? 'max';
    this.patience = args.patience ?? 5;
    this.minDelta = args.minDelta ?? 0;
    this.restoreBestWeights = args.restoreBestWeights ?? true;
    if (!Number.isInteger(this.patience) || this.patience < 0) {
      throw new Error(`EarlyStopping: patience must be a non-negative integer, got ${args.patience}`);
    }
    if (this.mode !== 'max' && this.mode !== 'min') {
      throw new Error(`EarlyStopping: mode must be 'max' or 'min', got ${JSON.stringify(args.mode)}`);
    }
  }

  /** Best score so far and the step it was reached at. */
  get best(): { score: number | null; step: number | null } {
    return { score: this.st.best, step: this.st.bestStep };
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

  /** Writes the best weights into `model` (if any are held) and frees them; the trainer calls it when training ends. */
  restoreBest(model: LayersModel): void {
    if (this.restoreBestWeights && this.weights) for (const [i, w] of model.weights.entries()) w.write(this.weights[i]);
    this.setBestWeights(null);
  }

  /**
   * Records the score of the evaluation at `step`; on an improvement, copies
   * `model`'s weights when `restoreBestWeights`.
   */
  update(scores: Readonly<Record<string, number>>, step: number, model?: LayersModel): EarlyStoppingVerdict {
    const score = scores[this.monitor];
    if (typeof score !== 'number' || Number.isNaN(score)) {
      throw new Error(
        `EarlyStopping: monitored score "${this.monitor}" is ${score}; the evaluation returned ${Object.keys(scores).join(', ') || 'nothing'}`,
      );
    }
    const better =
      this.st.best === null ||
      (this.mode === 'max' ? score > this.st.best + this.minDelta : score < this.st.best - this.minDelta);
    if (better) {
      this.st = { best: score, bestStep: step, wait: 0 };
      if (this.restoreBestWeights && model) this.setBestWeights(model.weights.map((w) => tf.clone(w.read())));
      return 'improved';
    }
    this.st.wait += 1;
    return this.st.wait >= this.patience ? 'stop' : 'waiting';
  }

  /** The state to checkpoint, with the monitored score it belongs to. */
  getState(): EarlyStoppingState & { monitor: string; mode: 'max' | 'min' } {
    return { ...this.st, monitor: this.monitor, mode: this.mode };
  }

  /** Throws unless `state` is an early-stopping state for the same score and mode, naming `source`. */
  checkState(state: unknown, source: string): void {
    const s = expectObject(state, source, 'the early-stopping state');
    if (s.monitor !== this.monitor || s.mode !== this.mode) {
      throw new Error(
        `${source}: early stopping watched ${s.mode} ${JSON.stringify(s.monitor)}, this EarlyStopping watches ${this.mode} "${this.monitor}"; ` +
          'keep monitor and mode when resuming, or start a new run',
      );
    }
    expectNumberOrNull(s.best, `${source}.best`);
    if (s.bestStep !== null) expectInteger(s.bestStep, `${source}.bestStep`);
    expectInteger(s.wait, `${source}.wait`);
  }

  /** Restores a checkpointed state (checked by {@link EarlyStopping.checkState} when `source` is given). */
  setState(state: EarlyStoppingState, source?: string): void {
    if (source !== undefined) this.checkState(state, source);
    this.st = { best: state.best, bestStep: state.bestStep, wait: state.wait };
  }
}
