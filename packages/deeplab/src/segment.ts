import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { MIN_INPUT_SIZE } from './config.js';
import { type ImageInput, imageSize, preprocess } from './preprocess.js';

/** Options of {@link segment}. */
export interface SegmentOptions {
  /**
   * Horizontal-flip test-time augmentation: also predict the mirrored image
   * and average its mirrored-back probabilities with the plain ones. Default `false`.
   */
  flip?: boolean;
  /**
   * Input scales whose class probabilities are resized back to the image size
   * and averaged (multi-scale inference, e.g. `[0.5, 0.75, 1, 1.25, 1.5, 1.75]`
   * in the paper's evaluation). Default `[1]`.
   */
  scales?: readonly number[];
  /** Also return each pixel's winning probability. Default `false`. */
  returnScores?: boolean;
}

/** A segmentation as plain data: one class id per pixel, row-major. */
export interface Segmentation {
  /** Width in pixels (the input image's). */
  width: number;
  /** Height in pixels (the input image's). */
  height: number;
  /** Class id per pixel; `Uint8Array` for up to 256 classes, else `Int32Array`. */
  labels: Uint8Array | Int32Array;
  /** Averaged probability of the chosen class per pixel, if `returnScores` was set. */
  scores?: Float32Array;
}

/** Half-pixel-centre bilinear resize, the same sampling as PyTorch's `align_corners=False`. */
function resize(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  if (x.shape[1] === height && x.shape[2] === width) return x;
  return tf.image.resizeBilinear(x, [height, width], false, true);
}

function probabilities(model: LayersModel, x: tf.Tensor4D, flip: boolean): tf.Tensor4D {
  const [, h, w] = x.shape;
  const logits = model.predict(x) as tf.Tensor4D;
  if (logits.rank !== 4 || logits.shape[1] !== h || logits.shape[2] !== w) {
    throw new Error(`segment: the model maps a [1, ${h}, ${w}, 3] input to [${logits.shape.join(', ')}]; expected [1, ${h}, ${w}, numClasses] logits`);
  }
  const probs = tf.softmax(logits);
  if (!flip) return probs;
  const mirrored = tf.reverse(tf.softmax(model.predict(tf.reverse(x, 2)) as tf.Tensor4D), 2);
  return tf.div(tf.add(probs, mirrored), 2);
}

/**
 * Segments one image: preprocesses it, runs the model (optionally on flipped
 * and rescaled copies, averaging class probabilities at the image's size) and
 * returns each pixel's most likely class. Every intermediate tensor is disposed.
 *
 * @param model A model mapping `[1, H, W, 3]` normalised images to
 *   `[1, H, W, numClasses]` logits, such as {@link deeplabV3Plus} builds.
 * @throws If a scale shrinks the image below {@link MIN_INPUT_SIZE} pixels or
 *   the model's output does not match its input size.
 *
 * @example
 * ```ts
 * const model = deeplabV3Plus({ numClasses: 22, backbone: 'resnet50', outputStride: 16 });
 * const seg = await segment(model, { data: rgb, width: 320, height: 213, channels: 3 }, { flip: true });
 * const rgba = colorize(seg.labels, seg.width, seg.height, MSRC_PALETTE);
 * ```
 */
export async function segment(model: LayersModel, image: ImageInput, options: SegmentOptions = {}): Promise<Segmentation> {
  const { flip = false, scales = [1], returnScores = false } = options;
  const { width, height } = imageSize(image);
  if (scales.length === 0) throw new Error('segment: options.scales is empty; pass at least one scale, e.g. [1]');
  for (const s of scales) {
    const h = Math.round(height * s);
    const w = Math.round(width * s);
    if (!(s > 0) || h < MIN_INPUT_SIZE || w < MIN_INPUT_SIZE) {
      throw new Error(
        `segment: scale ${s} turns the ${width}x${height} image into ${w}x${h}; scales must be positive and keep both sides >= ${MIN_INPUT_SIZE} px`,
      );
    }
  }
  const [labelsT, scoresT] = tf.tidy(() => {
    const x = preprocess(image);
    let sum: tf.Tensor4D | undefined;
    for (const s of scales) {
      const scaled = resize(x, Math.round(height * s), Math.round(width * s));
      const p = resize(probabilities(model, scaled, flip), height, width);
      sum = sum ? (tf.add(sum, p) as tf.Tensor4D) : p;
    }
    const mean = scales.length > 1 ? tf.div(sum!, scales.length) : sum!;
    return [tf.argMax(mean, -1), returnScores ? tf.max(mean, -1) : undefined] as const;
  });
  try {
    const numClasses = (model.outputs[0].shape[3] as number | null) ?? Number.POSITIVE_INFINITY;
    const ids = (await labelsT.data()) as Int32Array;
    const labels = numClasses <= 256 ? Uint8Array.from(ids) : Int32Array.from(ids);
    const result: Segmentation = { width, height, labels };
    if (scoresT) result.scores = Float32Array.from(await scoresT.data());
    return result;
  } finally {
    tf.dispose([labelsT, scoresT as tf.Tensor]);
  }
}
