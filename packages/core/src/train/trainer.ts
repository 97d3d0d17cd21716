import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { assertGpuDeviceAlive } from '../backends/webgpu/device-lost.js';
import { findAtomicDirectory } from '../io/atomic-files.js';
import type { SegmentationLoss, SegmentationMetrics } from '../losses/segmentation-loss.js';
import { checkConfig } from '../run-state/config-diff.js';
import type { JsonObject, JsonValue } from '../run-state/json.js';
import { RunState, type StatefulPart } from '../run-state/stateful-part.js';
import type { BestModelSaver } from './callbacks/best-model-saver.js';
import { readCheckpoint, saveCheckpoint, TRAINER_SECTIONS } from './checkpoint/checkpoint.js';
import type { EarlyStopping } from './callbacks/early-stopping.js';
import type { GradientSource, TrainBatch } from './gradient-source.js';
import { allFinite, type CheckpointAt, checkFiniteStep, NonFiniteTrainingError } from './non-finite.js';
import { activeGroups, applyGroupUpdates, type ParameterGroup, resolveParameterGroups } from './optimizers/parameter-groups.js';
import { ReplicaPool } from './replicas/replica-pool.js';
import { acquireRunLock } from './checkpoint/run-lock.js';
import { ThreadGradients } from './thread-gradients.js';
import type { Evaluation, FitArgs, FitResult, RestoreOptions, RestoreResult, StepLogs, TrainerArgs, TrainingCallback } from './trainer-types.js';

/**
 * A custom training loop for segmentation models: per-group optimizers with
 * PyTorch-style L2 weight decay and freezing, periodic evaluation, early
 * stopping, best-model saving, atomic checkpoints and callbacks. The trainer
 * only loops: gradients come from a gradient source (this thread, or
 * data-parallel replicas with `workers`), each stateful part (early stopping,
 * best-model saver, data position, your own) saves and restores its own
 * checkpoint section, and logging, progress and reports are callbacks. One
 * `restore()` resumes the whole run exactly where it stopped. A NaN or
 * infinite loss, gradient, weight or monitored score stops training at once,
 * before anything from that iteration is applied or saved.
 *
 * With `workers`, BatchNorm normalises each replica's shard with its own
 * batch statistics, as PyTorch's `nn.DataParallel`.
 *
 * `model.fit()` cannot express the reference run (several optimizers with
 * their own learning rates and weight decay, a frozen trunk), hence a loop of
 * its own.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({
 *   model,
 *   loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits, { ignoreIndex: 255 }),
 *   groups: [{ name: 'all', optimizer: tf.train.adam(1e-4) }],
 *   earlyStopping: new EarlyStopping({ monitor: 'meanIoU', patience: 10 }),
 *   data: resumableBatches(segmentationBatches(train, { batchSize: 8, seed: 1, normalize: 'imagenet' })),
 *   seed: 1, // dropout masks drawn from the seed and the step: a resumed run draws the uninterrupted one's
 * });
 * await trainer.restore('runs/ckpt'); // null on a first run, else continues it
 * await trainer.fit({ steps: 20_000, checkpointDir: 'runs/ckpt', evaluateEvery: 500, evaluate });
 * ```
 */
export class Trainer {
  readonly model: LayersModel;
  readonly loss: SegmentationLoss;
  readonly groups: ParameterGroup[];
  readonly metrics: SegmentationMetrics;
  readonly earlyStopping?: EarlyStopping;
  readonly bestModel?: BestModelSaver;
  readonly data?: StatefulPart & AsyncIterable<TrainBatch>;
  readonly config?: JsonObject;
  /** Seed of the steps' random draws (dropout), if given. */
  readonly seed?: number;
  /** Optimizer steps taken so far (restored by {@link Trainer.restore}). */
  step = 0;
  private readonly gradientSource: GradientSource;
  private readonly state: RunState;
  /** Checkpoint folders this trainer restored from or wrote: `fit()` may replace only these. */
  private readonly ownCheckpoints = new Set<string>();
  /** The newest checkpoint written or restored, named when training stops on a non-finite value. */
  private lastCheckpoint: CheckpointAt | null = null;
  private stopRequested = false;

