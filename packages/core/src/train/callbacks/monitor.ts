/**
 * The monitored score of a callback that decides by one (early stopping, the
 * best-model saver): which score, which direction is better, the best so far
 * and its step, and the checks a resumed run's state must pass. Lightning's
 * `EarlyStopping` and `ModelCheckpoint` each carry this logic; here it is one
 * helper both use.
 *
 * @module
 */
import { expectInteger, expectNumberOrNull, expectObject } from '../../run-state/json.js';

/** Whether larger (`'max'`, e.g. mIoU) or smaller (`'min'`, e.g. loss) scores are better. */
export type MonitorMode = 'max' | 'min';

/** Options of {@link Monitor}. */
export interface MonitorOptions {
  /** Name of the evaluation score to watch, e.g. `'meanIoU'` or `'loss'`. Required. */
  monitor: string;
  /** Which direction is better. Default `'max'`. */
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement. Default 0. */
  minDelta?: number;
}

/** The best score so far and the step it was reached at (`null`s before the first). */
export interface MonitorBest {
  score: number | null;
  step: number | null;
}

/** The checkpointed fields of a {@link Monitor}. */
export type MonitorState = {
  monitor: string;
  mode: MonitorMode;
  best: number | null;
  bestStep: number | null;
};

/** One monitored score: see the module comment. */
export class Monitor {
  readonly monitor: string;
  readonly mode: MonitorMode;
  readonly minDelta: number;
  private bestScore: number | null = null;
  private bestStep: number | null = null;

  /** @param owner The callback's name, for messages (e.g. `'EarlyStopping'`). */
  constructor(
    private readonly owner: string,
    options: MonitorOptions,
  ) {
    if (typeof options.monitor !== 'string' || options.monitor === '') {
      throw new Error(`${owner}: monitor must name an evaluation score, got ${JSON.stringify(options.monitor)}`);
    }
    this.monitor = options.monitor;
    this.mode = options.mode ?? 'max';
    if (this.mode !== 'max' && this.mode !== 'min') throw new Error(`${owner}: mode must be 'max' or 'min', got ${JSON.stringify(options.mode)}`);
    this.minDelta = options.minDelta ?? 0;
    if (!(this.minDelta >= 0)) throw new Error(`${owner}: minDelta must be a number >= 0, got ${options.minDelta}`);
  }

  get best(): MonitorBest {
    return { score: this.bestScore, step: this.bestStep };
  }

  /** The monitored score among `scores`. @throws Naming the scores there are, when it is missing. */
  score(scores: Readonly<Record<string, number>>): number {
    const score = scores[this.monitor];
    if (typeof score !== 'number') {
      throw new Error(
        `${this.owner}: monitored score "${this.monitor}" is missing; the evaluation returned ${Object.keys(scores).join(', ') || 'nothing'}`,
      );
    }
    return score;
  }

  /** Whether `score` beats the best by more than `minDelta` (the first score always does); NaN never does. */
  improves(score: number): boolean {
    if (Number.isNaN(score)) return false;
    if (this.bestScore === null) return true;
    return this.mode === 'max' ? score > this.bestScore + this.minDelta : score < this.bestScore - this.minDelta;
  }

  /** Records `score` at `step` as the best. */
  record(score: number, step: number): void {
    this.bestScore = score;
    this.bestStep = step;
  }

  state(): MonitorState {
    return { monitor: this.monitor, mode: this.mode, best: this.bestScore, bestStep: this.bestStep };
  }

  /**
   * Throws unless `state` is a monitored state of the same score and mode,
   * naming `source`; returns it as an object for the owner's own fields.
   */
  checkState(state: unknown, source: string): Record<string, unknown> {
    const s = expectObject(state, source, `the ${this.owner} state`);
    if (s.monitor !== this.monitor || s.mode !== this.mode) {
      throw new Error(
        `${source}: the checkpoint's ${this.owner} watched ${s.mode} ${JSON.stringify(s.monitor)}, this ${this.owner} watches ${this.mode} "${this.monitor}"; ` +
          'keep monitor and mode when resuming, or start a new run',
      );
    }
    expectNumberOrNull(s.best, `${source}.best`);
    if (s.bestStep !== null) expectInteger(s.bestStep, `${source}.bestStep`);
    return s;
  }

  /** Takes the best score and step of a state that passed {@link Monitor.checkState}. */
  setState(state: MonitorState): void {
    this.bestScore = state.best;
    this.bestStep = state.bestStep;
  }
}

/** Base of the callbacks that decide by one monitored score: their `monitor` and `mode` are their {@link Monitor}'s. */
export abstract class MonitoredCallback {
  protected constructor(protected readonly tracker: Monitor) {}

  get monitor(): string {
    return this.tracker.monitor;
  }

  get mode(): MonitorMode {
    return this.tracker.mode;
  }
}
