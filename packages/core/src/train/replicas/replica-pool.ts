/**
 * The trainer's side of data parallelism, as a gradient source: starts the
 * replicas, splits each batch across them, and returns the pixel-weighted
 * mean of their losses, metrics and gradients. The trainer then takes one
 * optimizer step in its own thread, so checkpoints, resume, early stopping,
 * non-finite checks and evaluation are those of a single-replica run.
 *
 * A replica that fails to start, throws, exits, is killed or does not answer
 * in time makes the step reject naming it and why; every replica is then
 * ended, and this process stays alive until they are gone.
 *
 * BatchNorm: each replica normalises its shard with the shard's own batch
 * statistics (as `nn.DataParallel`, not SyncBatchNorm), and the moving
 * statistics kept are replica 0's, as `DataParallel` keeps device 0's.
 *
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { BACKEND_PACKAGES, type SegBackendName } from '../../backends/packages.js';
import { NODE_BACKEND_ORDER } from '../../backends/select.js';
import { batchNormLayers, isBatchNormFrozen } from '../../backprop/frozen-batch-norm.js';
import type { GradientSource, StepGradients, TrainBatch } from '../gradient-source.js';
import { type StepSeed, stepRandom } from '../step-gradients.js';
import { replicaDeviceEnvironment } from './devices.js';
import { type FlatLayout, flatLayout, readFlat, writeFlat } from './flat-weights.js';
import type { FromReplica, ReplicaInit, ToReplica } from './protocol.js';
import { replicaModuleUrl, workerEntry } from './replica-module.js';
import { addWeighted, shardSizes, shardWeights } from './shards.js';
import { type Channel, openProcess, openThread } from '../../io/child-channel.js';
import { replicaTimeoutMs, type TrainerWorkers } from './workers.js';

interface Pending {
  resolve(m: FromReplica): void;
  reject(e: Error): void;
}

/** Live pools, ended when the process exits so no child process outlives the trainer. */
const live = new Set<ReplicaPool>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    // Only synchronous work runs at exit: the kill signals go out, their exits are not awaited.
    for (const pool of live) void pool.dispose();
  });
}

/** Replicas of a model, each a worker thread or child process. */
export class ReplicaPool implements GradientSource {
  private readonly channels: Channel<ToReplica>[] = [];
  private readonly pending = new Map<number, Pending>();
  /** Per replica: its gradients (then, replica 0 only, its moving statistics), flat. */
  private readonly gradBuffers: Float32Array[] = [];
  private weightBuffer!: Float32Array;
  /** The weighted sum of the replicas' gradients, reused from step to step. */
  private meanBuffer: Float32Array | null = null;
  private readonly shapes: number[][];
  private readonly weights: FlatLayout;
  private readonly grads: FlatLayout;
  private readonly stats: FlatLayout;
  private readonly transport: 'thread' | 'process';
  private starting: Promise<void> | null = null;
  /** The first failure; every later step rejects with it. */
  private failure: Error | null = null;
  /** Set by the first dispose(); later calls wait for the same exits. */
  private disposal: Promise<void> | null = null;
  /** The slowest step so far, for the default timeout. */
  private slowestStepMs = 0;
  /** Tensors each replica held after its last step, to spot leaks. */
  readonly replicaTensors: number[] = [];

  /** The model's batch-norm layers, found once: each step tells the replicas which of them are frozen. */
  private batchNorms?: ReturnType<typeof batchNormLayers>;
  constructor(
    private readonly model: LayersModel,
    private readonly variables: readonly tf.Variable[],
    private readonly metricNames: string[],
    private readonly options: TrainerWorkers,
  ) {
    if (!Number.isInteger(options.count) || options.count < 1) {
      throw new Error(`Trainer: workers.count must be a positive integer, got ${options.count}`);
    }
    if (options.stepTimeoutMs !== undefined && !(options.stepTimeoutMs > 0)) {
      throw new Error(`Trainer: workers.stepTimeoutMs must be a positive number of milliseconds, got ${options.stepTimeoutMs}`);
    }
    if (typeof process === 'undefined' || !process.versions?.node) {
      throw new Error('Trainer: workers need Node (worker threads or child processes); leave workers out in a browser');
    }
    this.transport = options.transport ?? (options.devices === 'gpu' ? 'process' : 'thread');
    const weights = model.weights;
    this.shapes = weights.map((w) => w.shape as number[]);
    const index = new Map(weights.map((w, i) => [w.read(), i]));
    const gradIndices = variables.map((v) => {
      const i = index.get(v);
      if (i === undefined) throw new Error(`Trainer: variable ${v.name} is not a weight of the model; replicas can only train the model's own weights`);
      return i;
    });
    this.weights = flatLayout(this.shapes, weights.map((_, i) => i));
    this.grads = flatLayout(this.shapes, gradIndices);
    this.stats = flatLayout(this.shapes, weights.flatMap((w, i) => (w.trainable ? [] : [i])));
  }

