import { availableParallelism } from 'node:os';
import { BACKEND_PACKAGES, replicaDeviceEnvironment, type SegBackendName, visibleGpus } from '@seg/core';
import { type Channel, type ChannelEnd, isSegBackendName, openProcess, visibleCudaDevices } from '@seg/core/internals';
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
  workers?: number;
  /** @deprecated Renamed `workers`, the name of this knob everywhere in @seg. */
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

/** A started worker: its channel, and where its messages and its death go from now on. */
interface Started {
  channel: Channel<ToPoolWorker>;
  backend: string;
  listen(message: (m: FromPoolWorker) => void, failure: (reason: string) => void): void;
}

interface Slot {
  channel: Channel<ToPoolWorker>;
  pending: Map<number, Request>;
}

/** What a backend computes on (`BACKEND_PACKAGES`); a name it does not know counts as one CPU thread. */
function computesOn(backend: string) {
  return isSegBackendName(backend) ? BACKEND_PACKAGES[backend].computesOn : 'one-cpu-thread';
}

/** The environment of worker `index` of `workers`: on a GPU backend it sees GPU `index` only. */
function workerEnv(index: number, workers: number, backend: string): NodeJS.ProcessEnv {
  return computesOn(backend) === 'gpu' ? replicaDeviceEnvironment(index, workers) : process.env;
}

/** The default number of workers on `backend` (see {@link SegmentPoolOptions.workers}). */
async function defaultSize(backend: string): Promise<number> {
  const on = computesOn(backend);
  if (on === 'gpu') return Math.max(1, (await visibleGpus(backend)).gpus.length);
  return on === 'one-cpu-thread' ? availableParallelism() : 1;
}

/** Starts worker `i` (through core's child-process channel) and waits until it has its backend (`undefined`: the best it finds). */
async function spawnWorker(entry: string, i: number, backend: string | undefined, env: NodeJS.ProcessEnv): Promise<Started> {
  let onMessage: (m: FromPoolWorker) => void = () => {};
  let onFailure: (reason: string) => void = () => {};
  const channel = await openProcess<FromPoolWorker, ToPoolWorker>(entry, { env }, { message: (m) => onMessage(m), failure: (r) => onFailure(r) });
  const listen: Started['listen'] = (message, failure) => {
    onMessage = message;
    onFailure = failure;
  };
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      void channel.end('kill');
      reject(new Error(`segmentation worker ${i} did not start: ${why}`));
    };
    listen((msg) => {
      if (msg.type === 'ready') resolve({ channel, backend: msg.backend, listen });
      else fail(msg.type === 'init-failed' ? msg.error.message : `it answered ${msg.type}`);
    }, fail);
    channel.send({ type: 'init', backend });
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
    readonly workers: number,
  ) {}

  /** @deprecated Renamed {@link SegmentPool.workers}. */
  get size(): number {
    return this.workers;
  }

  /**
   * Starts the workers. Without a `backend`, the first one selects it (which
   * sets the default number of workers) before the others start.
   *
   * @throws If a worker cannot start (the message says why), `workers` is not a
   *   positive integer, or a GPU backend is asked for more workers than `CUDA_VISIBLE_DEVICES` lists GPUs.
   */
  static async start(options: SegmentPoolOptions = {}): Promise<SegmentPool> {
    const asked = options.workers ?? options.size;
    if (asked !== undefined && !(Number.isInteger(asked) && asked >= 1)) {
      throw new Error(`SegmentPool: workers must be a positive integer, got ${asked}`);
    }
    const entry = await poolWorkerEntry();
    let probe = options.backend === undefined ? await spawnWorker(entry, 0, undefined, process.env) : undefined;
    const backend = options.backend ?? probe!.backend;
    const workers = asked ?? (await defaultSize(backend));
    const cuda = visibleCudaDevices();
    if (computesOn(backend) === 'gpu' && cuda !== undefined && workers > cuda.length) {
      void probe?.channel.end('kill');
      throw new Error(`SegmentPool: ${workers} workers on ${backend} need a GPU each, but CUDA_VISIBLE_DEVICES="${process.env.CUDA_VISIBLE_DEVICES}" lists ${cuda.length}; use at most ${cuda.length}`);
    }
    if (probe && computesOn(backend) === 'gpu' && workers > 1) {
      // The probe sees every GPU (libtensorflow would hold memory on all of them); worker 0 must see GPU 0 only.
      void probe.channel.end('kill');
      probe = undefined;
    }
    const pool = new SegmentPool(entry, backend, workers);
    try {
      await Promise.all(
        Array.from({ length: workers }, async (_, i) => {
          const worker = i === 0 && probe ? probe : await spawnWorker(entry, i, backend, workerEnv(i, workers, backend));
          // Another worker failed meanwhile and the pool was ended: this one must not outlive it.
          if (pool.closing) void worker.channel.end('kill');
          else pool.adopt(i, worker);
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
    return this.workers * IMAGES_IN_FLIGHT_PER_WORKER;
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

  private adopt(i: number, worker: Started): void {
    const slot: Slot = { channel: worker.channel, pending: new Map() };
    this.slots[i] = slot;
    worker.listen(
      (msg) => {
        if (msg.type !== 'done' && msg.type !== 'failed') return;
        const request = slot.pending.get(msg.id);
        slot.pending.delete(msg.id);
        if (msg.type === 'done') request?.resolve(msg.outcome);
        else request?.reject(errorFromInfo(msg.error));
        this.pump();
      },
      (reason) => {
        this.drop(i, slot, reason);
        if (!this.closing && !this.failure) this.replace(i);
        this.pump();
      },
    );
  }

  /** Takes a worker out of the pool, failing the images it held. */
  private drop(i: number, slot: Slot, reason: string): void {
    if (this.slots[i] === slot) this.slots[i] = null;
    for (const request of slot.pending.values()) {
      request.reject(new WorkerCrashError(`segmentation worker ${i} (pid ${slot.channel.pid}) ${reason} while segmenting ${request.task.input}`));
    }
    slot.pending.clear();
  }

  private replace(i: number): void {
    spawnWorker(this.entry, i, this.backend, workerEnv(i, this.workers, this.backend)).then(
      (w) => {
        if (this.closing || this.failure) void w.channel.end('kill');
        else this.adopt(i, w);
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
      best.channel.send({ type: 'task', id, model: request.model, task: request.task, settings: request.settings });
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
      await this.endAll('disconnect');
    })();
    return this.closing;
  }

  /** Ends every worker now; images in flight fail. */
  async terminate(): Promise<void> {
    this.closing ??= Promise.resolve();
    await this.endAll('kill');
  }

  private async endAll(how: ChannelEnd): Promise<void> {
    const ending = this.slots.flatMap((slot, i) => {
      if (!slot) return [];
      // An ended channel reports no failure: the images it held fail here.
      this.drop(i, slot, 'was ended');
      return [slot.channel.end(how)];
    });
    await Promise.all(ending);
  }
}
