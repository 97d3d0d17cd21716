import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { writeFileAtomic } from '@seg/core';
import type { ModelClass } from '../classes/model-classes.js';
import type { ImageOutcome, SegmentSettings } from './image-job.js';
import type { OutputPaths, SaveKind } from './outputs.js';

/** How an image of a batch ended: segmented now, skipped (its output existed), or failed after every attempt. */
export type ImageStatus = 'segmented' | 'skipped' | 'failed';

/** One image's result in a batch run. */
export interface ImageResult {
  /** Absolute path of the image. */
  input: string;
  /** Its path relative to the folder it was found in, as its outputs are named. */
  rel: string;
  /** Its outputs' paths. */
  outputs: OutputPaths;
  /** How it ended. */
  status: ImageStatus;
  /** Attempts made: 0 when skipped. */
  attempts: number;
  /** Size, class pixels and timings, when segmented. */
  outcome?: ImageOutcome;
  /** `"ErrorName: message"` of the last attempt, when failed. */
  error?: string;
}

/** A failed image in {@link BatchSummary}. */
export interface BatchFailure {
  /** The image. */
  input: string;
  /** `"ErrorName: message"` of its last attempt. */
  error: string;
  /** Attempts made. */
  attempts: number;
}

/** What `<out>/summary.json` holds. */
export interface BatchSummary {
  /** The model as given. */
  model: string;
  /** The output folder. */
  out: string;
  /** ISO times of the start and end of the run. */
  started: string;
  finished: string;
  /** Wall-clock seconds from start to end. */
  seconds: number;
  /** `false` when the run was stopped before every image had ended. */
  complete: boolean;
  /** The test-time augmentation and outputs every image got. */
  settings: SegmentSettings & { save: SaveKind[] };
  /** Images found, segmented now, skipped (output already there), failed, and not run (the run was stopped). */
  counts: { inputs: number; segmented: number; skipped: number; failed: number; notRun: number };
  /** Share of the segmented images' pixels per class, largest first. */
  pixelShares: { id: number; name?: string; pixels: number; share: number }[];
  /**
   * Images segmented per second of wall clock, the mean milliseconds per
   * image of each stage (in a worker), and each stage's share of that time.
   */
  throughput: {
    imagesPerSecond: number;
    msPerImage: { decode: number; segment: number; encode: number };
    shares: { decode: number; segment: number; encode: number };
  };
  /** Every failed image with its error. */
  failures: BatchFailure[];
}

/** The fields of a {@link BatchSummary} known when a run starts. */
export interface SummaryStart {
  model: string;
  out: string;
  settings: BatchSummary['settings'];
  classes?: readonly ModelClass[];
}

/** Collects results into a {@link BatchSummary}. */
export class SummaryBuilder {
  private readonly pixels: number[] = [];
  private readonly time = { decode: 0, segment: 0, encode: 0 };
  private readonly failures: BatchFailure[] = [];
  readonly counts = { inputs: 0, segmented: 0, skipped: 0, failed: 0, notRun: 0 };
  classes: readonly ModelClass[] | undefined;

  /**
   * @param start What the run is.
   * @param startedAt When it started (ms since the epoch). Default: now.
   */
  constructor(
    private readonly start: SummaryStart,
    private readonly startedAt = Date.now(),
  ) {
    this.classes = start.classes;
  }

  /** Counts an image's result. */
  add(result: ImageResult): void {
    this.counts[result.status]++;
    if (result.status === 'failed') this.failures.push({ input: result.input, error: result.error ?? 'unknown error', attempts: result.attempts });
    const outcome = result.outcome;
    if (!outcome) return;
    outcome.classPixels.forEach((n, id) => {
      this.pixels[id] = (this.pixels[id] ?? 0) + n;
    });
    this.time.decode += outcome.timings.decodeMs;
    this.time.segment += outcome.timings.segmentMs;
    this.time.encode += outcome.timings.encodeMs;
  }

  /** The summary; `inputs` images were planned, those without a result did not run. */
  finish(inputs: number): BatchSummary {
    const seconds = (Date.now() - this.startedAt) / 1000;
    const ended = this.counts.segmented + this.counts.skipped + this.counts.failed;
    const counts = { ...this.counts, inputs, notRun: inputs - ended };
    const total = this.pixels.reduce((a, n) => a + (n ?? 0), 0);
    const pixelShares = Array.from(this.pixels, (n, id) => ({ id, name: this.classes?.[id]?.name, pixels: n ?? 0, share: total > 0 ? (n ?? 0) / total : 0 }))
      .filter((c) => c.pixels > 0)
      .sort((a, b) => b.pixels - a.pixels);
    const n = Math.max(1, counts.segmented);
    const staged = this.time.decode + this.time.segment + this.time.encode || 1;
    const round = (v: number, digits: number) => Number(v.toFixed(digits));
    return {
      model: this.start.model,
      out: this.start.out,
      started: new Date(this.startedAt).toISOString(),
      finished: new Date().toISOString(),
      seconds: round(seconds, 3),
      complete: counts.notRun === 0,
      settings: this.start.settings,
      counts,
      pixelShares,
      throughput: {
        imagesPerSecond: round(seconds > 0 ? counts.segmented / seconds : 0, 3),
        msPerImage: { decode: round(this.time.decode / n, 1), segment: round(this.time.segment / n, 1), encode: round(this.time.encode / n, 1) },
        shares: { decode: round(this.time.decode / staged, 3), segment: round(this.time.segment / staged, 3), encode: round(this.time.encode / staged, 3) },
      },
      failures: this.failures,
    };
  }
}

/** Name of the summary in the output folder. */
export const SUMMARY_FILE = 'summary.json';

/**
 * Writes `<out>/summary.json` atomically. A summary of an earlier run is kept
 * as `summary-<its time>.json`, never overwritten.
 *
 * @returns The path written.
 */
export async function writeSummary(summary: BatchSummary): Promise<string> {
  const file = path.join(summary.out, SUMMARY_FILE);
  const previous = await fs.stat(file).catch(() => null);
  if (previous) {
    const stamp = previous.mtime.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    await fs.rename(file, path.join(summary.out, `summary-${stamp}.json`));
  }
  await writeFileAtomic(file, `${JSON.stringify(summary, null, 2)}\n`);
  return file;
}
