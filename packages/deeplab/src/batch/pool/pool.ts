import { type ChildProcess, fork } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { BACKEND_PACKAGES, isSegBackendName, replicaDeviceEnvironment, type SegBackendName, visibleCudaDevices, visibleGpus } from '@seg/core';
import { errorFromInfo, WorkerCrashError } from '../errors.js';
import type { ImageOutcome, ImageTask, SegmentSettings } from '../image-job.js';
import type { FromPoolWorker, ToPoolWorker } from './protocol.js';
import { poolWorkerEntry } from './worker-entry.js';

/** Images in flight per worker process: the next one decodes while the model runs on the current one. */
export const IMAGES_IN_FLIGHT_PER_WORKER = 2;

/** Options of {@link SegmentPool.start}. */
export interface SegmentPoolOptions {
  /**
   * Worker processes, each with its own copy of every model it uses. Default:
   * one per CPU core on backends that compute on one thread (`wasm`, `cpu`),
   * one per GPU on GPU backends (worker `i` on GPU `i`), one on `tensorflow`
   * (libtensorflow uses every core itself).
   */
  size?: number;
  /** tfjs backend of every worker. Default: the best one that works here (`selectBackend`'s order). */
  backend?: SegBackendName;
}

interface Request {
  model: string;
  task: ImageTask;
  settings: SegmentSettings;
  resolve(outcome: ImageOutcome): void;
  reject(e: Error): void;
}

interface Slot {
  child: ChildProcess;
  pending: Map<number, Request>;
  exited: Promise<void>;
}

/** What a backend computes on (`BACKEND_PACKAGES`); a name it does not know counts as one CPU thread. */
function computesOn(backend: string) {
  return isSegBackendName(backend) ? BACKEND_PACKAGES[backend].computesOn : 'one-cpu-thread';
}

/** The environment of worker `index` of `size`: on a GPU backend it sees GPU `index` only. */
function workerEnv(index: number, size: number, backend: string): NodeJS.ProcessEnv {
  return computesOn(backend) === 'gpu' ? replicaDeviceEnvironment(index, size) : process.env;
}

/** The default number of workers on `backend` (see {@link SegmentPoolOptions.size}). */
async function defaultSize(backend: string): Promise<number> {
  const on = computesOn(backend);
  if (on === 'gpu') return Math.max(1, (await visibleGpus(backend)).gpus.length);
  return on === 'one-cpu-thread' ? availableParallelism() : 1;
}

/** Starts worker `i` and waits until it has its backend (`undefined`: the best it finds). */
async function spawnWorker(
  entry: string,
  i: number,
  backend: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; backend: string }> {
  const child = fork(entry, [], { serialization: 'advanced', env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      child.kill('SIGKILL');
      reject(new Error(`segmentation worker ${i} did not start: ${why}`));
    };
    child.once('error', (e) => fail(e.message));
    child.once('exit', (code, signal) => fail(`it exited (${signal ?? `code ${code}`})`));
    child.once('message', (msg: FromPoolWorker) => {
      child.removeAllListeners('exit');
      child.removeAllListeners('error');
      if (msg.type === 'ready') resolve({ child, backend: msg.backend });
      else fail(msg.type === 'init-failed' ? msg.error.message : `it answered ${msg.type}`);
    });
    child.send({ type: 'init', backend } satisfies ToPoolWorker);
  });
}

/**
 * Worker processes that segment image files, each with its models loaded once
 * and kept. A worker that dies fails the images it held with a
 * {@link WorkerCrashError} and is replaced.
 */
export class SegmentPool {
  private readonly slots: (Slot | null)[] = [];
  private readonly queue: Request[] = [];
  private nextId = 0;
  private failure: Error | null = null;
  private closing: Promise<void> | null = null;
  private idleWaiters: (() => void)[] = [];

  private constructor(
    private readonly entry: string,
    /** The tfjs backend the workers run on. */
    readonly backend: string,
    /** Worker processes. */
    readonly size: number,
  ) {}

