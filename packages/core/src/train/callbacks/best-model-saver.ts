/**
 * Best-model saving as a callback with its own run state (after PyTorch
 * Lightning's `ModelCheckpoint`): at each evaluation it saves the model when
 * the monitored score improved, and its best score travels in the
 * checkpoint, so a resumed run does not overwrite a better model saved
 * before the interruption with a worse one.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadModel, saveModel } from '../../io/model-files.js';
import type { StatefulPart } from '../../run-state/stateful-part.js';
import { Monitor, type MonitorBest, MonitoredCallback, type MonitorMode, type MonitorState } from './monitor.js';
import type { Evaluation, FitContext, FitEnd, TrainingCallback } from './training-callback.js';

/** Options of {@link BestModelSaver}. */
export interface BestModelSaverOptions {
  /** Directory the best model is saved to (atomically, replacing the previous best). Required. */
  dir: string;
  /** Name of the evaluation score to watch, e.g. `'pixelAccuracy'`. Required. */
  monitor: string;
  /** Whether larger (`'max'`) or smaller (`'min'`) is better. Default `'max'`. */
  mode?: MonitorMode;
  /**
   * Consider saving only at evaluations whose step is a multiple of this (and
   * at the run's last evaluation), like the reference run's `--saveFreq`.
   * Default 1: at every evaluation.
   */
  every?: number;
  /** Writes the model. Default: `saveModel` (model.json + shards). */
  save?: (model: LayersModel, dir: string) => Promise<unknown>;
  /** Reads a model `save` wrote, for `restoreBestWeights`. Default: `loadModel`. */
  load?: (dir: string) => Promise<LayersModel>;
  /**
   * When training ends, put the weights of the best saved model back into the
   * model (read from `dir`), so what follows (a test score, a final save)
   * uses the best model, as the reference run did. Default `false`.
   */
  restoreBestWeights?: boolean;
  /** Told about a resume whose checkpoint saved its best model elsewhere. Default `console.warn`. */
  warn?: (message: string) => void;
}

/** @deprecated Renamed {@link BestModelSaverOptions}. */
export type BestModelSaverArgs = BestModelSaverOptions;

/** What the saver did at an evaluation. */
export type BestModelDecision = 'saved' | 'not-better' | 'not-checked';

/** The checkpoint section `bestModel` of a {@link BestModelSaver}. */
export type BestModelSaverState = MonitorState & { dir: string };

/**
 * A callback that saves the model whenever the monitored score improves; see
 * {@link BestModelSaverOptions}. Its state is the checkpoint section `bestModel`.
 */
export class BestModelSaver extends MonitoredCallback implements TrainingCallback, StatefulPart {
  readonly stateKey = 'bestModel' as const;
  readonly dir: string;
  readonly every: number;
  readonly restoreBestWeights: boolean;
  /** What it did at the latest evaluation, `null` before the first. */
  decision: BestModelDecision | null = null;
  private readonly save: (model: LayersModel, dir: string) => Promise<unknown>;
  private readonly load: (dir: string) => Promise<LayersModel>;
  private readonly warn: (message: string) => void;
  /** The scores of an evaluation skipped for `every`, considered if it turns out to be the run's last. */
  private skipped: { step: number; scores: Readonly<Record<string, number>> } | null = null;

  constructor(options: BestModelSaverOptions) {
    if (typeof options.dir !== 'string' || options.dir === '') {
      throw new Error(`BestModelSaver: dir must be a folder path, got ${JSON.stringify(options.dir)}`);
    }
    super(new Monitor('BestModelSaver', options));
    this.every = options.every ?? 1;
    if (!Number.isInteger(this.every) || this.every < 1) throw new Error(`BestModelSaver: every must be a positive integer, got ${options.every}`);
    this.dir = options.dir;
    if (options.save && options.restoreBestWeights && !options.load) {
      throw new Error('BestModelSaver: restoreBestWeights with your own `save` needs the matching `load` to read the best model back');
    }
    this.save = options.save ?? ((model, dir) => saveModel(model, dir));
    this.load = options.load ?? ((dir) => loadModel(dir));
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.warn = options.warn ?? ((m) => console.warn(m));
  }

  /** The best score saved so far and its step. */
  get saved(): MonitorBest {
    return this.tracker.best;
  }

  /**
   * Considers the evaluation at `step` (of finite weights): saves `model`
   * when its monitored score is the best so far. Only at multiples of
   * `every`, unless `last` (the run's final evaluation, always considered).
   */
  async consider(model: LayersModel, step: number, scores: Readonly<Record<string, number>>, last: boolean): Promise<BestModelDecision> {
    if (step % this.every !== 0 && !last) return 'not-checked';
    const score = this.tracker.score(scores);
    // A NaN score is never an improvement, so a broken model is never saved as the best.
    if (!Number.isFinite(score) || !this.tracker.improves(score)) return 'not-better';
    await this.save(model, this.dir);
    this.tracker.record(score, step);
    return 'saved';
  }

  async onEvaluate({ step, scores, last }: Evaluation, trainer: FitContext): Promise<void> {
    // A stop already requested (by a callback before this one) makes this the run's last evaluation.
    this.decision = await this.consider(trainer.model, step, scores, last || trainer.stopRequested);
    this.skipped = this.decision === 'not-checked' ? { step, scores } : null;
  }

  /** A stop requested after this saver saw the evaluation made it the run's last: considered even off `every`. */
  async onTrainEnd(trainer: FitContext): Promise<void> {
    const skipped = this.skipped;
    this.skipped = null;
    if (skipped && skipped.step === trainer.step) await this.consider(trainer.model, skipped.step, skipped.scores, true);
  }

  /** With `restoreBestWeights`, puts the saved best model's weights back once the run ended well. */
  async onFitEnd({ result }: FitEnd, trainer: FitContext): Promise<void> {
    if (result) await this.restoreBest(trainer.model);
  }

  /**
   * With `restoreBestWeights`, writes the saved best model's weights into
   * `model` (done when `fit()` ends). Does nothing when
   * nothing was saved.
   */
  async restoreBest(model: LayersModel): Promise<void> {
    if (!this.restoreBestWeights || this.tracker.best.step === null) return;
    const best = await this.load(this.dir);
    try {
      if (best.weights.length !== model.weights.length) {
        throw new Error(`BestModelSaver: ${this.dir} holds a model with ${best.weights.length} weights, the trained one has ${model.weights.length}`);
      }
      for (const [i, w] of model.weights.entries()) w.write(best.weights[i].read());
    } finally {
      best.dispose();
    }
  }

  getState(): BestModelSaverState {
    return { ...this.tracker.state(), dir: this.dir };
  }

  checkState(state: unknown, source: string): void {
    const s = this.tracker.checkState(state, source);
    if (typeof s.dir !== 'string') throw new Error(`${source}.dir: expected the folder path, got ${JSON.stringify(s.dir)}`);
  }

  setState(state: unknown, source: string): void {
    const s = state as BestModelSaverState;
    if (s.dir !== this.dir) {
      this.warn(
        `${source}: the best model so far (${this.monitor} ${s.best} at step ${s.bestStep}) was saved to ${s.dir}; this run saves to ${this.dir}, which gets a model only when the score beats ${s.best}`,
      );
    }
    this.tracker.setState(s);
  }
}

