/**
 * The trainer's side of data parallelism: starts the replicas, splits each
 * batch across them, and returns the pixel-weighted mean of their losses,
 * metrics and gradients. The trainer then takes one optimizer step in its
 * own thread, so checkpoints, resume, early stopping, non-finite checks and
 * evaluation are those of a single-replica run.
 *
 * BatchNorm: each replica normalises its shard with the shard's own batch
 * statistics (as `nn.DataParallel`, not SyncBatchNorm), and the moving
 * statistics kept are replica 0's, as `DataParallel` keeps device 0's.
 *
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import type { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import type { SegBackendName } from '../../backends/packages.js';
import { importAtRuntime } from '../../runtime-import.js';
import type { JsonValue } from '../state.js';
import { flatLayout, type FromReplica, type ReplicaInit, type ToReplica } from './protocol.js';

/** Data-parallel replicas of a {@link Trainer} (its `workers` option). */
export interface TrainerWorkers {
  /** How many replicas; a batch smaller than this uses one per image. Required. */
  count: number;
  /**
   * URL or path of an ES module whose default export
   * `(args, { index }) => { model, loss, metrics? }` (may be async) builds the
   * trainer's model and loss again in replica `index`; `metrics` is required
   * when the trainer has metrics. It must import the same tfjs and `@seg/*`
   * packages as the trainer (published names, not sources). Required.
   */
  replica: string | URL;
  /** JSON handed to the replica module's default export. Default `null`. */
  args?: JsonValue;
  /**
   * `'cpu'`: replicas compute on CPU backends. `'gpu'`: replica `i` runs in a
   * child process on GPU `i` (`CUDA_VISIBLE_DEVICES=i` for tfjs-node-gpu,
   * `SEG_GPU_ADAPTER=i` for WebGPU). Default `'cpu'`.
   */
  devices?: 'cpu' | 'gpu';
  /**
   * Backends each replica tries, in order. Default: for `'cpu'`, the
   * trainer's backend when it is `wasm` or `cpu`, else `wasm`; for `'gpu'`,
   * `tensorflow-gpu` then `webgpu`.
   */
  backends?: SegBackendName[];
  /**
   * `'thread'` (worker threads sharing memory) or `'process'` (child
   * processes). Default: `'thread'` for `'cpu'`, `'process'` for `'gpu'`.
   */
  transport?: 'thread' | 'process';
}

/** A replica's loss, metrics and shard size, and the mean gradients of a step. */
export interface ReplicaStepResult {
  /** Pixel-weighted mean loss over shards. */
  loss: number;
  /** Pixel-weighted mean of each metric over shards. */
  metrics: Record<string, number>;
  /** Mean gradients by variable name; the caller disposes them. */
  grads: tf.NamedTensorMap;
  /** Writes replica 0's BatchNorm moving statistics into the trainer's model; called once the step is known finite. */
  applyStatistics(): void;
}

/** The transport-independent handle on one replica. */
interface Channel {
  send(msg: ToReplica): void;
  /** Ends the replica; resolves once it has exited. */
  end(): Promise<void>;
  /** Whether the replica keeps the process alive: only while the trainer waits for it. */
  ref(waiting: boolean): void;
}

interface Pending {
  resolve(m: FromReplica): void;
  reject(e: Error): void;
}

