import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { assertGpuDeviceAlive } from '../backends/webgpu/device-lost.js';
import type { SegmentationLoss, SegmentationMetrics } from '../losses/segmentation-loss.js';
import { checkConfig } from '../run-state/config-diff.js';
import type { JsonObject, JsonValue } from '../run-state/json.js';
import type { StatefulPart } from '../run-state/stateful-part.js';
import { CallbackList } from './callbacks/callback-list.js';
import { evaluationOf, type FitContext, type FitResult, type StepLogs } from './callbacks/training-callback.js';
import { readCheckpoint, refuseOtherRun, saveCheckpoint } from './checkpoint/checkpoint.js';
import { acquireRunLock } from './checkpoint/run-lock.js';
import { RunSections } from './checkpoint/run-sections.js';
import type { GradientSource, TrainBatch } from './gradient-source.js';
import { type CheckpointAt, checkFiniteScores, checkFiniteStep, checkFiniteWeights } from './non-finite.js';
import {
  activeGroups,
  applyGroupUpdates,
  type ParameterGroup,
  resolveParameterGroups,
  syncBatchNormModes,
  trainingVariables,
} from './optimizers/parameter-groups.js';
import { ReplicaPool } from './replicas/replica-pool.js';
import { ThreadGradients } from './thread-gradients.js';
import type { FitOptions, RestoreOptions, RestoreResult, TrainerOptions } from './trainer-types.js';

/**
 * A custom training loop for segmentation models: per-group optimizers with
 * PyTorch-style L2 weight decay and freezing, periodic evaluation, atomic
 * checkpoints and callbacks. The trainer only loops: gradients come from a
 * gradient source (this thread, or data-parallel replicas with `workers`);
 * what a run decides beside stepping (early stopping, best-model saving) and
 * what it reports are callbacks; and each stateful part (the data position,
 * a stateful callback, your own) saves and restores its own checkpoint
 * section. `restore()`, then `fit()` with the same callbacks, resumes the
 * whole run exactly where it stopped. A NaN or infinite loss, gradient,
 * weight or monitored score stops training at once, before anything from
 * that iteration is applied or saved.
 *
 * With `workers`, BatchNorm normalises each replica's shard with its own
 * batch statistics, as PyTorch's `nn.DataParallel`. `model.fit()` cannot
 * express the reference run (several optimizers with their own learning
 * rates and weight decay, a frozen trunk), hence a loop of its own.
 *
 * @example
 * ```ts
 * const trainer = new Trainer({
 *   model,
 *   loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits, { ignoreIndex: 255 }),
 *   groups: [{ name: 'all', optimizer: tf.train.adam(1e-4) }],
 *   data: resumableBatches(segmentationBatches(train, { batchSize: 8, seed: 1, normalize: 'imagenet' })),
 *   seed: 1, // dropout masks drawn from the seed and the step: a resumed run draws the uninterrupted one's
 * });
 * await trainer.restore('runs/ckpt'); // null on a first run, else continues it
 * // callbacks: early stopping, the best-model saver, loggers (the same ones when resuming)
 * await trainer.fit({ steps: 20_000, checkpointDir: 'runs/ckpt', evaluateEvery: 500, evaluate, callbacks });
 * ```
 */
export class Trainer implements FitContext {
  readonly model: LayersModel;
  readonly loss: SegmentationLoss;
  readonly groups: ParameterGroup[];
  readonly metrics: SegmentationMetrics;
  readonly data?: AsyncIterable<TrainBatch>;
  readonly config?: JsonObject;
  /** Seed of the steps' random draws (dropout), if given. */
  readonly seed?: number;
  /** Optimizer steps taken so far (restored by {@link Trainer.restore}). */
  step = 0;
  private readonly gradientSource: GradientSource;
  private readonly sections: RunSections;
  /** Checkpoint folders this trainer restored from or wrote: `fit()` may replace only these. */
  private readonly ownCheckpoints = new Set<string>();
  /** The newest checkpoint written or restored, named when training stops on a non-finite value. */
  private lastCheckpoint: CheckpointAt | null = null;
  private stopping = false;