  constructor(args: TrainerArgs) {
    this.model = args.model;
    this.earlyStopping = args.earlyStopping;
    this.bestModel = args.bestModel;
    this.data = args.data;
    this.config = args.config;
    if (args.seed !== undefined && !Number.isInteger(args.seed)) throw new Error(`Trainer: seed must be an integer, got ${args.seed}`);
    this.seed = args.seed;
    this.loss = args.loss;
    this.metrics = args.metrics ?? {};
    this.groups = resolveParameterGroups(args.model, args.groups ?? [{ name: 'all' }]);
    const variables = activeGroups(this.groups).flatMap((g) => g.variables);
    if (variables.length === 0) throw new Error('Trainer: every parameter group is frozen or empty; nothing would train');
    this.state = new RunState([this.earlyStopping, this.bestModel, this.data, ...(args.parts ?? [])], TRAINER_SECTIONS);
    this.gradientSource = args.workers
      ? new ReplicaPool(args.model, variables, Object.keys(this.metrics), args.workers)
      : new ThreadGradients(args.model, args.loss, this.metrics, variables);
  }

  /** Starts the replicas of `workers` and waits until each has built its model (the first step does this anyway). */
  async startWorkers(): Promise<void> {
    await this.gradientSource.start();
  }

  /**
   * Ends the replicas of `workers` (a step waiting on them rejects) and frees
   * the optimizers' state; resolves once the replicas have exited. The model
   * stays the caller's.
   */
  async dispose(): Promise<void> {
    await this.gradientSource.dispose();
    for (const g of this.groups) g.optimizer.dispose();
  }

  /** Tensors each replica held after its last step (`[]` without workers or before the first step), to spot leaks. */
  get replicaTensors(): readonly number[] {
    return this.gradientSource instanceof ReplicaPool ? this.gradientSource.replicaTensors : [];
  }

  /** Ends the running `fit()` after the current step (as Keras's `model.stopTraining`), as an early stop. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** Runs one optimizer step on a batch (which the caller still owns) and reports the loss and metrics before the step. */
  async trainStep(batch: TrainBatch): Promise<StepLogs> {
    // A lost GPU would otherwise leave the run waiting on reads that never settle.
    assertGpuDeviceAlive();
    const seed = this.seed === undefined ? undefined : { seed: this.seed, step: this.step + 1 };
    const { loss, metrics, grads, commit } = await this.gradientSource.gradients(batch, seed);
    try {
      await checkFiniteStep(this.step + 1, batch.images, loss, Object.values(grads), this.lastCheckpoint);
      applyGroupUpdates(this.groups, grads);
      commit();
      this.step += 1;
      return { step: this.step, loss, metrics };
    } finally {
      tf.dispose(Object.values(grads));
    }
  }

  /** Trains on `args.batches` (or the trainer's `data`) until `args.steps`, evaluating, checkpointing and stopping early as configured. */
  async fit(args: FitArgs): Promise<FitResult> {
    if (args.batches && this.data) {
      throw new Error('Trainer.fit: batches were given, but the trainer has its own `data` whose position it checkpoints; pass one of the two');
    }
    const batches = args.batches ?? this.data;
    if (!batches) throw new Error('Trainer.fit: no training batches; pass `batches` to fit() or `data` to new Trainer()');
    const callbacks = args.callbacks ?? [];
    const call = async <K extends keyof TrainingCallback>(hook: K, value: Parameters<NonNullable<TrainingCallback[K]>>[0]) => {
      for (const cb of callbacks) await (cb[hook] as ((v: typeof value) => unknown) | undefined)?.call(cb, value);
    };
    const evaluateEvery = args.evaluateEvery ?? 0;
    const checkpointEvery = args.checkpointEvery ?? evaluateEvery;
    let lastScores: Record<string, number> | undefined;
    this.stopRequested = false;
    const evaluate = async (last: boolean): Promise<void> => {
      if (!args.evaluate) return;
      await this.checkFiniteWeights();
      const scores = await args.evaluate();
      this.checkFiniteScores(scores);
      lastScores = scores;
      const evaluation: Evaluation = { step: this.step, scores, last };
      evaluation.verdict = this.earlyStopping?.update(scores, this.step, this.model);
      if (evaluation.verdict === 'stop') this.stopRequested = true;
      evaluation.bestModel = await this.bestModel?.onEvaluate(this.model, this.step, scores, last || this.stopRequested);
      await call('onEvaluate', evaluation);
    };
    const checkpoint = async (): Promise<void> => {
      if (!args.checkpointDir) return;
      await this.checkFiniteWeights();
      await this.save(args.checkpointDir, args.checkpointState?.());
      await call('onCheckpoint', { dir: args.checkpointDir, step: this.step });
    };
    const lock = args.checkpointDir ? await acquireRunLock(`${args.checkpointDir}.lock`) : null;
    try {
      if (args.checkpointDir) await this.checkNotAnotherRun(args.checkpointDir);
      await call('onFitStart', this.step);
      if (this.step < args.steps) {
        for await (const batch of batches) {
          let logs: StepLogs;
          try {
            logs = await this.trainStep(batch);
          } finally {
            tf.dispose([batch.images, batch.labels]);
          }
          await call('onStepEnd', logs);
          const done = this.step >= args.steps;
          if (evaluateEvery > 0 && this.step % evaluateEvery === 0 && !done) await evaluate(false);
          if (checkpointEvery > 0 && this.step % checkpointEvery === 0 && !done && !this.stopRequested) await checkpoint();
          if (done || this.stopRequested) break;
        }
      }
      if (!this.stopRequested) await evaluate(true);
      await checkpoint();
      this.earlyStopping?.restoreBest(this.model);
      await this.bestModel?.restoreBest(this.model);
      const result: FitResult = { step: this.step, stoppedEarly: this.stopRequested, best: this.earlyStopping?.best, lastScores };
      await call('onFitEnd', { result });
      return result;
    } catch (error) {
      await call('onFitEnd', { error });
      throw error;
    } finally {
      await lock?.release();
    }
  }

