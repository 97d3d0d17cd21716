import * as path from 'node:path';
import type { Queue } from 'bullmq';
import type { SegmentSettings } from '../batch/image-job.js';
import { checkSaveKinds, type SaveKind } from '../batch/outputs.js';
import { type PlannedImage, planBatch, type RefusedImage } from '../batch/plan.js';
import { resolveRetry, type RetryOptions } from '../batch/run-tasks.js';
import { readModelClasses } from '../batch/segmenter-loader.js';
import type { SummaryStart } from '../batch/summary.js';
import { connectRedis } from './connection.js';
import { SEGMENT_JOB_NAME, type SegmentJobData, segmentJobId } from './job-data.js';
import { loadQueuePeers } from './peers.js';
import { type QueueAddress, parseQueueUrl } from './queue-url.js';

/** Options of {@link enqueueSegmentation}. */
export interface EnqueueOptions extends SegmentSettings, RetryOptions {
  /** Output folder, on a volume every worker reaches. Required. */
  out: string;
  /** Outputs besides the labels PNG. Default: labels only. */
  save?: readonly SaveKind[];
  /** Queue images whose labels PNG exists too. Default `false`: skip them. */
  redo?: boolean;
  /** Folder relative paths are resolved against. Default: the working directory. */
  cwd?: string;
  /** Where connection messages go. Default: stderr. */
  log?: (line: string) => void;
}

/** A submitted batch: what was queued under which job ids, and what was skipped. */
export interface QueuedRun extends SummaryStart {
  /** The queue. */
  queue: QueueAddress;
  /** Id of this submission (in each job's data). */
  runId: string;
  /** Queued images and their job ids. */
  jobs: { id: string; image: PlannedImage }[];
  /** Images whose labels PNG existed. */
  skipped: PlannedImage[];
  /** Images that cannot be read (a dangling link, a FIFO, …): failed without a job. */
  refused: RefusedImage[];
  /** Attempts and backoff of every job. */
  retry: Required<RetryOptions>;
  /** Id of the queue's last event before the jobs were added: a watcher reads events from there on, missing none. */
  eventsFrom?: string;
}

/** Images added per Redis round trip. */
const ADD_CHUNK = 500;

/**
 * Completed jobs stay a day (at most this many): the submitter reads results
 * from events as they come, and only needs a job itself when it missed them.
 */
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
/** Failed jobs stay a week, for inspection. */
const KEEP_FAILED = { age: 7 * 24 * 3600 };

/**
 * Adds the jobs of `run` (all, or those given) to `queue`. A job of the same
 * image that is still queued or running is kept (BullMQ adds no job whose id
 * exists); one that completed or failed earlier is removed first, so that it
 * runs again.
 */
export async function addRunJobs(queue: Queue, run: QueuedRun, jobs: QueuedRun['jobs'] = run.jobs): Promise<void> {
  const opts = {
    attempts: run.retry.attempts,
    backoff: { type: 'exponential', delay: run.retry.backoffMs },
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  };
  const settings = { flip: run.settings.flip, scales: run.settings.scales };
  for (let i = 0; i < jobs.length; i += ADD_CHUNK) {
    const chunk = jobs.slice(i, i + ADD_CHUNK);
    const states = await Promise.all(chunk.map(({ id }) => queue.getJobState(id)));
    await Promise.all(chunk.map(({ id }, k) => (states[k] === 'completed' || states[k] === 'failed' ? queue.remove(id) : undefined)));
    await queue.addBulk(
      chunk.map(({ id, image }) => ({
        name: SEGMENT_JOB_NAME,
        data: { runId: run.runId, out: run.out, model: run.model, input: image.input, rel: image.rel, outputs: image.outputs, settings } satisfies SegmentJobData,
        opts: { ...opts, jobId: id },
      })),
    );
  }
}

/** A run id that sorts by time and does not collide between submitters. */
function newRunId(): string {
  const time = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `${time}-${Math.random().toString(36).slice(2, 8)}`;
}

/**
 * Queues one BullMQ job per image (outputs, settings and absolute paths in
 * its data) for `seg-deeplab worker`s to take; images whose labels PNG exists
 * are skipped unless `redo`. Nothing is loaded here: the model only has to be
 * reachable by the workers.
 *
 * @param queueUrl `redis://host:port[/queue-name]`.
 * @param model Model path as the workers see it (a shared volume, or baked into their image).
 * @param inputs Image files, folders and `@list.txt` files, on a volume every worker reaches.
 * @throws If the URL, the inputs or the options are bad, or Redis cannot be reached.
 */
export async function enqueueSegmentation(queueUrl: string, model: string, inputs: readonly string[], options: EnqueueOptions): Promise<QueuedRun> {
  const queue = parseQueueUrl(queueUrl);
  const retry = resolveRetry(options);
  const save = checkSaveKinds(options.save ?? []);
  const cwd = options.cwd ?? process.cwd();
  const modelPath = path.resolve(cwd, model);
  const plan = await planBatch(inputs, { out: options.out, save, redo: options.redo, cwd });
  const runId = newRunId();
  const run: QueuedRun = {
    queue,
    runId,
    model: modelPath,
    out: plan.out,
    settings: { flip: options.flip ?? false, scales: options.scales ?? [1], save: ['labels', ...save.filter((s) => s !== 'labels')] },
    classes: await readModelClasses(modelPath),
    jobs: plan.todo.map((image) => ({ id: segmentJobId(image.outputs.labels), image })),
    skipped: plan.skipped,
    refused: plan.refused,
    retry,
  };
  if (run.jobs.length === 0) return run;
  const { bullmq } = await loadQueuePeers();
  const redis = await connectRedis(queue, options.log ?? ((line) => process.stderr.write(`${line}\n`)), { mustConnect: true });
  const q = new bullmq.Queue(queue.name, { connection: redis });
  // Connection errors are the connection's to log, once per outage (BullMQ would print each with its stack).
  q.on('error', () => undefined);
  try {
    const [last] = await redis.xrevrange(q.keys.events, '+', '-', 'COUNT', 1);
    run.eventsFrom = last?.[0] ?? '0';
    await addRunJobs(q, run);
  } finally {
    await q.close();
    redis.disconnect();
  }
  return run;
}