  constructor(options: TrainerOptions) {
    this.model = options.model;
    this.data = options.data;
    this.config = options.config;
    if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new Error(`Trainer: seed must be an integer, got ${options.seed}`);
    this.seed = options.seed;
    this.loss = options.loss;
    this.metrics = options.metrics ?? {};
    this.groups = resolveParameterGroups(options.model, options.groups ?? [{ name: 'all' }]);
    const variables = activeGroups(this.groups).flatMap((g) => g.variables);
    if (variables.length === 0) throw new Error('Trainer: every parameter group is frozen or empty; nothing would train');
    const data = options.data && 'stateKey' in options.data ? (options.data as StatefulPart) : undefined;
    this.sections = new RunSections([data, ...(options.parts ?? [])]);
    if (options.gradientSource && options.workers) throw new Error('Trainer: pass either gradientSource or workers, not both');
    this.gradientSource =
      options.gradientSource ??
      (options.workers
        ? new ReplicaPool(options.model, variables, Object.keys(this.metrics), options.workers)
        : new ThreadGradients(options.model, options.loss, this.metrics, () => trainingVariables(this.groups, this.step)));
  }

  /** Starts the replicas of `workers` and waits until each has built its model (the first step does this anyway). */
  async startWorkers(): Promise<void> {
    await this.gradientSource.start();
  }

  /**
   * Ends the replicas of `workers` (a step waiting on them rejects) and frees the optimizers' state and
   * restored state no `fit()` took; resolves once the replicas have exited. The model stays the caller's.
   */
  async dispose(): Promise<void> {
    await this.gradientSource.dispose();
    for (const g of this.groups) g.optimizer.dispose();
    this.sections.dispose();
  }

  /** Tensors each replica held after its last step (`[]` without workers or before the first step), to spot leaks. */
  get replicaTensors(): readonly number[] {
    return this.gradientSource instanceof ReplicaPool ? this.gradientSource.replicaTensors : [];
  }

  /** Whether the running `fit()` ends after the current step. */
  get stopRequested(): boolean {
    return this.stopping;
  }

  /** Ends the running `fit()` after the current step (as Keras's `model.stopTraining`), as an early stop. */
  requestStop(): void {
    this.stopping = true;
  }

  /** Runs one optimizer step on a batch (which the caller still owns) and reports the loss and metrics before the step. */
  async trainStep(batch: TrainBatch): Promise<StepLogs> {
    // A lost GPU would otherwise leave the run waiting on reads that never settle.
    assertGpuDeviceAlive();
    const seed = this.seed === undefined ? undefined : { seed: this.seed, step: this.step + 1 };
    // Frozen groups' batch norms run in inference mode (freezeBN), and a group's frozen phase ends at its step.
    syncBatchNormModes(this.groups, this.step);
    const { loss, metrics, grads, commit } = await this.gradientSource.gradients(batch, seed);
    try {
      await checkFiniteStep(this.step + 1, batch.images, loss, Object.values(grads), this.lastCheckpoint);
      applyGroupUpdates(this.groups, grads, this.step);
      commit();
      this.step += 1;
      return { step: this.step, loss, metrics };
    } finally {
      tf.dispose(Object.values(grads));
    }
  }