  /** Refuses to let `fit()` replace the checkpoint (complete or not) of a run this trainer did not restore. */
  private async checkNotAnotherRun(dir: string): Promise<void> {
    if (this.ownCheckpoints.has(dir)) return;
    const found = await findAtomicDirectory(dir);
    if (found === null) return;
    throw new Error(
      `Trainer.fit: ${dir} holds the checkpoint of another run (${found}); call restore('${dir}') first to continue it, ` +
        'or delete it (or choose another checkpointDir) to start a new run',
    );
  }

  /**
   * Writes a checkpoint of the whole run to `dir`, atomically: weights, every
   * optimizer, the step, early stopping's best weights, each stateful part's
   * section, the configuration and `user` state.
   */
  async save(dir: string, user?: JsonValue): Promise<void> {
    const sections = this.state.sections();
    if (user !== undefined) sections.user = user;
    await saveCheckpoint(dir, this.model, this.groups, {
      step: this.step,
      config: this.config ?? null,
      sections,
      bestWeights: this.earlyStopping?.bestWeights,
    });
    this.ownCheckpoints.add(dir);
    this.lastCheckpoint = { dir, step: this.step };
  }

  /**
   * Resumes the whole run from the checkpoint for `dir`, if there is one:
   * weights, optimizer states, step, early stopping's best weights, and the
   * state of every stateful part. Every file and section is checked first,
   * and the configuration compared; nothing is assigned unless all of it fits.
   *
   * @returns What was restored, or `null` if there is no checkpoint (no folder, or an empty one).
   * @throws {ConfigMismatchError} When the checkpoint's configuration differs in keys not allowed to change.
   * @throws Naming the file and key, when a file or section is corrupt, missing, a link out of the folder, or does not fit.
   */
  async restore(dir: string, options: RestoreOptions = {}): Promise<RestoreResult | null> {
    const read = await readCheckpoint(dir, this.model, this.groups);
    if (read === null) {
      this.ownCheckpoints.add(dir);
      return null;
    }
    const { state, stateFile } = read;
    const configChanges = checkConfig(stateFile, state.config, this.config ?? null, options.allowConfigChanges);
    const source = (key: string) => `checkpoint ${stateFile}: sections.${key}`;
    this.state.check(state.sections, source);
    // Everything is read and checked; only now is anything assigned.
    const bestWeights = await read.assign();
    this.step = state.sections.trainer.step;
    this.earlyStopping?.setBestWeights(bestWeights);
    if (!this.earlyStopping && bestWeights) tf.dispose(bestWeights);
    this.state.set(state.sections, source);
    this.ownCheckpoints.add(dir);
    this.lastCheckpoint = { dir: read.dir, step: this.step };
    return { dir: read.dir, step: this.step, user: (state.sections.user as JsonValue | undefined) ?? null, configChanges };
  }

  /** Throws before an evaluation or checkpoint if an update overflowed the weights (e.g. a huge learning rate). */
  private async checkFiniteWeights(): Promise<void> {
    if (!(await allFinite(this.model.weights.map((w) => w.read())))) {
      throw new NonFiniteTrainingError(this.step, 'weights', Number.NaN, this.lastCheckpoint);
    }
  }

  /**
   * Throws if a score the run decides by (early stopping's and the best-model
   * saver's monitors, and the loss) is NaN or infinite: weights that score so
   * must be neither the best model nor a checkpoint.
   */
  private checkFiniteScores(scores: Record<string, number>): void {
    const watched = new Set(['loss', this.earlyStopping?.monitor, this.bestModel?.monitor].filter((k): k is string => k !== undefined));
    const bad = Object.fromEntries(Object.entries(scores).filter(([k, v]) => watched.has(k) && !Number.isFinite(v)));
    if (Object.keys(bad).length > 0) throw new NonFiniteTrainingError(this.step, 'scores', Number.NaN, this.lastCheckpoint, bad);
  }
}
