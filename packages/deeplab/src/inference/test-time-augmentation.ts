import type { Normalization } from '@seg/core';
/**
 * Test-time augmentation over any runtime: the runtime only maps a batch of
 * normalised images to logits; flipping, rescaling, softmax, averaging and
 * the arg-max happen here, on plain arrays, the same for tfjs and ONNX Runtime.
 *
 * @module
 */
import { normalizedPlanes, type PixelValues } from './image-pixels.js';
import { gib, availableMemory } from './memory-limits.js';
import { mirrorPlanes, resizePlanes, softmaxPlanes } from './planar.js';
import { resolveSegmentOptions, type Segmentation } from './segment-options.js';

/** A runtime's side of segmentation: logits of a batch, and whether a batch fits. */
export interface LogitsRunner {
  /** Classes the model predicts, if known before a run. */
  readonly classes?: number;
  /** How the model wants its input normalised. */
  readonly normalization: Normalization;
  /**
   * Throws, before anything is allocated, if a batch of `n` images of
   * `height`×`width` does not fit the runtime; `imageWidth`×`imageHeight` is
   * the image's own size, for the message.
   */
  checkFits(n: number, height: number, width: number, imageWidth: number, imageHeight: number): void | Promise<void>;
  /**
   * Logits `[n, classes, height, width]` (planar float32) of normalised
   * images `[n, 3, height, width]`.
   */
  logits(images: Float32Array, n: number, height: number, width: number): Promise<{ data: Float32Array; classes: number }>;
}

/** Bytes of the plain arrays {@link segmentWithTta} holds at once besides the runtime's. */
function scratchBytes(width: number, height: number, classes: number, n: number, scales: readonly number[]): number {
  const pixels = width * height;
  const largest = Math.max(...scales.map((s) => Math.round(width * s) * Math.round(height * s)));
  // Image planes, the batch, its logits and a resized copy, and the running sum.
  return 4 * (3 * pixels + n * 3 * largest + n * classes * largest + classes * pixels + classes * pixels);
}

/**
 * Segments one image read by {@link readPixels}: runs `runner` on the image
 * (and its mirror when `flip`) at each scale, averages the class
 * probabilities at the image's size and returns each pixel's arg-max.
 *
 * @param where Prefix of error messages, e.g. `segment`.
 * @param options Unchecked {@link SegmentOptions}; checked here, naming the option.
 * @throws If an option is invalid, the batch would not fit the runtime, a
 *   value is not finite, or the runtime returns logits of another size.
 */
export async function segmentWithTta(where: string, pixels: PixelValues, options: unknown, runner: LogitsRunner): Promise<Segmentation> {
  const { width, height } = pixels;
  const { flip, scales, returnScores } = resolveSegmentOptions(where, options, width, height);
  const n = flip ? 2 : 1;
  const sizes = scales.map((s) => [Math.round(height * s), Math.round(width * s)] as const);
  for (const [h, w] of sizes) await runner.checkFits(n, h, w, width, height);
  const machine = await availableMemory();
  const scratch = scratchBytes(width, height, runner.classes ?? 1, n, scales);
  if (machine && scratch > machine.bytes) {
    throw new Error(`${where}: a ${width}x${height} image needs about ${gib(scratch)} of arrays, more than ${gib(machine.bytes)}, ${machine.what}`);
  }

  const planes = normalizedPlanes(where, pixels, runner.normalization);
  let sum: Float32Array | undefined;
  let classes = 0;
  for (const [h, w] of sizes) {
    const scaled = resizePlanes(planes, 3, height, width, h, w);
    let batch = scaled;
    if (flip) {
      batch = new Float32Array(2 * scaled.length);
      batch.set(scaled);
      batch.set(mirrorPlanes(scaled, 3, h, w), scaled.length);
    }
    const logits = await runner.logits(batch, n, h, w);
    classes = logits.classes;
    const size = classes * h * w;
    if (logits.data.length !== n * size) {
      throw new Error(`${where}: the model returned ${logits.data.length} logits for ${n} image(s) of ${w}x${h}; expected ${n} x ${classes} x ${h} x ${w}`);
    }
    sum ??= new Float32Array(classes * width * height);
    for (let i = 0; i < n; i++) {
      const probs = softmaxPlanes(logits.data.subarray(i * size, (i + 1) * size), classes, h * w);
      const upright = i === 1 ? mirrorPlanes(probs, classes, h, w) : probs;
      const full = resizePlanes(upright, classes, h, w, height, width);
      for (let j = 0; j < full.length; j++) sum[j] += full[j];
    }
  }
  return argMax(sum as Float32Array, classes, width, height, scales.length * n, returnScores);
}

function argMax(sum: Float32Array, classes: number, width: number, height: number, count: number, returnScores: boolean): Segmentation {
  const pixels = width * height;
  const labels = classes <= 256 ? new Uint8Array(pixels) : new Int32Array(pixels);
  const scores = returnScores ? new Float32Array(pixels) : undefined;
  for (let p = 0; p < pixels; p++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (sum[c * pixels + p] > sum[best * pixels + p]) best = c;
    labels[p] = best;
    if (scores) scores[p] = sum[best * pixels + p] / count;
  }
  const result: Segmentation = { width, height, labels };
  if (scores) result.scores = scores;
  return result;
}