  /** Starts every replica (once) and waits until each has built its model. */
  start(): Promise<void> {
    this.starting ??= this.startAll().catch(async (e: Error) => {
      // Whatever failed (a replica, or opening one), none of those already started may linger.
      this.failure ??= e;
      await this.dispose();
      throw this.failure;
    });
    return this.starting;
  }

  private async startAll(): Promise<void> {
    live.add(this);
    installExitHook();
    const { count } = this.options;
    const entry = await workerEntry();
    const replica = await replicaModuleUrl(this.options.replica);
    const backends = this.options.backends ?? defaultBackends(this.options.devices ?? 'cpu');
    const shared = this.transport === 'thread';
    const weights = shared ? new SharedArrayBuffer(this.weights.length * 4) : null;
    this.weightBuffer = weights ? new Float32Array(weights) : new Float32Array(this.weights.length);
    const ready: Promise<FromReplica>[] = [];
    for (let i = 0; i < count; i++) {
      const gradLength = this.grads.length + this.stats.length;
      const grads = shared ? new SharedArrayBuffer(gradLength * 4) : null;
      this.gradBuffers.push(grads ? new Float32Array(grads) : new Float32Array(gradLength));
      const channel = await this.open(i, entry);
      if (this.disposal) {
        // Disposed (or failed) while this one was opening: the list dispose() ended did not hold it.
        await channel.end();
        throw this.failure;
      }
      this.channels.push(channel);
      // Waiting before sending: an answer arriving while the next replica opens is not lost.
      const answer = this.reply(i);
      // Rejected when another replica fails first; that failure is the one reported.
      answer.catch(() => {});
      ready.push(answer);
      const init: ReplicaInit = {
        type: 'init',
        index: i,
        replica,
        args: this.options.args ?? null,
        backends,
        weightShapes: this.shapes,
        gradIndices: [...this.grads.indices],
        statIndices: [...this.stats.indices],
        metricNames: this.metricNames,
        ...(weights && grads ? { weights, grads } : {}),
      };
      channel.send(init);
    }
    await Promise.all(ready);
  }

  /** Opens replica `i` as a worker thread or a child process on its device. */
  private open(i: number, entry: URL): Promise<Channel<ToReplica>> {
    const events = {
      message: (m: FromReplica) => {
        const p = this.pending.get(i);
        this.pending.delete(i);
        if (!p) return;
        if (m.type === 'error') p.reject(this.fail(i, m.message));
        else p.resolve(m);
      },
      failure: (reason: string) => {
        const e = this.fail(i, reason);
        this.pending.get(i)?.reject(e);
        this.pending.delete(i);
      },
    };
    if (this.transport === 'thread') return openThread<FromReplica, ToReplica>(entry, events);
    const env = this.options.devices === 'gpu' ? replicaDeviceEnvironment(i, this.options.count) : process.env;
    return openProcess<FromReplica, ToReplica>(entry, { env }, events);
  }

  /** Records the first failure (replica index and cause), ends every replica, and returns it. */
  private fail(i: number, cause: string): Error {
    if (!this.failure) {
      this.failure = new Error(`Trainer: replica ${i} failed: ${cause}`);
      // The others would wait for steps that never come: end them all, so nothing lingers.
      void this.dispose();
    }
    return this.failure;
  }

