import type { ErrorInfo } from '../errors.js';
import type { ImageOutcome, ImageTask, SegmentSettings } from '../image-job.js';

/** From the pool to a worker process. */
export type ToPoolWorker =
  /** Select the backend (`undefined`: the best available) and report it. */
  | { type: 'init'; backend?: string }
  /** Segment one image with the model at `model` (loaded once and kept). */
  | { type: 'task'; id: number; model: string; task: ImageTask; settings: SegmentSettings };

/** From a worker process to the pool. */
export type FromPoolWorker =
  | { type: 'ready'; backend: string }
  | { type: 'init-failed'; error: ErrorInfo }
  | { type: 'done'; id: number; outcome: ImageOutcome }
  | { type: 'failed'; id: number; error: ErrorInfo };