  /**
   * Starts the workers. Without a `backend`, the first one selects it (which
   * sets the default size) before the others start.
   *
   * @throws If a worker cannot start (the message says why), `size` is not a
   *   positive integer, or a GPU backend is asked for more workers than `CUDA_VISIBLE_DEVICES` lists GPUs.
   */
  static async start(options: SegmentPoolOptions = {}): Promise<SegmentPool> {
    if (options.size !== undefined && !(Number.isInteger(options.size) && options.size >= 1)) {
      throw new Error(`SegmentPool: size must be a positive integer, got ${options.size}`);
    }
    const entry = await poolWorkerEntry();
    let probe = options.backend === undefined ? await spawnWorker(entry, 0, undefined, process.env) : undefined;
    const backend = options.backend ?? probe!.backend;
    const size = options.size ?? (await defaultSize(backend));
    const cuda = visibleCudaDevices();
    if (computesOn(backend) === 'gpu' && cuda !== undefined && size > cuda.length) {
      probe?.child.kill('SIGKILL');
      throw new Error(`SegmentPool: ${size} workers on ${backend} need a GPU each, but CUDA_VISIBLE_DEVICES="${process.env.CUDA_VISIBLE_DEVICES}" lists ${cuda.length}; use at most ${cuda.length}`);
    }
    if (probe && computesOn(backend) === 'gpu' && size > 1) {
      // The probe sees every GPU (libtensorflow would hold memory on all of them); worker 0 must see GPU 0 only.
      probe.child.kill('SIGKILL');
      probe = undefined;
    }
    const pool = new SegmentPool(entry, backend, size);
    try {
      await Promise.all(
        Array.from({ length: size }, async (_, i) => {
          const worker = i === 0 && probe ? probe : await spawnWorker(entry, i, backend, workerEnv(i, size, backend));
          // Another worker failed meanwhile and the pool was ended: this one must not outlive it.
          if (pool.closing) worker.child.kill('SIGKILL');
          else pool.adopt(i, worker.child);
        }),
      );
    } catch (e) {
      await pool.terminate();
      throw e;
    }
    return pool;
  }

  /** Images the pool works on at once: two per worker (the next image decodes while the model runs). */
  get capacity(): number {
    return this.size * IMAGES_IN_FLIGHT_PER_WORKER;
  }

  /** Segments one image file in the next free worker; resolves when its outputs are written. */
  run(model: string, task: ImageTask, settings: SegmentSettings): Promise<ImageOutcome> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.closing) return Promise.reject(new Error('SegmentPool: closed; start a new pool'));
    return new Promise((resolve, reject) => {
      this.queue.push({ model, task, settings, resolve, reject });
      this.pump();
    });
  }

  private adopt(i: number, child: ChildProcess): void {
    const slot: Slot = { child, pending: new Map(), exited: new Promise((resolve) => child.once('exit', () => resolve())) };
    this.slots[i] = slot;
    child.on('message', (msg: FromPoolWorker) => {
      if (msg.type !== 'done' && msg.type !== 'failed') return;
      const request = slot.pending.get(msg.id);
      slot.pending.delete(msg.id);
      if (msg.type === 'done') request?.resolve(msg.outcome);
      else request?.reject(errorFromInfo(msg.error));
      this.pump();
    });
    child.on('exit', (code, signal) => {
      if (this.slots[i] === slot) this.slots[i] = null;
      const how = signal ?? `code ${code}`;
      for (const request of slot.pending.values()) {
        request.reject(new WorkerCrashError(`segmentation worker ${i} (pid ${child.pid}) exited (${how}) while segmenting ${request.task.input}`));
      }
      slot.pending.clear();
      if (!this.closing && !this.failure) this.replace(i);
      this.pump();
    });
  }

  private replace(i: number): void {
    spawnWorker(this.entry, i, this.backend, workerEnv(i, this.size, this.backend)).then(
      (w) => {
        if (this.closing || this.failure) w.child.kill('SIGKILL');
        else this.adopt(i, w.child);
        this.pump();
      },
      (e: Error) => this.fail(new Error(`SegmentPool: a worker died and its replacement failed: ${e.message}`)),
    );
  }

  private fail(e: Error): void {
    this.failure ??= e;
    for (const request of this.queue.splice(0)) request.reject(this.failure);
    void this.terminate();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let best: Slot | null = null;
      for (const slot of this.slots) {
        if (slot && slot.pending.size < IMAGES_IN_FLIGHT_PER_WORKER && (!best || slot.pending.size < best.pending.size)) best = slot;
      }
      if (!best) break;
      const request = this.queue.shift()!;
      const id = this.nextId++;
      best.pending.set(id, request);
      best.child.send({ type: 'task', id, model: request.model, task: request.task, settings: request.settings } satisfies ToPoolWorker);
    }
    if (this.queue.length === 0 && this.slots.every((s) => !s || s.pending.size === 0)) {
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** Finishes the images already handed in, then ends every worker. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const busy = this.queue.length > 0 || this.slots.some((s) => s && s.pending.size > 0);
      if (busy && !this.failure) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
      // A worker exits when its channel closes, after nothing is left in flight.
      await this.endAll((child) => child.connected && child.disconnect());
    })();
    return this.closing;
  }

  /** Ends every worker now; images in flight fail. */
  async terminate(): Promise<void> {
    this.closing ??= Promise.resolve();
    await this.endAll((child) => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  }

  private async endAll(end: (child: ChildProcess) => unknown): Promise<void> {
    const slots = this.slots.filter((s): s is Slot => s !== null);
    for (const { child } of slots) end(child);
    await Promise.all(slots.map((s) => s.exited));
  }
}
