/**
 * Fine-tuning in the page: @seg/core's Trainer on the loaded model with the
 * user's images and masks, on the active tfjs backend. Nothing leaves the
 * machine: images, masks, weights and gradients stay in the tab.
 *
 * Each pair is cut to its centre crop (`cropSize`, as the reference run
 * trains on crops: the shipped model on 96 px ones); pairs of one crop size
 * form one batch, and the steps cycle over the batches. Fixed crops keep the
 * loss of successive steps comparable. Head only freezes the ResNet trunk
 * (a nested model named after its backbone), as the reference run does
 * without `--trainTrunk`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type ParameterGroupOptions, sparseSoftmaxCrossEntropy, Trainer } from '@seg/core';
import { BACKBONE_NAMES } from '@seg/core';
import { MIN_INPUT_SIZE, preprocess } from '@seg/deeplab';

/** An image and its class ids (one per pixel, `ignore` where unlabelled). */
export interface TrainingPair {
  name: string;
  image: ImageData;
  labels: Uint8Array;
}

/** What fine-tuning trains: the decoder and ASPP (`head`) or every weight (`all`). */
export type FineTuneScope = 'head' | 'all';

/** Options of {@link fineTune}. */
export interface FineTuneOptions {
  /** Optimizer steps. Required. */
  steps: number;
  /** Default `head`. */
  scope?: FineTuneScope;
  /**
   * Side of the square centre crop each pair is cut to (smaller images keep
   * their side); `null` trains on whole images. Default 64: the cost of a
   * step grows with the pixels, and WebGPU without a GPU is slow.
   */
  cropSize?: number | null;
  /** Adam's learning rate. Default 1e-3. */
  learningRate?: number;
  /** Label id the loss ignores (the void class, or 255). Required. */
  ignore: number;
  /** Seeds the steps' dropout masks. Default 0. */
  seed?: number;
  /** Called after each step. */
  onStep?(report: StepReport): void | Promise<void>;
}

/** One fine-tuning step. */
export interface StepReport {
  step: number;
  /** The batch's loss before the step. */
  loss: number;
  /** Milliseconds the step took (the loss read back included). */
  ms: number;
  /** `tf.memory().numTensors` before and after the step. */
  tensorsBefore: number;
  tensorsAfter: number;
}

/** How a fine-tuning run went. */
export interface FineTuneResult {
  /** The tfjs backend it ran on. */
  backend: string;
  losses: number[];
  steps: StepReport[];
  /** `tf.memory().numTensors` before fine-tuning and after it freed its batches and optimizer state. */
  tensorsAtStart: number;
  tensorsAtEnd: number;
}

export const DEFAULT_LEARNING_RATE = 1e-3;
export const DEFAULT_CROP_SIZE = 64;

/** The centre `size`×`size` crop of a pair (each side capped at the image's). */
export function centreCrop(pair: TrainingPair, size: number): TrainingPair {
  const { width, height } = pair.image;
  const w = Math.min(size, width);
  const h = Math.min(size, height);
  const left = Math.floor((width - w) / 2);
  const top = Math.floor((height - h) / 2);
  const pixels = new Uint8ClampedArray(w * h * 4);
  const labels = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    const from = (top + y) * width + left;
    pixels.set(pair.image.data.subarray(4 * from, 4 * (from + w)), 4 * y * w);
    labels.set(pair.labels.subarray(from, from + w), y * w);
  }
  return { name: pair.name, image: new ImageData(pixels, w, h), labels };
}

/** The batches of a step cycle: the pairs grouped by size, a batch per size. */
function trainingBatches(pairs: readonly TrainingPair[]): { images: tf.Tensor4D; labels: tf.Tensor3D }[] {
  const groups = new Map<string, TrainingPair[]>();
  for (const p of pairs) {
    const key = `${p.image.width}x${p.image.height}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((group) =>
    tf.tidy(() => ({
      images: tf.concat(group.map((p) => preprocess(p.image))) as tf.Tensor4D,
      labels: tf.stack(group.map((p) => tf.tensor2d(p.labels, [p.image.height, p.image.width], 'int32'))) as tf.Tensor3D,
    })),
  );
}

/** Parameter groups: everything, or the head with the trunk frozen. */
function parameterGroups(model: LayersModel, scope: FineTuneScope, learningRate: number): ParameterGroupOptions[] {
  if (scope === 'all') return [{ name: 'all', learningRate }];
  const trunk = model.layers.find((l) => (BACKBONE_NAMES as readonly string[]).includes(l.name));
  if (!trunk) {
    throw new Error(
      `fine-tuning the head needs the model's trunk, a nested model named ${BACKBONE_NAMES.join(', ')}; ${model.name} has none (fine-tune everything instead)`,
    );
  }
  return [
    { name: 'trunk', match: trunk, frozen: true },
    { name: 'head', learningRate },
  ];
}

/**
 * Fine-tunes `model` in place on `pairs` for `options.steps` steps on the
 * active tfjs backend. Tensors stay flat: each step frees what it made, and
 * the batches and the optimizer's state are freed at the end.
 */
export async function fineTune(model: LayersModel, pairs: readonly TrainingPair[], options: FineTuneOptions): Promise<FineTuneResult> {
  if (pairs.length === 0) throw new Error('fine-tuning needs at least one image with its mask');
  if (!Number.isInteger(options.steps) || options.steps < 1) throw new Error(`fine-tuning steps must be a positive integer, got ${options.steps}`);
  for (const p of pairs) {
    if (p.labels.length !== p.image.width * p.image.height) {
      throw new Error(`${p.name}: its mask has ${p.labels.length} pixels, its image ${p.image.width}×${p.image.height}; a mask must be the image's size`);
    }
  }
  if (options.cropSize != null && !(Number.isInteger(options.cropSize) && options.cropSize >= MIN_INPUT_SIZE)) {
    throw new Error(`fine-tuning cropSize must be an integer of at least ${MIN_INPUT_SIZE} (the model's smallest input), got ${options.cropSize}`);
  }
  const tensorsAtStart = tf.memory().numTensors;
  const cropSize = options.cropSize === undefined ? DEFAULT_CROP_SIZE : options.cropSize;
  const batches = trainingBatches(cropSize === null ? pairs : pairs.map((p) => centreCrop(p, cropSize)));
  const trainer = new Trainer({
    model,
    loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits, { ignoreIndex: options.ignore }),
    groups: parameterGroups(model, options.scope ?? 'head', options.learningRate ?? DEFAULT_LEARNING_RATE),
    seed: options.seed ?? 0,
  });
  const steps: StepReport[] = [];
  try {
    for (let k = 0; k < options.steps; k++) {
      const tensorsBefore = tf.memory().numTensors;
      const started = performance.now();
      const { step, loss } = await trainer.trainStep(batches[k % batches.length]);
      const report = { step, loss, ms: performance.now() - started, tensorsBefore, tensorsAfter: tf.memory().numTensors };
      steps.push(report);
      await options.onStep?.(report);
    }
  } finally {
    await trainer.dispose();
    tf.dispose(batches.flatMap((b) => [b.images, b.labels]));
  }
  return { backend: tf.getBackend(), losses: steps.map((s) => s.loss), steps, tensorsAtStart, tensorsAtEnd: tf.memory().numTensors };
}