  /** The next answer of replica `i`, within the timeout; the replica keeps the process alive until then. */
  private reply(i: number): Promise<FromReplica> {
    if (this.failure) return Promise.reject(this.failure);
    const channel = this.channels[i];
    if (channel.dead !== null) return Promise.reject(this.fail(i, channel.dead));
    const limit = replicaTimeoutMs(this.options.stepTimeoutMs, this.slowestStepMs);
    channel.ref(true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    return new Promise<FromReplica>((resolve, reject) => {
      this.pending.set(i, { resolve, reject });
      timer = setTimeout(() => {
        const slowest = this.slowestStepMs > 0 ? `; its slowest step so far took ${(this.slowestStepMs / 1000).toFixed(1)} s` : '';
        reject(this.fail(i, `did not answer within ${(limit / 1000).toFixed(0)} s (workers.stepTimeoutMs)${slowest}, so it was ended`));
      }, limit);
    }).finally(() => {
      clearTimeout(timer);
      channel.ref(false);
    });
  }

  /**
   * Splits the batch across the replicas and returns the pixel-weighted mean
   * loss, metrics and gradients; the replicas compute with the model's
   * current weights (BatchNorm moving statistics included). With `seed`,
   * replica `i` draws its dropout masks from `stepRandom(seed, i)`.
   */
  async gradients(batch: TrainBatch, seed?: StepSeed): Promise<StepGradients> {
    // A failure (which also disposes) names the replica; a plain dispose() says so.
    if (this.failure) throw this.failure;
    await this.start();
    await readFlat(this.model.weights, this.weights, this.weightBuffer);
    const { images, labels } = batch;
    const sizes = shardSizes(images.shape[0], this.options.count);
    const [, h, w, c] = images.shape;
    const [imageData, labelData] = await Promise.all([images.data<'float32'>(), labels.data<'int32'>()]);
    const started = performance.now();
    const answers: Promise<FromReplica>[] = [];
    this.batchNorms ??= batchNormLayers(this.model);
    const frozenBatchNorms = this.batchNorms.flatMap((layer, i) => (isBatchNormFrozen(layer) ? [i] : []));
    let start = 0;
    for (const [i, n] of sizes.entries()) {
      const answer = this.reply(i);
      // A failure rejects every answer (fail() ends all replicas): the first awaited reports it, the rest are let go.
      answer.catch(() => {});
      answers.push(answer);
      if (this.failure) break;
      this.channels[i].send({
        type: 'step',
        images: imageData.slice(start * h * w * c, (start + n) * h * w * c),
        imageShape: [n, h, w, c],
        labels: Int32Array.from(labelData.subarray(start * h * w, (start + n) * h * w)),
        labelShape: [n, h, w],
        frozenBatchNorms,
        ...(seed ? { random: stepRandom(seed, i).state } : {}),
        ...(this.transport === 'process' ? { weights: this.weightBuffer } : {}),
      });
      start += n;
    }
    const weights = shardWeights(sizes);
    this.meanBuffer ??= new Float32Array(this.grads.length);
    const mean = this.meanBuffer.fill(0);
    let loss = 0;
    const metrics: Record<string, number> = {};
    // Each answer is summed in as soon as it and those before it are in (while the slower replicas still
    // compute), always in replica order so that the sum does not depend on which finished first.
    for (const [r, answer] of answers.entries()) {
      const m = await answer;
      if (m.type !== 'done') throw this.fail(r, `answered ${m.type} to a step`);
      const g = m.grads ?? this.gradBuffers[r];
      if (m.grads && r === 0) this.gradBuffers[0].set(m.grads.subarray(this.grads.length), this.grads.length);
      addWeighted(mean, g, weights[r]);
      this.replicaTensors[r] = m.tensors;
      loss += weights[r] * m.loss;
      for (const name of this.metricNames) metrics[name] = (metrics[name] ?? 0) + weights[r] * m.metrics[name];
    }
    this.slowestStepMs = Math.max(this.slowestStepMs, performance.now() - started);
    const grads: tf.NamedTensorMap = {};
    for (const [j, v] of this.variables.entries()) {
      const offset = this.grads.offsets[j];
      grads[v.name] = tf.tensor(mean.subarray(offset, offset + v.size), v.shape, 'float32');
    }
    // Replica 0's moving statistics become the trainer's once the step is known finite.
    return { loss, metrics, grads, commit: () => writeFlat(this.model.weights, this.stats, this.gradBuffers[0], this.grads.length) };
  }

  /** Ends every replica (a step still waiting rejects); resolves once all have exited. */
  dispose(): Promise<void> {
    this.disposal ??= this.endAll();
    return this.disposal;
  }

  private async endAll(): Promise<void> {
    live.delete(this);
    this.failure ??= new Error('Trainer: its workers were disposed (trainer.dispose()); create a new Trainer');
    for (const [i, p] of this.pending) {
      this.pending.delete(i);
      p.reject(this.failure);
    }
    await Promise.all(this.channels.map((c) => c.end()));
  }
}

/** GPU replicas try the GPU backends in Node's order; CPU replicas the trainer's one-thread backend, else wasm. */
function defaultBackends(devices: 'cpu' | 'gpu'): SegBackendName[] {
  if (devices === 'gpu') return NODE_BACKEND_ORDER.filter((b) => BACKEND_PACKAGES[b].computesOn === 'gpu');
  const current = NODE_BACKEND_ORDER.find((b) => BACKEND_PACKAGES[b].tfjsName === tf.getBackend());
  return current !== undefined && BACKEND_PACKAGES[current].computesOn === 'one-cpu-thread' ? [current] : ['wasm'];
}
