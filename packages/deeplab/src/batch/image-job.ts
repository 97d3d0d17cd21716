import { writeFileAtomic } from '@seg/core';
import { encodeIndexPng, encodeRgbPng, encodeScoresPng } from '@seg/datasets';
import { vocPalette } from '@seg/datasets/classes';
import { colorize, overlay } from '../classes/colorize.js';
import { classPalette } from '../classes/model-classes.js';
import { SegmentationError } from './errors.js';
import { readImage } from './image-files.js';
import type { OutputPaths } from './outputs.js';
import type { LoadedSegmenter } from './segmenter-loader.js';

/** One image to segment and where its outputs go. */
export interface ImageTask {
  /** Absolute path of the image. */
  input: string;
  /** Absolute paths of the outputs to write. */
  outputs: OutputPaths;
}

/** Test-time augmentation of a batch: the `segment()` options every image gets. */
export interface SegmentSettings {
  /** Horizontal-flip test-time augmentation. Default `false`. */
  flip?: boolean;
  /** Multi-scale inference scales. Default `[1]`. */
  scales?: readonly number[];
}

/** What segmenting one image found and cost. */
export interface ImageOutcome {
  /** Image width in pixels. */
  width: number;
  /** Image height in pixels. */
  height: number;
  /** Pixels per class id (index = id; ids up to the largest found). */
  classPixels: number[];
  /** Milliseconds spent reading and decoding, in the model, and encoding and writing the outputs. */
  timings: { decodeMs: number; segmentMs: number; encodeMs: number };
}

/** Runs `fn` when no other model call of this process runs: one image at a time per model, decoding and writing around it. */
export type Exclusive = <T>(fn: () => Promise<T>) => Promise<T>;

/** A queue of calls that run one after another. */
export function exclusiveQueue(): Exclusive {
  let tail: Promise<unknown> = Promise.resolve();
  return <T>(fn: () => Promise<T>) => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };
}

function histogram(labels: ArrayLike<number>): number[] {
  const counts: number[] = [];
  for (let i = 0; i < labels.length; i++) counts[labels[i]] = (counts[labels[i]] ?? 0) + 1;
  return Array.from(counts, (n) => n ?? 0);
}

/**
 * Segments one image file and writes its outputs, each atomically, the
 * labels PNG last: it marks the image done, so a crash never leaves a done
 * mark without the other outputs, and a repeated task rewrites the same files.
 *
 * @param exclusive Serialises model calls when several images are in flight. Default: none.
 * @throws {ImageReadError} If the image cannot be read or decoded.
 * @throws {SegmentationError} If the model fails on it.
 */
export async function segmentImageFile(
  model: LoadedSegmenter,
  task: ImageTask,
  settings: SegmentSettings,
  exclusive: Exclusive = (fn) => fn(),
): Promise<ImageOutcome> {
  const t0 = performance.now();
  const image = await readImage(task.input);
  const t1 = performance.now();
  const { outputs } = task;
  const options = { flip: settings.flip, scales: settings.scales, returnScores: outputs.scores !== undefined };
  let segmentMs = 0;
  // Timed inside: the wait for another image's model call is neither model time nor decoding.
  const seg = await exclusive(async () => {
    const start = performance.now();
    const result = await model.segmenter.segment(image, options);
    segmentMs = performance.now() - start;
    return result;
  }).catch((e: Error) => {
    throw new SegmentationError(task.input, e.message);
  });
  const t2 = performance.now();
  const { width, height, labels } = seg;
  if (width !== image.width || height !== image.height || labels.length !== width * height) {
    throw new SegmentationError(task.input, `the model returned ${width}×${height} labels (${labels.length} values) for a ${image.width}×${image.height} image`);
  }
  if (outputs.scores && !seg.scores) throw new SegmentationError(task.input, 'the segmenter returned no scores although they were asked for');
  const classPixels = histogram(labels);
  const palette = classPalette(model.classes);
  const colours = palette ?? vocPalette(Math.max(classPixels.length, model.classes?.length ?? 0));
  const extras: Promise<void>[] = [];
  if (outputs.color) extras.push(encodeRgbPng(colorize(labels, width, height, colours), width, height).then((png) => writeFileAtomic(outputs.color!, png)));
  if (outputs.overlay) {
    const blended = overlay(image, labels, colours);
    extras.push(encodeRgbPng(blended, width, height).then((png) => writeFileAtomic(outputs.overlay!, png)));
  }
  if (outputs.scores) extras.push(encodeScoresPng(seg.scores!, width, height).then((png) => writeFileAtomic(outputs.scores!, png)));
  await Promise.all(extras);
  await writeFileAtomic(outputs.labels, await encodeIndexPng(labels, width, height, palette));
  const t3 = performance.now();
  return { width, height, classPixels, timings: { decodeMs: t1 - t0, segmentMs, encodeMs: t3 - t2 } };
}
