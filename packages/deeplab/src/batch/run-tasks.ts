import { describeError } from './errors.js';
import type { ImageOutcome, ImageTask } from './image-job.js';
import type { PlannedImage } from './plan.js';
import type { ImageResult } from './summary.js';

/** Attempts per image by default: a transient failure (a busy volume, a worker crash) gets two more chances. */
export const DEFAULT_ATTEMPTS = 3;
/** Delay before the first retry by default; each further retry waits twice as long. */
export const DEFAULT_BACKOFF_MS = 1000;

/** How failed images are retried. */
export interface RetryOptions {
  /** Attempts per image, the first included. Default 3: a transient failure (a busy volume, a worker crash) gets two more chances. */
  attempts?: number;
  /** Milliseconds before the first retry, doubling after each (BullMQ's exponential backoff). Default 1000. */
  backoffMs?: number;
}

/**
 * Milliseconds to wait after the `attemptsMade`-th failed attempt: BullMQ's
 * `exponential` backoff, so local and queued runs retry alike.
 */
export function backoffDelay(attemptsMade: number, backoffMs: number): number {
  return backoffMs * 2 ** (attemptsMade - 1);
}

/** Checks retry options and fills in the defaults. */
export function resolveRetry(options: RetryOptions): Required<RetryOptions> {
  const { attempts = DEFAULT_ATTEMPTS, backoffMs = DEFAULT_BACKOFF_MS } = options;
  if (!Number.isInteger(attempts) || attempts < 1) throw new Error(`attempts must be a positive integer, got ${attempts}`);
  if (!(backoffMs >= 0)) throw new Error(`backoff must be a non-negative number of milliseconds, got ${backoffMs}`);
  return { attempts, backoffMs };
}

/** What segments images for {@link runTasks}: a pool of processes, or a model in this process. */
export interface TaskRunner {
  /** Images worth handing in at once. */
  readonly capacity: number;
  /** Segments one image and writes its outputs. */
  run(task: ImageTask): Promise<ImageOutcome>;
}

/**
 * Segments `images` on `runner`, keeping it full, retrying failures with
 * backoff, and yields each image's result as it ends. Once `signal` aborts,
 * no image starts and no retry is made; those in flight are awaited.
 */
export async function* runTasks(
  runner: TaskRunner,
  images: readonly PlannedImage[],
  retry: Required<RetryOptions>,
  signal?: AbortSignal,
): AsyncGenerator<ImageResult> {
  const ended: ImageResult[] = [];
  const timers = new Set<ReturnType<typeof setTimeout>>();
  let wake: (() => void) | null = null;
  let next = 0;
  let running = 0;
  let waiting = 0;
  const notify = () => {
    wake?.();
    wake = null;
  };
  const attempt = (image: PlannedImage, made: number) => {
    running++;
    runner.run(image).then(
      (outcome) => ended.push({ ...image, status: 'segmented', attempts: made + 1, outcome }),
      (e) => {
        if (made + 1 < retry.attempts && !signal?.aborted) {
          waiting++;
          const timer = setTimeout(() => {
            timers.delete(timer);
            waiting--;
            attempt(image, made + 1);
          }, backoffDelay(made + 1, retry.backoffMs));
          timers.add(timer);
        } else {
          ended.push({ ...image, status: 'failed', attempts: made + 1, error: describeError(e) });
        }
      },
    ).finally(() => {
      running--;
      notify();
    });
  };
  const onAbort = () => {
    for (const timer of timers) clearTimeout(timer);
    waiting -= timers.size;
    timers.clear();
    notify();
  };
  signal?.addEventListener('abort', onAbort);
  try {
    for (;;) {
      while (!signal?.aborted && running < runner.capacity && next < images.length) attempt(images[next++], 0);
      if (ended.length > 0) {
        yield ended.shift()!;
        continue;
      }
      if (running === 0 && waiting === 0 && (next >= images.length || signal?.aborted)) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    onAbort();
  }
}