/** The images of a batch split as evenly as possible over at most `count` replicas: shard sizes. */
export function shardSizes(batch: number, count: number): number[] {
  const n = Math.min(batch, count);
  return Array.from({ length: n }, (_, i) => Math.floor(batch / n) + (i < batch % n ? 1 : 0));
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
export class ReplicaPool {
  private readonly channels: Channel[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly gradBuffers: Float32Array[] = [];
  private weightBuffer!: Float32Array;
  /** The weighted sum of the replicas' gradients, reused from step to step. */
  private meanBuffer: Float32Array | null = null;
  private readonly shapes: number[][];
  private readonly gradIndices: number[];
  private readonly statIndices: number[];
  private readonly gradLayout: { offsets: number[]; length: number };
  private readonly statLayout: { offsets: number[]; length: number };
  private readonly weightLayout: { offsets: number[]; length: number };
  private readonly transport: 'thread' | 'process';
  private starting: Promise<void> | null = null;
  /** The first failure; every later step rejects with it. */
  private failure: Error | null = null;
  /** Set by the first dispose(); later calls wait for the same exits. */
  private disposal: Promise<void> | null = null;
  /** Tensors each replica held after its last step, to spot leaks. */
  readonly replicaTensors: number[] = [];

  constructor(
    private readonly model: LayersModel,
    private readonly variables: readonly tf.Variable[],
    private readonly metricNames: string[],
    private readonly options: TrainerWorkers,
  ) {
    if (!Number.isInteger(options.count) || options.count < 1) {
      throw new Error(`Trainer: workers.count must be a positive integer, got ${options.count}`);
    }
    if (typeof process === 'undefined' || !process.versions?.node) {
      throw new Error('Trainer: workers need Node (worker threads or child processes); leave workers out in a browser');
    }
    this.transport = options.transport ?? (options.devices === 'gpu' ? 'process' : 'thread');
    const weights = model.weights;
    this.shapes = weights.map((w) => w.shape as number[]);
    const index = new Map(weights.map((w, i) => [w.read(), i]));
    this.gradIndices = variables.map((v) => {
      const i = index.get(v);
      if (i === undefined) throw new Error(`Trainer: variable ${v.name} is not a weight of the model; replicas can only train the model's own weights`);
      return i;
    });
    this.statIndices = weights.flatMap((w, i) => (w.trainable ? [] : [i]));
    this.weightLayout = flatLayout(this.shapes, weights.map((_, i) => i));
    this.gradLayout = flatLayout(this.shapes, this.gradIndices);
    this.statLayout = flatLayout(this.shapes, this.statIndices);
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
    const gradLength = this.gradLayout.length + this.statLayout.length;
    const entry = await workerEntry();
    const replicaUrl = await replicaModuleUrl(this.options.replica);
    const backends = this.options.backends ?? defaultBackends(this.options.devices ?? 'cpu');
    const shared = this.transport === 'thread';
    const weights = shared ? new SharedArrayBuffer(this.weightLayout.length * 4) : null;
    this.weightBuffer = weights ? new Float32Array(weights) : new Float32Array(this.weightLayout.length);
    const ready: Promise<FromReplica>[] = [];
    for (let i = 0; i < count; i++) {
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
        replica: replicaUrl,
        args: this.options.args ?? null,
        backends,
        weightShapes: this.shapes,
        gradIndices: this.gradIndices,
        statIndices: this.statIndices,
        metricNames: this.metricNames,
        ...(weights && grads ? { weights, grads } : {}),
      };
      this.channels[i].send(init);
    }
    await Promise.all(ready);
  }

  /** Opens replica `i` as a worker thread or a child process. */
  private async open(i: number, entry: URL): Promise<Channel> {
    const onMessage = (m: FromReplica) => {
      const p = this.pending.get(i);
      this.pending.delete(i);
      if (!p) return;
      if (m.type === 'error') p.reject(this.fail(i, m.message));
      else p.resolve(m);
    };
    const onExit = (how: string) => {
      const p = this.pending.get(i);
      this.pending.delete(i);
      const e = this.fail(i, `exited (${how}) before answering`);
      p?.reject(e);
    };
    if (this.transport === 'thread') {
      const { Worker } = (await importAtRuntime('node:worker_threads')) as typeof import('node:worker_threads');
      const worker: Worker = new Worker(entry);
      worker.on('message', onMessage);
      worker.on('error', (e) => {
        const p = this.pending.get(i);
        this.pending.delete(i);
        p?.reject(this.fail(i, e.message));
      });
      const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
      worker.on('exit', (code) => onExit(`code ${code}`));
      return {
        send: (msg) => worker.postMessage(msg),
        ref: (waiting) => (waiting ? worker.ref() : worker.unref()),
        end: async () => {
          await worker.terminate();
          await exited;
        },
      };
    }
    const { fork } = (await importAtRuntime('node:child_process')) as typeof import('node:child_process');
    const env = { ...process.env };
    if (this.options.devices === 'gpu') {
      // One device per process: tfjs-node-gpu sees only GPU i (the i-th of those this process may see), WebGPU picks adapter i.
      const cuda = process.env.CUDA_VISIBLE_DEVICES?.split(',').map((d) => d.trim()).filter((d) => d !== '');
      if (cuda && cuda.length > 0 && cuda[i] === undefined) {
        throw new Error(`Trainer: workers.count is ${this.options.count}, but CUDA_VISIBLE_DEVICES="${process.env.CUDA_VISIBLE_DEVICES}" lists ${cuda.length} GPUs; lower the count or list more GPUs`);
      }
      env.CUDA_VISIBLE_DEVICES = cuda && cuda.length > 0 ? cuda[i] : String(i);
      env.SEG_GPU_ADAPTER = String(i);
    }
    const child: ChildProcess = fork(entry, [], { serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => onMessage(m as FromReplica));
    child.on('error', (e) => {
      const p = this.pending.get(i);
      this.pending.delete(i);
      p?.reject(this.fail(i, e.message));
    });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.on('exit', (code, signal) => onExit(signal ? `signal ${signal}` : `code ${code}`));
    return {
      send: (msg) => child.send(msg),
      ref: (waiting) => {
        const channel = child.channel as { ref(): void; unref(): void } | null | undefined;
        if (waiting) {
          child.ref();
          channel?.ref();
        } else {
          child.unref();
          channel?.unref();
        }
      },
      end: async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill();
        await exited;
      },
    };
  }

  /** Records the first failure (replica index and message), ends every replica, and returns it. */
  private fail(i: number, message: string): Error {
    if (!this.failure) {
      this.failure = new Error(`Trainer: replica ${i} failed: ${message}`);
      // The others would wait for steps that never come: end them all, so nothing lingers.
      void this.dispose();
    }
    return this.failure;
  }

  /** The next answer of replica `i`; the replica keeps the process alive until then. */
  private reply(i: number): Promise<FromReplica> {
    if (this.failure) return Promise.reject(this.failure);
    const channel = this.channels[i];
    channel.ref(true);
    return new Promise<FromReplica>((resolve, reject) => this.pending.set(i, { resolve, reject })).finally(() => channel.ref(false));
  }

  /**
   * Splits the batch across the replicas and returns the pixel-weighted mean
   * loss, metrics and gradients; the replicas compute with the model's
   * current weights (BatchNorm moving statistics included).
   */
  async gradients(images: tf.Tensor4D, labels: tf.Tensor3D): Promise<ReplicaStepResult> {
    // A failure (which also disposes) names the replica; a plain dispose() says so.
    if (this.failure) throw this.failure;
    await this.start();
    await this.writeWeights();
    const sizes = shardSizes(images.shape[0], this.options.count);
    const [, h, w, c] = images.shape;
    const [imageData, labelData] = await Promise.all([images.data<'float32'>(), labels.data<'int32'>()]);
    const answers: Promise<FromReplica>[] = [];
    let start = 0;
    for (const [i, n] of sizes.entries()) {
      const answer = this.reply(i);
      this.channels[i].send({
        type: 'step',
        images: imageData.slice(start * h * w * c, (start + n) * h * w * c),
        imageShape: [n, h, w, c],
        labels: Int32Array.from(labelData.subarray(start * h * w, (start + n) * h * w)),
        labelShape: [n, h, w],
        ...(this.transport === 'process' ? { weights: this.weightBuffer } : {}),
      });
      answers.push(answer);
      start += n;
    }
    // Every shard holds whole images of one size, so pixel weights are image counts over the batch. A loss
    // that ignores some pixels (an ignore index) averages over the counted ones per shard; the shards are then
    // still weighted by all their pixels, as the reference run's loss, which ignores none, needs.
    const weights = sizes.map((n) => n / images.shape[0]);
    this.meanBuffer ??= new Float32Array(this.gradLayout.length);
    const mean = this.meanBuffer.fill(0);
    let loss = 0;
    const metrics: Record<string, number> = {};
    // Each answer is summed in as soon as it and those before it are in (while the slower replicas still
    // compute), always in replica order so that the sum does not depend on which finished first.
    // A failure rejects every answer (fail() ends all replicas): the first awaited reports it, the rest are let go.
    for (const answer of answers) answer.catch(() => {});
    for (const [r, answer] of answers.entries()) {
      const m = await answer;
      if (m.type !== 'done') throw this.fail(r, `answered ${m.type} to a step`);
      const g = m.grads ?? this.gradBuffers[r];
      if (m.grads && r === 0) this.gradBuffers[0].set(m.grads.subarray(this.gradLayout.length), this.gradLayout.length);
      const wr = weights[r];
      for (let k = 0; k < mean.length; k++) mean[k] += wr * g[k];
      this.replicaTensors[r] = m.tensors;
      loss += wr * m.loss;
      for (const name of this.metricNames) metrics[name] = (metrics[name] ?? 0) + wr * m.metrics[name];
    }
    const grads: tf.NamedTensorMap = {};
    for (const [j, v] of this.variables.entries()) {
      const offset = this.gradLayout.offsets[j];
      grads[v.name] = tf.tensor(mean.subarray(offset, offset + v.size), v.shape, 'float32');
    }
    return { loss, metrics, grads, applyStatistics: () => this.readStatistics() };
  }

  /** Writes every weight of the trainer's model into the flat buffer the replicas read. */
  private async writeWeights(): Promise<void> {
    const values = await Promise.all(this.model.weights.map((w) => w.read().data<'float32'>()));
    for (const [i, v] of values.entries()) this.weightBuffer.set(v, this.weightLayout.offsets[i]);
  }

  /** Takes replica 0's moving statistics into the trainer's model. */
  private readStatistics(): void {
    const stats = this.gradBuffers[0];
    const weights = this.model.weights;
    for (const [j, i] of this.statIndices.entries()) {
      const offset = this.gradLayout.length + this.statLayout.offsets[j];
      const w = weights[i];
      const { shape, size } = w.read();
      const t = tf.tensor(stats.slice(offset, offset + size), shape, 'float32');
      w.write(t);
      t.dispose();
    }
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

function defaultBackends(devices: 'cpu' | 'gpu'): SegBackendName[] {
  if (devices === 'gpu') return ['tensorflow-gpu', 'webgpu'];
  const current = tf.getBackend();
  return current === 'cpu' ? ['cpu'] : ['wasm'];
}

/** The replica module as a URL the worker can import: a URL as given, a path resolved against the working directory. */
async function replicaModuleUrl(replica: string | URL): Promise<string> {
  if (replica instanceof URL) return replica.href;
  // A scheme of two letters or more (file:, data:); a drive letter (C:) starts a Windows path.
  if (/^[a-z][a-z0-9+.-]+:/i.test(replica)) return replica;
  const { resolve } = (await importAtRuntime('node:path')) as typeof import('node:path');
  const { pathToFileURL } = (await importAtRuntime('node:url')) as typeof import('node:url');
  return pathToFileURL(resolve(replica)).href;
}

/** Where the build puts the replica worker, relative to @seg/core's package.json. */
const WORKER_ENTRY = 'dist/train/replicas/replica-worker.js';

/**
 * The built worker entry, in @seg/core's dist: worker threads and child
 * processes need loadable ES module JavaScript (one tfjs instance with the
 * replica module's), also when the trainer itself runs from TypeScript
 * sources (tests). Found through the package's own package.json, which the
 * CommonJS build (no `import.meta`) resolves from the working directory.
 */
async function workerEntry(): Promise<URL> {
  const { createRequire } = (await importAtRuntime('node:module')) as typeof import('node:module');
  const { dirname, join } = (await importAtRuntime('node:path')) as typeof import('node:path');
  const { existsSync } = (await importAtRuntime('node:fs')) as typeof import('node:fs');
  const { pathToFileURL } = (await importAtRuntime('node:url')) as typeof import('node:url');
  let packageJson: string;
  try {
    packageJson = createRequire(import.meta.url).resolve('@seg/core/package.json');
  } catch {
    try {
      packageJson = createRequire(`${process.cwd()}/`).resolve('@seg/core/package.json');
    } catch (e) {
      throw new Error(`Trainer: cannot find @seg/core's package.json for its replica worker (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const path = join(dirname(packageJson), WORKER_ENTRY);
  if (!existsSync(path)) throw new Error(`Trainer: the replica worker ${path} is missing; run \`pnpm build\` in packages/core`);
  return pathToFileURL(path);
}
