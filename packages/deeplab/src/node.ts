/**
 * `@seg/deeplab/node`: the Node-only wing of `@seg/deeplab`. Segmenting
 * image collections from files on disk, on every core
 * ({@link segmentMany}) or on many machines through a BullMQ queue
 * ({@link enqueueSegmentation}, {@link startSegmentWorker},
 * {@link watchQueuedRun}); training runs in a folder ({@link TrainingRun}:
 * run folder, log, checkpoints, report, metrics, as callbacks of any
 * `Trainer.fit`).
 *
 * It reads and writes files and starts processes, so it imports `node:`
 * modules and is never reached from the main entry `@seg/deeplab`, which
 * browser bundles take.
 *
 * @packageDocumentation
 */
export { BatchRun } from './batch/batch-run.js';
export type { BatchProgress, BatchSource } from './batch/batch-run.js';
export {
  FileError,
  ImageReadError,
  MissingPeerError,
  ModelLoadError,
  SegmentationError,
  WorkerCrashError,
} from './batch/errors.js';
export { readImage } from './batch/image-files.js';
export type { ImageOutcome, ImageTask, SegmentSettings } from './batch/image-job.js';
export { expandInputs, IMAGE_EXTENSIONS } from './batch/inputs.js';
export type { BatchInput, ExpandInputsOptions } from './batch/inputs.js';
export { OUTPUT_SUFFIXES, SAVE_KINDS } from './batch/outputs.js';
export type { OutputPaths, SaveKind } from './batch/outputs.js';
export type { PlannedImage, RefusedImage } from './batch/plan.js';
export { SegmentPool } from './batch/pool/pool.js';
export type { SegmentPoolOptions } from './batch/pool/pool.js';
export type { RetryOptions } from './batch/run-tasks.js';
export { segmentMany } from './batch/segment-many.js';
export type { SegmentManyOptions } from './batch/segment-many.js';
export { SUMMARY_FILE } from './batch/summary.js';
export type { BatchFailure, BatchSummary, ImageResult, ImageStatus, SummaryStart } from './batch/summary.js';
export { formatDuration } from './cli/format-duration.js';
export { enqueueSegmentation } from './queue/enqueue.js';
export type { EnqueueOptions, QueuedRun } from './queue/enqueue.js';
export type { SegmentJobData } from './queue/job-data.js';
export { DEFAULT_QUEUE_NAME, parseQueueUrl } from './queue/queue-url.js';
export type { QueueAddress } from './queue/queue-url.js';
export { watchQueuedRun } from './queue/watch.js';
export type { SegmentJobResult, WatchOptions } from './queue/watch.js';
export { startSegmentWorker } from './queue/worker.js';
export type { SegmentWorker, SegmentWorkerOptions } from './queue/worker.js';
export * from './run/index.js';
