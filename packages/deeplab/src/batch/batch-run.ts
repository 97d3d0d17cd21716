import { type BatchSummary, type ImageResult, SummaryBuilder, type SummaryStart, writeSummary } from './summary.js';

/** Where a batch run stands, sent after every image that ends. */
export interface BatchProgress {
  /** Images in the run, skipped ones included. */
  total: number;
  /** Images ended so far: segmented, skipped or failed. */
  done: number;
  segmented: number;
  skipped: number;
  failed: number;
  /** Images segmented or failed per second since the run started. */
  imagesPerSecond: number;
  /** Seconds left at that rate (`NaN` before the first image ends). */
  etaSeconds: number;
}

/** The source of a run's results: its planned image count, then the results as they come. */
export interface BatchSource extends SummaryStart {
  /** Every image of the run, skipped ones included. */
  total: number;
  /** Yields each image's result once; ends when the run is over. */
  results(): AsyncGenerator<ImageResult>;
}

/**
 * A running batch: iterate it for each image's result as it ends, listen to
 * its `progress`, and await `summary()`, which is also written to
 * `<out>/summary.json` when the run ends (completed or stopped).
 *
 * @example
 * ```ts no-run
 * const run = segmentMany('runs/msrc/model', ['photos/'], { out: 'labels/' });
 * run.on('progress', (p) => console.log(`${p.done}/${p.total}`));
 * for await (const r of run) if (r.status === 'failed') console.error(r.input, r.error);
 * const summary = await run.summary();
 * ```
 */
export class BatchRun implements AsyncIterable<ImageResult> {
  private readonly listeners = new Set<(p: BatchProgress) => void>();
  private iterating = false;
  /** Planning and starting workers count as run time too. */
  private readonly startedAt = Date.now();
  private finished: { promise: Promise<BatchSummary>; resolve(s: BatchSummary): void; reject(e: Error): void } | null = null;

  /** @param source The run's images and where their results come from. */
  constructor(private readonly source: BatchSource | Promise<BatchSource>) {
    // A run nobody iterates must not end the process with an unhandled rejection.
    Promise.resolve(source).catch(() => undefined);
  }

  /**
   * Calls `listener` after every image that ends.
   *
   * @returns A function that removes the listener.
   */
  on(event: 'progress', listener: (progress: BatchProgress) => void): () => void {
    if (event !== 'progress') throw new Error(`BatchRun: unknown event "${event}"; the only event is "progress"`);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Each image's result as it ends. A run can be iterated once; leaving the loop early ends the run. */
  async *[Symbol.asyncIterator](): AsyncGenerator<ImageResult> {
    if (this.iterating) throw new Error('BatchRun: a run can be iterated only once; await run.summary() for the totals');
    this.iterating = true;
    const settle = this.settlement();
    let builder: SummaryBuilder | undefined;
    let total = 0;
    try {
      const source = await this.source;
      builder = new SummaryBuilder(source, this.startedAt);
      total = source.total;
      for await (const result of source.results()) {
        builder.add(result);
        this.emit(builder.counts, total);
        yield result;
      }
    } catch (e) {
      settle.reject(e as Error);
      throw e;
    } finally {
      // Also when the loop was left early: the images not ended count as not run.
      if (builder) {
        const summary = builder.finish(total);
        await writeSummary(summary).then(() => settle.resolve(summary), settle.reject);
      }
    }
  }

  /** The run's summary once it ends; runs it to the end first if nobody iterates it. */
  summary(): Promise<BatchSummary> {
    const finished = this.settlement().promise;
    if (!this.iterating) {
      void (async () => {
        for await (const _ of this) {
          // Results are only counted.
        }
      })().catch(() => undefined);
    }
    return finished;
  }

  private settlement() {
    if (!this.finished) {
      let resolve!: (s: BatchSummary) => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<BatchSummary>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      // Nobody may await summary(); a failure is also thrown from the iteration.
      promise.catch(() => undefined);
      this.finished = { promise, resolve, reject };
    }
    return this.finished;
  }

  private emit(counts: SummaryBuilder['counts'], total: number): void {
    if (this.listeners.size === 0) return;
    const { segmented, skipped, failed } = counts;
    const seconds = (Date.now() - this.startedAt) / 1000;
    const rate = seconds > 0 ? (segmented + failed) / seconds : 0;
    const done = segmented + skipped + failed;
    const progress = { total, done, segmented, skipped, failed, imagesPerSecond: rate, etaSeconds: rate > 0 ? (total - done) / rate : Number.NaN };
    for (const listener of this.listeners) listener(progress);
  }
}
