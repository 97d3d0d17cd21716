import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { assertGpuDeviceAlive, untilGpuDeviceLost } from '../gpu/device-lost.js';
import { type JsonValue, loadCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { EarlyStopping, EarlyStoppingState } from './early-stopping.js';
import { type ParameterGroup, type ParameterGroupConfig, resolveParameterGroups } from './parameter-groups.js';

/** A training batch: images `[B, H, W, C]` and integer labels `[B, H, W]`. */
export interface TrainBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
}

/** A loss over per-pixel labels and logits, e.g. `sparseSoftmaxCrossEntropy` with an ignore index. */
export type SegmentationLoss = (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar;

/** Options of {@link Trainer}. */
export interface TrainerArgs {
  /** The model to train; its output must be logits `[B, H, W, C]` at the labels' size. Required. */
  model: LayersModel;
  /** The loss. Required. */
  loss: SegmentationLoss;
  /** Parameter groups. Default: one group, Adam with learning rate 1e-3, over every trainable weight. */
  groups?: ParameterGroupConfig[];
  /**
   * Scores computed on each training batch's logits along with the loss
   * (e.g. pixel accuracy, which the reference run logged). Default none.
   */
  metrics?: Record<string, (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar>;
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

/** Hooks called by {@link Trainer.fit}; every one may be async. */
export interface TrainerCallbacks {
  /** After each optimizer step. */
  onStepEnd?(logs: StepLogs): void | Promise<void>;
  /** After each evaluation, with its scores and the early-stopping verdict if any. */
  onEvaluate?(step: number, scores: Record<string, number>, verdict?: string): void | Promise<void>;
  /** After a checkpoint was written. */
  onCheckpoint?(step: number, dir: string): void | Promise<void>;
}

/** Options of {@link Trainer.fit}. */
export interface FitArgs {
  /** Training batches; the trainer disposes each batch's tensors after its step. Required. */
  batches: AsyncIterable<TrainBatch>;
  /** Train until the step counter reaches this (a resumed run continues from its step). Required. */
  steps: number;
  /** Evaluate every this many steps (and at the end). Default: only at the end, if `evaluate` is given. */
  evaluateEvery?: number;
  /** Scores the model, e.g. mIoU on a validation split (called in inference mode). */
  evaluate?: () => Promise<Record<string, number>>;
  /** Stop early on a monitored evaluation score, and keep the best weights. */
  earlyStopping?: EarlyStopping;
  /** Write a checkpoint to this directory every `checkpointEvery` steps and at the end. */
  checkpointDir?: string;
  /** Default: `evaluateEvery`, else only at the end. */
  checkpointEvery?: number;
  /** Extra JSON state stored in every checkpoint (data position, RNG state...). */
  checkpointState?: () => { [key: string]: JsonValue };
  callbacks?: TrainerCallbacks;
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

/**
 * A custom training loop for segmentation models: per-group optimizers with
 * PyTorch-style L2 weight decay and freezing, periodic evaluation, early
 * stopping that restores the best weights, and atomic checkpoints holding
 * weights, optimizer state, step and user state, so an interrupted run
 * resumes where it stopped.
 *
 * `model.fit()` cannot express the reference run (several optimizers with
 * their own learning rates and weight decay, a frozen trunk), hence a loop of
 * its own on `tf.variableGrads`.
 */
export class Trainer {
  readonly model: LayersModel;
  readonly loss: SegmentationLoss;
  readonly groups: ParameterGroup[];
  readonly metrics: Record<string, (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar>;
  /** Optimizer steps taken so far (restored by {@link Trainer.restore}). */
  step = 0;
  private bestWeights: tf.Tensor[] | null = null;

  constructor(args: TrainerArgs) {
    this.model = args.model;
    this.loss = args.loss;
    this.metrics = args.metrics ?? {};
    this.groups = resolveParameterGroups(args.model, args.groups ?? [{ name: 'all' }]);
    if (this.groups.every((g) => g.frozen || g.variables.length === 0)) {
      throw new Error('Trainer: every parameter group is frozen or empty; nothing would train');
    }
  }

  /** Runs one optimizer step on a batch (which the caller still owns) and reports the loss and metrics before the step. */
  async trainStep(batch: TrainBatch): Promise<StepLogs> {
    // A lost GPU would otherwise leave the run waiting on reads that never settle.
    assertGpuDeviceAlive();
    const active = this.groups.filter((g) => !g.frozen && g.variables.length > 0);
    const vars = active.flatMap((g) => g.variables);
    const scores: Record<string, tf.Scalar> = {};
    const { value, grads } = tf.variableGrads(() => {
      const logits = this.model.apply(batch.images, { training: true }) as tf.Tensor;
      for (const [name, fn] of Object.entries(this.metrics)) {
        // Kept out of the tape's tidy; they feed no gradient.
        scores[name] = tf.keep(tf.tidy(() => fn(batch.labels, logits)));
      }
      return this.loss(batch.labels, logits);
    }, vars);
    try {
      tf.tidy(() => {
        for (const g of active) {
          const map: tf.NamedTensorMap = {};
          for (const v of g.variables) {
            map[v.name] = g.weightDecay > 0 ? tf.add(grads[v.name], tf.mul(v, g.weightDecay)) : grads[v.name];
          }
          g.optimizer.applyGradients(map);
        }
      });
      this.step += 1;
      const metrics: Record<string, number> = {};
      for (const [name, t] of Object.entries(scores)) metrics[name] = (await untilGpuDeviceLost(t.data()))[0];
      return { step: this.step, loss: (await untilGpuDeviceLost(value.data()))[0], metrics };
    } finally {
      tf.dispose([value, ...Object.values(grads), ...Object.values(scores)]);
    }
  }

  /** Trains on `args.batches` until `args.steps`, evaluating, checkpointing and stopping early as configured. */
  async fit(args: FitArgs): Promise<FitResult> {
    const { earlyStopping: es, callbacks: cb = {} } = args;
    const evaluateEvery = args.evaluateEvery ?? 0;
    const checkpointEvery = args.checkpointEvery ?? evaluateEvery;
    let lastScores: Record<string, number> | undefined;
    let stoppedEarly = false;
    const evaluate = async (): Promise<void> => {
      if (!args.evaluate) return;
      lastScores = await args.evaluate();
      const verdict = es?.update(lastScores, this.step);
      if (verdict === 'improved' && es?.restoreBestWeights) this.keepBestWeights();
      await cb.onEvaluate?.(this.step, lastScores, verdict);
      if (verdict === 'stop') stoppedEarly = true;
    };
    const checkpoint = async (): Promise<void> => {
      if (!args.checkpointDir) return;
      await this.save(args.checkpointDir, { ...(args.checkpointState?.() ?? {}), ...this.trainerState(es) });
      await cb.onCheckpoint?.(this.step, args.checkpointDir);
    };
    if (this.step < args.steps) {
      for await (const batch of args.batches) {
        let logs: StepLogs;
        try {
          logs = await this.trainStep(batch);
        } finally {
          tf.dispose([batch.images, batch.labels]);
        }
        await cb.onStepEnd?.(logs);
        const done = this.step >= args.steps;
        if (evaluateEvery > 0 && this.step % evaluateEvery === 0 && !done) await evaluate();
        if (checkpointEvery > 0 && this.step % checkpointEvery === 0 && !done && !stoppedEarly) await checkpoint();
        if (done || stoppedEarly) break;
      }
    }
    if (!stoppedEarly) await evaluate();
    await checkpoint();
    if (es?.restoreBestWeights && this.bestWeights) this.restoreBestWeights();
    this.disposeBestWeights();
    return { step: this.step, stoppedEarly, best: es?.best, lastScores };
  }

  /** Writes a checkpoint of the model, every optimizer and `extra` to `dir` (atomically). */
  async save(dir: string, extra: { [key: string]: JsonValue } = {}): Promise<void> {
    await saveCheckpoint(dir, this.model, this.groups, { step: this.step, extra }, this.bestWeights);
  }

  /**
   * Resumes from a checkpoint in `dir`, if there is one: weights, optimizer
   * states, step, best weights and early-stopping state.
   *
   * @returns The checkpoint's extra state (what `checkpointState` returned), or `null` if there was no checkpoint.
   */
  async restore(dir: string, earlyStopping?: EarlyStopping): Promise<{ [key: string]: JsonValue } | null> {
    const loaded = await loadCheckpoint(dir, this.model, this.groups);
    if (loaded === null) return null;
    const { state, bestWeights } = loaded;
    this.step = state.step;
    this.disposeBestWeights();
    this.bestWeights = bestWeights;
    const es = state.extra.earlyStopping as unknown as EarlyStoppingState | undefined;
    if (earlyStopping && es) earlyStopping.setState(es);
    return state.extra;
  }

  private trainerState(es?: EarlyStopping): { [key: string]: JsonValue } {
    return es ? { earlyStopping: es.getState() as unknown as JsonValue } : {};
  }

  private keepBestWeights(): void {
    this.disposeBestWeights();
    this.bestWeights = this.model.weights.map((w) => tf.clone(w.read()));
  }

  private restoreBestWeights(): void {
    for (const [i, w] of this.model.weights.entries()) w.write(this.bestWeights![i]);
  }

  private disposeBestWeights(): void {
    if (this.bestWeights) tf.dispose(this.bestWeights);
    this.bestWeights = null;
  }
}