  /** Trains on the trainer's `data` until `options.steps`, evaluating, checkpointing and calling the callbacks as configured. */
  async fit(options: FitOptions): Promise<FitResult> {
    const data = this.data;
    if (!data) throw new Error('Trainer.fit: no training batches; pass `data` to new Trainer()');
    const callbacks = new CallbackList(options.callbacks ?? [], this);
    const evaluateEvery = options.evaluateEvery ?? 0;
    const checkpointEvery = options.checkpointEvery ?? evaluateEvery;
    let lastScores: Record<string, number> | undefined;
    this.stopping = false;
    const evaluate = async (last: boolean): Promise<void> => {
      if (!options.evaluate) return;
      await checkFiniteWeights(this.model.weights.map((w) => w.read()), this.step, this.lastCheckpoint);
      const evaluation = evaluationOf(await options.evaluate(), this.step, last);
      checkFiniteScores(evaluation.scores, callbacks.monitors, this.step, this.lastCheckpoint);
      lastScores = evaluation.scores;
      await callbacks.call('onEvaluate', evaluation);
    };
    const checkpoint = async (): Promise<void> => {
      if (!options.checkpointDir) return;
      await checkFiniteWeights(this.model.weights.map((w) => w.read()), this.step, this.lastCheckpoint);
      await this.save(options.checkpointDir, options.checkpointState?.());
      await callbacks.call('onCheckpoint', { dir: options.checkpointDir, step: this.step });
    };
    const lock = options.checkpointDir ? await acquireRunLock(`${options.checkpointDir}.lock`) : null;
    try {
      // Only a checkpoint this trainer restored or wrote may be replaced.
      if (options.checkpointDir && !this.ownCheckpoints.has(options.checkpointDir)) await refuseOtherRun(options.checkpointDir);
      this.sections.bind(callbacks.stateful);
      await callbacks.call('onFitStart', this.step);
      if (this.step < options.steps) {
        for await (const batch of data) {
          let logs: StepLogs;
          try {
            logs = await this.trainStep(batch);
          } finally {
            tf.dispose([batch.images, batch.labels]);
          }
          await callbacks.call('onStepEnd', logs);
          const done = this.step >= options.steps;
          if (evaluateEvery > 0 && this.step % evaluateEvery === 0 && !done) await evaluate(false);
          if (checkpointEvery > 0 && this.step % checkpointEvery === 0 && !done && !this.stopping) await checkpoint();
          if (done || this.stopping) break;
        }
      }
      if (!this.stopping) await evaluate(true);
      await callbacks.call('onTrainEnd', undefined);
      await checkpoint();
      const result: FitResult = { step: this.step, stoppedEarly: this.stopping, lastScores };
      await callbacks.call('onFitEnd', { result });
      return result;
    } catch (error) {
      await callbacks.call('onFitEnd', { error });
      throw error;
    } finally {
      await lock?.release();
    }
  }

  /**
   * Writes a checkpoint of the whole run to `dir`, atomically: weights, every optimizer, the step, each
   * stateful part's and stateful callback's section (and tensors, e.g. early stopping's best weights), the
   * configuration and `user` state.
   */
  async save(dir: string, user?: JsonValue): Promise<void> {
    const { sections, partWeights } = this.sections.snapshot();
    if (user !== undefined) sections.user = user;
    await saveCheckpoint(dir, this.model, this.groups, { step: this.step, config: this.config ?? null, sections, partWeights });
    this.ownCheckpoints.add(dir);
    this.lastCheckpoint = { dir, step: this.step };
  }

  /**
   * Resumes the whole run from the checkpoint for `dir`, if there is one:
   * weights, optimizer states, step and the state of every stateful part.
   * Every file and section is checked first, and the configuration compared;
   * nothing is assigned unless all of it fits. The stateful callbacks'
   * sections are given to them when `fit()` starts, which checks them all
   * against its callbacks first.
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
    this.sections.check(state.sections, source);
    // Everything is read and checked; only now is anything assigned.
    const partWeights = await read.assign();
    this.step = state.sections.trainer.step;
    this.sections.restore(state.sections, partWeights, source);
    this.ownCheckpoints.add(dir);
    this.lastCheckpoint = { dir: read.dir, step: this.step };
    return { dir: read.dir, step: this.step, user: (state.sections.user as JsonValue | undefined) ?? null, configChanges };
  }
}
