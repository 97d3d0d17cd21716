import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { assertGpuDeviceAlive, untilGpuDeviceLost } from '../backends/webgpu/device-lost.js';
import type { BestModelDecision, BestModelSaver } from './best-model-saver.js';
import { findCheckpoint, readCheckpoint, saveCheckpoint } from './checkpoint.js';
import type { EarlyStopping } from './early-stopping.js';
import { allFinite, finiteProbe, NonFiniteTrainingError } from './non-finite.js';
import { type ParameterGroup, type ParameterGroupConfig, resolveParameterGroups } from './parameter-groups.js';
import { ReplicaPool, type TrainerWorkers } from './replicas/replica-pool.js';
import { acquireRunLock } from './run-lock.js';
import { stepGradients } from './step-gradients.js';
import {
  type ConfigChange,
  ConfigMismatchError,
  configChanges,
  type JsonObject,
  type JsonValue,
  type StatefulPart,
} from './state.js';

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
  /**
   * Stop early on a monitored evaluation score, and keep the best weights.
   * Its state (best score, patience counter) is checkpointed and restored with
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

/** What a step's forward and backward pass yield; metrics are tensors (this thread) or numbers (replicas). */
interface StepGradients {
  value: tf.Scalar;
  grads: tf.NamedTensorMap;
  metrics: Record<string, tf.Scalar | number>;
  /** Replicas only: takes their BatchNorm moving statistics (this thread's forward pass updated its own). */
  applyStatistics?: () => void;
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

/** Hooks called by {@link Trainer.fit}; every one may be async. */
export interface TrainerCallbacks {
  /** After each optimizer step. */
  onStepEnd?(logs: StepLogs): void | Promise<void>;
  /** After each evaluation, with its scores, the early-stopping verdict and what the best-model saver did, if any. */
  onEvaluate?(step: number, scores: Record<string, number>, verdict?: string, bestModel?: BestModelDecision): void | Promise<void>;
  /** After a checkpoint was written. */
  onCheckpoint?(step: number, dir: string): void | Promise<void>;
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
 * stopping that restores the best weights, best-model saving, and atomic
 * checkpoints. The trainer owns the run's state as one piece: its own step
 * and optimizer state, and the stateful parts it was given (early stopping,
 * best-model saver, data position), each in its own checkpoint section and
 * all restored by one `restore()`, so an interrupted run resumes exactly
 * where it stopped. A NaN or infinite loss or gradient stops training at
 * once, before anything from that iteration is applied or saved.
 *
 * With `workers`, each step's batch is split across data-parallel replicas
 * (see {@link TrainerWorkers}); only the forward and backward passes move,
 * so all of the above behaves as in one thread. BatchNorm then normalises
 * each shard with its own batch statistics, as PyTorch's `nn.DataParallel`.
 *
 * `model.fit()` cannot express the reference run (several optimizers with
 * their own learning rates and weight decay, a frozen trunk), hence a loop of
 * its own on `tf.variableGrads`.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({
 *   model,
 *   loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits, { ignoreIndex: 255 }),
 *   groups: [{ name: 'all', optimizer: tf.train.adam(1e-4) }],
 *   earlyStopping: new EarlyStopping({ monitor: 'meanIoU', patience: 10 }),
 *   data: resumableBatches(segmentationBatches(train, { batchSize: 8, seed: 1, normalize: 'imagenet' })),
 * });
 * await trainer.restore('runs/ckpt'); // null on a first run, else continues it
 * await trainer.fit({ steps: 20_000, checkpointDir: 'runs/ckpt', evaluateEvery: 500, evaluate });
 * ```
 */
export class Trainer {
  readonly model: LayersModel;
  readonly loss: SegmentationLoss;
  readonly groups: ParameterGroup[];
  readonly metrics: Record<string, (labels: tf.Tensor, logits: tf.Tensor) => tf.Scalar>;
  readonly earlyStopping?: EarlyStopping;
  readonly bestModel?: BestModelSaver;
  readonly data?: StatefulPart & AsyncIterable<TrainBatch>;
  readonly config?: JsonObject;
  /** Optimizer steps taken so far (restored by {@link Trainer.restore}). */
  step = 0;
  private bestWeights: tf.Tensor[] | null = null;
  /** Checkpoint folders this trainer restored from or wrote: `fit()` may replace only these. */
  private readonly ownCheckpoints = new Set<string>();
  private readonly replicas: ReplicaPool | null = null;

  constructor(args: TrainerArgs) {
    this.model = args.model;
    this.earlyStopping = args.earlyStopping;
    this.bestModel = args.bestModel;
    this.data = args.data;
    this.config = args.config;
    this.loss = args.loss;
    this.metrics = args.metrics ?? {};
    this.groups = resolveParameterGroups(args.model, args.groups ?? [{ name: 'all' }]);
    if (this.groups.every((g) => g.frozen || g.variables.length === 0)) {
      throw new Error('Trainer: every parameter group is frozen or empty; nothing would train');
    }
    if (args.workers) {
      const vars = this.activeGroups().flatMap((g) => g.variables);
      this.replicas = new ReplicaPool(args.model, vars, Object.keys(this.metrics), args.workers);
    }
  }

  /** Starts the replicas of `workers` and waits until each has built its model (the first step does this anyway). */
  async startWorkers(): Promise<void> {
    await this.replicas?.start();
  }

  /** Ends the replicas of `workers` (a step waiting on them rejects); resolves once they have exited. Without workers, nothing to do. */
  async dispose(): Promise<void> {
    await this.replicas?.dispose();
  }

  /** Tensors each replica held after its last step (`[]` without workers or before the first step), to spot leaks. */
  get replicaTensors(): readonly number[] {
    return this.replicas?.replicaTensors ?? [];
  }

  private activeGroups(): ParameterGroup[] {
    return this.groups.filter((g) => !g.frozen && g.variables.length > 0);
  }

  /** Runs one optimizer step on a batch (which the caller still owns) and reports the loss and metrics before the step. */
  async trainStep(batch: TrainBatch): Promise<StepLogs> {
    // A lost GPU would otherwise leave the run waiting on reads that never settle.
    assertGpuDeviceAlive();
    const active = this.activeGroups();
    const { value, grads, metrics, applyStatistics } = this.replicas
      ? await this.replicaGradients(batch)
      : this.localGradients(batch, active.flatMap((g) => g.variables));
    try {
      const loss = await this.checkFiniteStep(batch.images, value, Object.values(grads));
      for (const g of active) {
        if (g.weightDecay > 0) {
          // One variable at a time, each raw gradient freed at once: no second copy of every gradient.
          for (const v of g.variables) {
            const raw = grads[v.name];
            grads[v.name] = tf.tidy(() => tf.add(raw, tf.mul(v, g.weightDecay)));
            raw.dispose();
          }
        }
        g.optimizer.applyGradients(Object.fromEntries(g.variables.map((v) => [v.name, grads[v.name]])));
      }
      applyStatistics?.();
      this.step += 1;
      const scores: Record<string, number> = {};
      for (const [name, t] of Object.entries(metrics)) scores[name] = typeof t === 'number' ? t : (await untilGpuDeviceLost(t.data()))[0];
      return { step: this.step, loss, metrics: scores };
    } finally {
      tf.dispose([value, ...Object.values(grads), ...Object.values(metrics).filter((t) => typeof t !== 'number')]);
    }
  }

  /** Loss, gradients and metric scores of the batch, computed in this thread. */
  private localGradients(batch: TrainBatch, vars: tf.Variable[]): StepGradients {
    const { value, grads, scores } = stepGradients(this.model, this.loss, this.metrics, batch.images, batch.labels, vars);
    return { value, grads, metrics: scores };
  }

  /** The pixel-weighted means of the replicas' losses, gradients and metrics. */
  private async replicaGradients(batch: TrainBatch): Promise<StepGradients> {
    const { loss, grads, metrics, applyStatistics } = await this.replicas!.gradients(batch.images, batch.labels);
    return { value: tf.scalar(loss), grads, metrics, applyStatistics };
  }

  /** Trains on `args.batches` (or the trainer's `data`) until `args.steps`, evaluating, checkpointing and stopping early as configured. */
  async fit(args: FitArgs): Promise<FitResult> {
    const { callbacks: cb = {} } = args;
    const es = this.earlyStopping;
    if (args.batches && this.data) {
      throw new Error('Trainer.fit: batches were given, but the trainer has its own `data` whose position it checkpoints; pass one of the two');
    }
    const batches = args.batches ?? this.data;
    if (!batches) throw new Error('Trainer.fit: no training batches; pass `batches` to fit() or `data` to new Trainer()');
    if ((args as { earlyStopping?: unknown }).earlyStopping !== undefined) {
      throw new Error('Trainer.fit: earlyStopping moved to new Trainer({ earlyStopping }), so that restore() restores its state too');
    }
    const evaluateEvery = args.evaluateEvery ?? 0;
    const checkpointEvery = args.checkpointEvery ?? evaluateEvery;
    let lastScores: Record<string, number> | undefined;
    let stoppedEarly = false;
    const evaluate = async (last: boolean): Promise<void> => {
      if (!args.evaluate) return;
      await this.checkFiniteWeights();
      lastScores = await args.evaluate();
      const verdict = es?.update(lastScores, this.step);
      if (verdict === 'improved' && es?.restoreBestWeights) this.keepBestWeights();
      if (verdict === 'stop') stoppedEarly = true;
      const saved = await this.bestModel?.onEvaluate(this.model, this.step, lastScores, last || stoppedEarly);
      await cb.onEvaluate?.(this.step, lastScores, verdict, saved);
    };
    const checkpoint = async (): Promise<void> => {
      if (!args.checkpointDir) return;
      await this.checkFiniteWeights();
      await this.save(args.checkpointDir, args.checkpointState?.());
      await cb.onCheckpoint?.(this.step, args.checkpointDir);
    };
    const lock = args.checkpointDir ? await acquireRunLock(`${args.checkpointDir}.lock`) : null;
    try {
      if (args.checkpointDir) await this.checkNotAnotherRun(args.checkpointDir);
      if (this.step < args.steps) {
        for await (const batch of batches) {
          let logs: StepLogs;
          try {
            logs = await this.trainStep(batch);
          } finally {
            tf.dispose([batch.images, batch.labels]);
          }
          await cb.onStepEnd?.(logs);
          const done = this.step >= args.steps;
          if (evaluateEvery > 0 && this.step % evaluateEvery === 0 && !done) await evaluate(false);
          if (checkpointEvery > 0 && this.step % checkpointEvery === 0 && !done && !stoppedEarly) await checkpoint();
          if (done || stoppedEarly) break;
        }
      }
      if (!stoppedEarly) await evaluate(true);
      await checkpoint();
    } finally {
      await lock?.release();
    }
    if (es?.restoreBestWeights && this.bestWeights) this.restoreBestWeights();
    this.disposeBestWeights();
    return { step: this.step, stoppedEarly, best: es?.best, lastScores };
  }

  /** Refuses to let `fit()` replace the checkpoint of a run this trainer did not restore. */
  private async checkNotAnotherRun(dir: string): Promise<void> {
    if (this.ownCheckpoints.has(dir)) return;
    const found = await findCheckpoint(dir);
    if (found === null) return;
    throw new Error(
      `Trainer.fit: ${dir} holds the checkpoint of another run (${found}); call restore('${dir}') first to continue it, ` +
        'or delete it (or choose another checkpointDir) to start a new run',
    );
  }

  /** The stateful parts besides the trainer itself, each saved under its own checkpoint section. */
  private parts(): StatefulPart[] {
    const parts: (StatefulPart | undefined)[] = [this.earlyStopping, this.bestModel, this.data];
    return parts.filter((p): p is StatefulPart => p !== undefined);
  }

  /**
   * Writes a checkpoint of the whole run to `dir`, atomically: weights, every
   * optimizer, the step and best weights, each stateful part's section, the
   * configuration and `user` state.
   */
  async save(dir: string, user?: JsonValue): Promise<void> {
    const sections: Record<string, JsonValue> = {};
    for (const part of this.parts()) sections[part.stateKey] = part.getState();
    if (user !== undefined) sections.user = user;
    await saveCheckpoint(dir, this.model, this.groups, { step: this.step, config: this.config ?? null, sections }, this.bestWeights);
    this.ownCheckpoints.add(dir);
  }

  /**
   * Resumes the whole run from the checkpoint for `dir`, if there is one:
   * weights, optimizer states, step and best weights, and the state of every
   * stateful part (early stopping, best-model saver, data position). Every
   * file and section is checked first, and the configuration compared;
   * nothing is assigned unless all of it fits.
   *
   * @returns What was restored, or `null` if there is no checkpoint.
   * @throws {ConfigMismatchError} When the checkpoint's configuration differs in keys not allowed to change.
   * @throws Naming the file and key, when a file or section is corrupt, missing or does not fit.
   */
  async restore(dir: string, options: RestoreOptions = {}): Promise<RestoreResult | null> {
    const read = await readCheckpoint(dir, this.model, this.groups);
    if (read === null) {
      this.ownCheckpoints.add(dir);
      return null;
    }
    const { state, stateFile } = read;
    const allowed = options.allowConfigChanges ?? [];
    const changes = this.config || state.config ? configChanges(state.config ?? {}, this.config ?? {}) : [];
    const refused = changes.filter((c) => !allowed.some((k) => c.key === k || c.key.startsWith(`${k}.`)));
    if (refused.length > 0) throw new ConfigMismatchError(stateFile, refused);
    const parts = this.parts();
    const sections = state.sections as Record<string, unknown>;
    for (const key of Object.keys(sections)) {
      if (key !== 'trainer' && key !== 'user' && !parts.some((p) => p.stateKey === key)) {
        throw new Error(
          `checkpoint ${stateFile}: holds sections.${key}, but this trainer has no ${key}; give new Trainer() the same ${key} as the run that wrote it, or start a new run`,
        );
      }
    }
    for (const part of parts) {
      const source = `checkpoint ${stateFile}: sections.${part.stateKey}`;
      if (sections[part.stateKey] === undefined) {
        throw new Error(`${source} is missing, but this trainer has ${part.stateKey}; the checkpoint was written by a run without it`);
      }
      part.checkState(sections[part.stateKey], source);
    }
    // Everything is read and checked; only now is anything assigned.
    const bestWeights = await read.assign();
    this.step = state.sections.trainer.step;
    this.disposeBestWeights();
    this.bestWeights = bestWeights;
    for (const part of parts) part.setState(sections[part.stateKey], `checkpoint ${stateFile}: sections.${part.stateKey}`);
    this.ownCheckpoints.add(dir);
    return { dir: read.dir, step: this.step, user: (sections.user as JsonValue | undefined) ?? null, configChanges: changes };
  }

  /** Reads the loss and throws, applying nothing, if it or any gradient is NaN or infinite. */
  private async checkFiniteStep(images: tf.Tensor, value: tf.Scalar, grads: tf.Tensor[]): Promise<number> {
    // The images too: a ReLU on webgpu turns NaN into 0 (its max(x, 0)), so a NaN pixel may reach neither loss nor gradients.
    const probes = [finiteProbe([images]), finiteProbe(grads)];
    try {
      const [[loss], [imagesProbe], [gradsProbe]] = await untilGpuDeviceLost(Promise.all([value, ...probes].map((t) => t.data())));
      if (!Number.isFinite(imagesProbe)) throw new NonFiniteTrainingError(this.step + 1, 'input', loss);
      if (!Number.isFinite(loss)) throw new NonFiniteTrainingError(this.step + 1, 'loss', loss);
      if (!Number.isFinite(gradsProbe)) throw new NonFiniteTrainingError(this.step + 1, 'gradients', loss);
      return loss;
    } finally {
      tf.dispose(probes);
    }
  }


  /** Throws before an evaluation or checkpoint if an update overflowed the weights (e.g. a huge learning rate). */
  private async checkFiniteWeights(): Promise<void> {
    if (!(await allFinite(this.model.weights.map((w) => w.read())))) throw new NonFiniteTrainingError(this.step, 'weights', Number.NaN);
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
