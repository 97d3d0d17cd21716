import * as fs from 'node:fs/promises';
import type { Queue } from 'bullmq';
import { BatchRun } from '../batch/batch-run.js';
import type { ImageOutcome } from '../batch/image-job.js';
import { type PlannedImage, refusedResults } from '../batch/plan.js';
import type { ImageResult } from '../batch/summary.js';
import { connectRedis } from './connection.js';
import { addRunJobs, type QueuedRun } from './enqueue.js';
import { loadQueuePeers } from './peers.js';

/** Options of {@link watchQueuedRun}. */
export interface WatchOptions {
  /** Where connection messages go. Default: stderr. */
  log?: (line: string) => void;
  /** Stops waiting (the jobs stay queued); the summary counts the images not ended as not run. */
  signal?: AbortSignal;
  /**
   * Without queue events for this long, the job states are read from Redis
   * (events missed while disconnected, jobs lost by Redis); the wait doubles
   * up to a minute while that finds nothing. Default 5000.
   */
  idleCheckMs?: number;
}

/** What a worker returns for a job: the image's outcome and the attempt that made it. */
export type SegmentJobResult = ImageOutcome & { attempts: number };

/** Jobs whose state is read per round of Redis calls. */
const CHECK_CHUNK = 500;
const MAX_IDLE_CHECK_MS = 60_000;

function parseResult(value: unknown): SegmentJobResult | undefined {
  const v = (typeof value === 'string' ? JSON.parse(value) : value) as SegmentJobResult | undefined;
  return v && Array.isArray(v.classPixels) && typeof v.width === 'number' ? v : undefined;
}

async function* results(run: QueuedRun, options: WatchOptions): AsyncGenerator<ImageResult> {
  for (const image of run.skipped) yield { ...image, status: 'skipped', attempts: 0 };
  yield* refusedResults(run.refused);
  if (run.jobs.length === 0) return;
  const { bullmq } = await loadQueuePeers();
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const [redis, eventsRedis] = await Promise.all([connectRedis(run.queue, log), connectRedis(run.queue, () => {})]);
  const queue: Queue = new bullmq.Queue(run.queue.name, { connection: redis });
  // Logged once per outage by the connection (BullMQ would print each error with its stack).
  queue.on('error', () => undefined);
  const events = new bullmq.QueueEvents(run.queue.name, { connection: eventsRedis, lastEventId: run.eventsFrom });
  const pending = new Map(run.jobs.map(({ id, image }) => [id, image]));
  const ended: ImageResult[] = [];
  let wake: (() => void) | null = null;
  let lastEvent = Date.now();
  const end = (id: string, result: (image: PlannedImage) => ImageResult) => {
    const image = pending.get(id);
    if (!image) return;
    pending.delete(id);
    ended.push(result(image));
    wake?.();
  };
  const segmented = (id: string, value: unknown) => {
    const outcome = parseResult(value);
    end(id, (image) => ({ ...image, status: 'segmented', attempts: outcome?.attempts ?? 1, outcome }));
  };
  /** Reads the states of `ids` from Redis; jobs gone from it are done if their labels exist, else queued again. */
  const check = async (ids: string[]) => {
    const lost: QueuedRun['jobs'] = [];
    for (let i = 0; i < ids.length; i += CHECK_CHUNK) {
      const chunk = ids.slice(i, i + CHECK_CHUNK);
      const states = await Promise.all(chunk.map((id) => queue.getJobState(id)));
      for (const [k, state] of states.entries()) {
        const id = chunk[k];
        const image = pending.get(id);
        if (!image) continue;
        if (state === 'completed' || state === 'failed') {
          const job = await bullmq.Job.fromId(queue, id);
          if (state === 'completed') segmented(id, job?.returnvalue);
          else end(id, (img) => ({ ...img, status: 'failed', attempts: job?.attemptsMade ?? run.retry.attempts, error: job?.failedReason ?? 'failed' }));
        } else if (state === 'unknown') {
          if (await fs.stat(image.outputs.labels).then(() => true, () => false)) segmented(id, undefined);
          else lost.push({ id, image });
        }
      }
    }
    if (lost.length > 0) {
      log(`${lost.length} job(s) of run ${run.runId} were gone from Redis (lost in a restart without persistence?); queued them again`);
      await addRunJobs(queue, run, lost);
    }
  };
  events.on('completed', ({ jobId, returnvalue }) => {
    lastEvent = Date.now();
    segmented(jobId, returnvalue);
  });
  // Whether a failure is final (not retried) is read from the job itself.
  events.on('failed', ({ jobId }) => {
    lastEvent = Date.now();
    if (pending.has(jobId)) void check([jobId]).catch(() => undefined);
  });
  // Workers taking jobs is news too: the job states are only read when the queue is silent.
  events.on('active', () => {
    lastEvent = Date.now();
  });
  events.on('error', () => undefined);
  const abort = () => wake?.();
  options.signal?.addEventListener('abort', abort);
  let idleWait = options.idleCheckMs ?? 5000;
  let checking: Promise<void> | null = null;
  const timer = setInterval(() => {
    if (checking || pending.size === 0 || Date.now() - lastEvent < idleWait) return;
    const before = pending.size;
    checking = check([...pending.keys()])
      .then(() => {
        idleWait = pending.size < before ? (options.idleCheckMs ?? 5000) : Math.min(2 * idleWait, MAX_IDLE_CHECK_MS);
        lastEvent = Date.now();
      })
      .catch(() => undefined)
      .finally(() => {
        checking = null;
      });
  }, 500);
  try {
    await events.waitUntilReady();
    while (pending.size > 0 || ended.length > 0) {
      if (ended.length > 0) {
        yield ended.shift()!;
        continue;
      }
      if (options.signal?.aborted) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    clearInterval(timer);
    options.signal?.removeEventListener('abort', abort);
    await checking;
    await Promise.allSettled([events.close(), queue.close()]);
    redis.disconnect();
    eventsRedis.disconnect();
  }
}

/**
 * Follows a submitted run until every job has completed or failed for good:
 * results come from BullMQ's queue events, and from the job states in Redis
 * when events stop coming (missed while disconnected); jobs Redis lost are
 * queued again unless their labels exist. The run's summary goes to
 * `<out>/summary.json` as for a local run.
 */
export function watchQueuedRun(run: QueuedRun, options: WatchOptions = {}): BatchRun {
  return new BatchRun({ ...run, total: run.jobs.length + run.skipped.length + run.refused.length, results: () => results(run, options) });
}
