import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { SegmentationSample } from '@seg/core';
import { builtEntry } from '@seg/core/internals';
import { DatasetFileError, type DatasetOptions } from '../dataset.js';
import type { ListedSample } from '../formats/format-layout.js';
import { ImageFileError } from '../image/image-file-error.js';
import type { DecodeReply, DecodeRequest } from './messages.js';

/** Where the build puts the worker, relative to @seg/datasets' package.json. */
const WORKER_ENTRY = 'dist/decode-pool/decode-worker.js';

/** The default number of decode workers: one per core, at most 4 (libuv's default thread pool, which their native decoders share). */
export const DEFAULT_DECODE_WORKERS = Math.min(4, availableParallelism());

interface Pending {
  resolve(sample: SegmentationSample): void;
  reject(error: Error): void;
}

/** The error a worker reported, rebuilt with its class so callers can tell the kinds apart. */
function rebuild(error: Extract<DecodeReply, { error: unknown }>['error']): Error {
  if (error.kind && error.file) return new DatasetFileError(error.kind, error.file, error.message);
  if (error.path && error.reason !== undefined) return new ImageFileError(error.path, error.reason);
  return new Error(error.message);
}

/**
 * Worker threads that read samples, started on the first request. A worker
 * keeps the process alive only while it holds work, so an idle pool never
 * stops a program from exiting.
 */
export class DecodePool {
  private workers: Promise<Worker[]> | undefined;
  private readonly pending = new Map<number, Pending>();
  private readonly load = new Map<Worker, number>();
  private nextJob = 0;

  constructor(
    private readonly root: string,
    private readonly options: DatasetOptions,
    private readonly size: number,
  ) {}

  /** Reads `sample` on the least busy worker. */
  async read(sample: ListedSample): Promise<SegmentationSample> {
    const workers = await this.start();
    const worker = workers.reduce((a, b) => ((this.load.get(a) ?? 0) <= (this.load.get(b) ?? 0) ? a : b));
    const job = this.nextJob++;
    const request: DecodeRequest = { job, root: this.root, options: this.options, sample };
    return new Promise((resolve, reject) => {
      this.pending.set(job, {
        resolve: (s) => this.settle(worker, () => resolve(s)),
        reject: (e) => this.settle(worker, () => reject(e)),
      });
      this.load.set(worker, (this.load.get(worker) ?? 0) + 1);
      worker.ref();
      worker.postMessage(request);
    });
  }

  private settle(worker: Worker, done: () => void) {
    const left = (this.load.get(worker) ?? 1) - 1;
    this.load.set(worker, left);
    if (left === 0) worker.unref();
    done();
  }

  private start(): Promise<Worker[]> {
    this.workers ??= builtEntry('@seg/datasets', WORKER_ENTRY, typeof import.meta.url === 'string' ? import.meta.url : undefined, 'the dataset decode worker').then(
      (entry) => Array.from({ length: this.size }, () => this.spawn(entry)),
    );
    return this.workers;
  }

  private spawn(entry: string): Worker {
    const worker = new Worker(entry);
    worker.unref();
    worker.on('message', (reply: DecodeReply) => {
      const pending = this.pending.get(reply.job);
      this.pending.delete(reply.job);
      if (!pending) return;
      if ('error' in reply) pending.reject(rebuild(reply.error));
      else pending.resolve({ id: reply.id, image: { data: reply.data, width: reply.width, height: reply.height }, labels: reply.labels });
    });
    worker.on('error', (e) => {
      // A crashed worker fails everything waiting; the next read starts a fresh pool.
      for (const [job, p] of this.pending) {
        this.pending.delete(job);
        p.reject(new Error(`dataset decode worker failed: ${e.message}`));
      }
      this.workers = undefined;
    });
    return worker;
  }
}
