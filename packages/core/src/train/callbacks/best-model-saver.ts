/**
 * Best-model saving as a stateful part of the run (after PyTorch Lightning's
 * `ModelCheckpoint`): the trainer hands it every evaluation, it saves the
 * model when the monitored score improved, and its best score travels in
 * the checkpoint, so a resumed run does not overwrite a better model saved
 * before the interruption with a worse one.
 */
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { loadModel, saveModel } from '../../io/model-files.js';
import { expectInteger, expectNumberOrNull, expectObject } from '../../run-state/json.js';
import type { StatefulPart } from '../../run-state/stateful-part.js';

/** Options of {@link BestModelSaver}. */
export interface BestModelSaverArgs {
  /** Directory the best model is saved to (atomically, replacing the previous best). Required. */
  dir: string;
  /** Name of the evaluation score to watch, e.g. `'pixelAccuracy'`. Required. */
  monitor: string;
  /** Whether larger (`'max'`) or smaller (`'min'`) is better. Default `'max'`. */
  mode?: 'max' | 'min';
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

/** What {@link BestModelSaver.onEvaluate} did. */
export type BestModelDecision = 'saved' | 'not-better' | 'not-checked';

/** The checkpoint section of a {@link BestModelSaver}. */
export type BestModelSaverState = { monitor: string; mode: 'max' | 'min'; best: number | null; bestStep: number | null; dir: string };

/** Saves the model whenever the monitored score improves; see {@link BestModelSaverArgs}. */
export class BestModelSaver implements StatefulPart {
  readonly stateKey = 'bestModel' as const;
  readonly dir: string;
  readonly monitor: string;
  readonly mode: 'max' | 'min';
  readonly every: number;
  readonly restoreBestWeights: boolean;
  private readonly save: (model: LayersModel, dir: string) => Promise<unknown>;
  private readonly load: (dir: string) => Promise<LayersModel>;
  private readonly warn: (message: string) => void;
  private best: number | null = null;
  private bestStep: number | null = null;

  constructor(args: BestModelSaverArgs) {
    if (typeof args.dir !== 'string' || args.dir === '') throw new Error(`BestModelSaver: dir must be a folder path, got ${JSON.stringify(args.dir)}`);
    if (typeof args.monitor !== 'string' || args.monitor === '') {
      throw new Error(`BestModelSaver: monitor must name an evaluation score, got ${JSON.stringify(args.monitor)}`);
    }
    this.mode = args.mode ?? 'max';
    if (this.mode !== 'max' && this.mode !== 'min') throw new Error(`BestModelSaver: mode must be 'max' or 'min', got ${JSON.stringify(args.mode)}`);
    this.every = args.every ?? 1;
    if (!Number.isInteger(this.every) || this.every < 1) throw new Error(`BestModelSaver: every must be a positive integer, got ${args.every}`);
    this.dir = args.dir;
    this.monitor = args.monitor;
    if (args.save && args.restoreBestWeights && !args.load) {
      throw new Error('BestModelSaver: restoreBestWeights with your own `save` needs the matching `load` to read the best model back');
    }
    this.save = args.save ?? ((model, dir) => saveModel(model, dir));
    this.load = args.load ?? ((dir) => loadModel(dir));
    this.restoreBestWeights = args.restoreBestWeights ?? false;
    this.warn = args.warn ?? ((m) => console.warn(m));
  }

  /** The best score saved so far and its step. */
  get saved(): { score: number | null; step: number | null } {
    return { score: this.best, step: this.bestStep };
  }

  /**
   * Called by the trainer after each evaluation (with finite weights only).
   * `last` marks the run's final evaluation, which is always considered.
   */
  async onEvaluate(model: LayersModel, step: number, scores: Readonly<Record<string, number>>, last: boolean): Promise<BestModelDecision> {
    if (step % this.every !== 0 && !last) return 'not-checked';
    const score = scores[this.monitor];
    if (typeof score !== 'number') {
      throw new Error(
        `BestModelSaver: monitored score "${this.monitor}" is missing; the evaluation returned ${Object.keys(scores).join(', ') || 'nothing'}`,
      );
    }
    // A NaN score is never an improvement, so a broken model is never saved as the best.
    if (!Number.isFinite(score)) return 'not-better';
    const better = this.best === null || (this.mode === 'max' ? score > this.best : score < this.best);
    if (!better) return 'not-better';
    await this.save(model, this.dir);
    this.best = score;
    this.bestStep = step;
    return 'saved';
  }

  /**
   * With `restoreBestWeights`, writes the saved best model's weights into
   * `model` (the trainer calls this when training ends). Does nothing when
   * nothing was saved.
   */
  async restoreBest(model: LayersModel): Promise<void> {
    if (!this.restoreBestWeights || this.bestStep === null) return;
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
    return { monitor: this.monitor, mode: this.mode, best: this.best, bestStep: this.bestStep, dir: this.dir };
  }

  checkState(state: unknown, source: string): void {
    const s = expectObject(state, source, 'the best-model saver state');
    if (s.monitor !== this.monitor || s.mode !== this.mode) {
      throw new Error(
        `${source}: the best model was chosen by ${s.mode} ${JSON.stringify(s.monitor)}, this saver watches ${this.mode} "${this.monitor}"; ` +
          'keep monitor and mode when resuming, or start a new run',
      );
    }
    expectNumberOrNull(s.best, `${source}.best`);
    if (s.bestStep !== null) expectInteger(s.bestStep, `${source}.bestStep`);
    if (typeof s.dir !== 'string') throw new Error(`${source}.dir: expected the folder path, got ${JSON.stringify(s.dir)}`);
  }

  setState(state: unknown, source: string): void {
    const s = state as BestModelSaverState;
    if (s.dir !== this.dir) {
      this.warn(
        `${source}: the best model so far (${this.monitor} ${s.best} at step ${s.bestStep}) was saved to ${s.dir}; this run saves to ${this.dir}, which gets a model only when the score beats ${s.best}`,
      );
    }
    this.best = s.best;
    this.bestStep = s.bestStep;
  }
}

