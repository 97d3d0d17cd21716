import { hostname } from 'node:os';
import type { Job, Worker } from 'bullmq';
import type { SegBackendName } from '@seg/core';
import { describeError } from '../batch/errors.js';
import { SegmentPool } from '../batch/pool/pool.js';
import { connectRedis } from './connection.js';
import { checkJobData, JobRefusedError, SEGMENT_JOB_NAME } from './job-data.js';
import { checkAllowedRoots, confineJobOutputs } from './job-outputs.js';
import { loadQueuePeers } from './peers.js';
import { type QueueAddress, parseQueueUrl } from './queue-url.js';
import type { SegmentJobResult } from './watch.js';

/**
 * A job holds its lock this long without a renewal (the worker renews it
 * every half of it) before BullMQ takes it for stalled. The model runs in
 * worker processes, so the renewing event loop is never blocked by it.
 */
export const DEFAULT_LOCK_DURATION_MS = 30_000;
/** How often BullMQ looks for stalled jobs (held by a worker that died) and queues them again. */
export const DEFAULT_STALLED_INTERVAL_MS = 30_000;
/**
 * Times a job may stall (its worker killed, or cut off from Redis longer
 * than the lock) and be queued again before it fails: an image that kills
 * every worker that takes it ends as a failure instead of killing them all.
 */
export const MAX_STALLED_COUNT = 2;

/** Options of {@link startSegmentWorker}. */
export interface SegmentWorkerOptions {
  /**
   * Absolute folders runs may write to (e.g. the shared volume's output
   * folder): a job is refused unless its output folder lies inside one of
   * them. Required: anyone who can write to the Redis can add jobs.
   */
  allow: readonly string[];
  /** Worker processes, each segmenting with its own copy of the model. Default: see `SegmentPool`. */
  workers?: number;
  /** @deprecated Renamed `workers`, the name of this knob everywhere in @seg. */
  concurrency?: number;
  /** tfjs backend of the worker processes. Default: the best that works here. */
  backend?: SegBackendName;
  /**
   * Milliseconds a job holds its lock without a renewal (renewed every half of it) before BullMQ takes it
   * for stalled. Default 30 000: the model runs in worker processes, so the renewing event loop is never blocked.
   */
  lockDurationMs?: number;
  /** Milliseconds between BullMQ's looks for stalled jobs (held by a worker that died), queued again. Default 30 000. */
  stalledIntervalMs?: number;
  /** Where status lines go. Default: stderr. */
  log?: (line: string) => void;
}

/** A running queue worker. */
export interface SegmentWorker {
  /** The queue it takes jobs from. */
  readonly queue: QueueAddress;
  /** Its name in BullMQ (`processedBy` of its jobs): `<host>:<pid>`. */
  readonly name: string;
  /** The worker processes that segment. */
  readonly pool: SegmentPool;
  /** Takes no new job, finishes those it holds, then ends its processes and connections. */
  close(): Promise<void>;
}

/**
 * Takes segmentation jobs from a queue (see `enqueueSegmentation`) until
 * closed: each image is segmented by a pool of worker processes that load
 * each model once and keep it. A failing image fails its attempt (BullMQ
 * retries it with backoff); if this process dies, BullMQ's stalled-job check
 * gives its jobs to other workers, whose atomic writes replace any partial
 * work. While Redis is away the worker waits, and goes on when it is back.
 *
 * A job's data is not trusted: one whose outputs are not `<out>/<rel><suffix>`
 * inside its run's folder `out`, or whose `out` lies outside `options.allow`,
 * fails at once (no retry) with a `JobRefusedError: …` reason, writing nothing.
 *
 * @param queueUrl `redis://host:port[/queue-name]`.
 * @throws If `options.allow` is missing, empty or holds a relative path.
 */
export async function startSegmentWorker(queueUrl: string, options: SegmentWorkerOptions): Promise<SegmentWorker> {
  const address = parseQueueUrl(queueUrl);
  const allow = checkAllowedRoots('startSegmentWorker', options?.allow);
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const { bullmq } = await loadQueuePeers();
  const pool = await SegmentPool.start({ workers: options.workers ?? options.concurrency, backend: options.backend });
  const name = `${hostname()}:${process.pid}`;
  let redis: Awaited<ReturnType<typeof connectRedis>>;
  let worker: Worker;
  try {
    redis = await connectRedis(address, log);
    const processor = async (job: Job): Promise<SegmentJobResult> => {
      if (job.name !== SEGMENT_JOB_NAME) throw new Error(`job ${job.id} is named "${job.name}", not "${SEGMENT_JOB_NAME}"; is another application using queue ${address.name}?`);
      let data: ReturnType<typeof checkJobData>;
      try {
        data = checkJobData(job.data, job.id);
        await confineJobOutputs(data, allow, job.id);
      } catch (e) {
        // A refusal is final: retrying cannot make the job's data acceptable.
        if (e instanceof JobRefusedError) throw new bullmq.UnrecoverableError(describeError(e));
        throw e;
      }
      try {
        const outcome = await pool.run(data.model, { input: data.input, outputs: data.outputs }, data.settings);
        return { ...outcome, attempts: job.attemptsMade + 1 };
      } catch (e) {
        // BullMQ keeps only the message as the failure reason: the error's name goes into it.
        throw new Error(describeError(e));
      }
    };
    worker = new bullmq.Worker(address.name, processor, {
      connection: redis,
      name,
      concurrency: pool.capacity,
      lockDuration: options.lockDurationMs ?? DEFAULT_LOCK_DURATION_MS,
      stalledInterval: options.stalledIntervalMs ?? DEFAULT_STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
    });
    // Lost connections are logged by the connection's watcher; BullMQ repeats their errors here, each once is enough.
    let lastError = '';
    worker.on('error', (e) => {
      if (e.message !== lastError && !/ECONNREFUSED|ECONNRESET|Connection is closed/.test(e.message)) log(`worker ${name}: ${e.message}`);
      lastError = e.message;
    });
    worker.on('failed', (job, e) => {
      if (job) log(`image ${job.data?.input ?? job.id} failed (attempt ${job.attemptsMade} of ${job.opts.attempts ?? 1}): ${e.message}`);
    });
    await worker.waitUntilReady();
  } catch (e) {
    await pool.terminate();
    throw e;
  }
  log(`worker ${name}: ${pool.workers} ${pool.backend} process(es) taking jobs from queue ${address.name} at ${address.display}, writing only inside ${allow.join(', ')}`);
  let closing: Promise<void> | null = null;
  return {
    queue: address,
    name,
    pool,
    close() {
      closing ??= (async () => {
        await worker.close();
        await pool.close();
        redis.disconnect();
      })();
      return closing;
    },
  };
}
