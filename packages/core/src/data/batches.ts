import * as tf from '@tensorflow/tfjs-core';
import { assertLabeledImage, type LabeledImage, type SegmentationDataset } from './image.js';
import { type Normalization, normalizationCoefficients } from './normalize.js';
import { SeededRng } from './rng.js';

/**
 * A transform applied to every sample before batching. It may be async (e.g.
 * to run augmentation in a worker); a plain `Augmentation` fits.
 */
export type SampleTransform = (sample: LabeledImage, rng: SeededRng) => LabeledImage | Promise<LabeledImage>;

/** Options of {@link segmentationBatches}. */
export interface SegmentationBatchesOptions {
  /** Samples per batch. Required. */
  batchSize: number;
  /** Applied to every sample with its own generator; must output one common size. Default: none. */
  transform?: SampleTransform;
  /** Seed of the shuffling and of every sample's transform generator. Default 0. */
  seed?: number;
  /** Visit samples in a fresh seeded order each epoch. Default true. */
  shuffle?: boolean;
  /** Batches prepared ahead of the one being consumed. Default 2. */
  prefetch?: number;
  /** Drop the last batch of an epoch when it is smaller than `batchSize`. Default false. */
  dropRemainder?: boolean;
  /**
   * Pixel normalisation. Default `'imagenet'`, because the backbones load
   * torchvision weights trained on ImageNet-normalised input; use `'unit'` or
   * `'none'` for models trained from scratch on other ranges.
   */
  normalize?: Normalization;
}

/** @deprecated Renamed {@link SegmentationBatchesOptions}. */
export type SegmentationBatchesArgs = SegmentationBatchesOptions;

/** One batch: `images` [B, H, W, 3] float32 and `labels` [B, H, W] int32. The consumer disposes the tensors. */
export interface SegmentationBatch {
  images: tf.Tensor4D;
  labels: tf.Tensor3D;
  /** Dataset indices of the samples, in batch order. */
  indices: number[];
  /** Sample ids, in batch order. */
  ids: string[];
  /** Epoch this batch belongs to. */
  epoch: number;
  /** Position of this batch within its epoch. */
  batch: number;
}

/** The batches of a dataset, epoch by epoch: see {@link segmentationBatches}. */
export interface SegmentationBatchStream {
  /** Batches per epoch. */
  readonly batchesPerEpoch: number;
  /** The dataset indices visited in `epoch`, in order. */
  order(epoch: number): number[];
  /**
   * The batches of `epoch`, starting at batch `fromBatch` (default 0) so a
   * resumed run continues exactly where it stopped.
   */
  epoch(epoch: number, fromBatch?: number): AsyncGenerator<SegmentationBatch, void, undefined>;
  /**
   * Epoch after epoch without end, starting at (`fromEpoch`, `fromBatch`)
   * (default 0, 0): the endless stream a step-counting trainer consumes.
   * A resumed run passes the position saved with its checkpoint
   * (`batch.epoch`, `batch.batch + 1`).
   */
  repeat(fromEpoch?: number, fromBatch?: number): AsyncGenerator<SegmentationBatch, void, undefined>;
}

interface PreparedBatch {
  images: Float32Array;
  labels: Int32Array;
  height: number;
  width: number;
  indices: number[];
  ids: string[];
}

/**
 * Turns a {@link SegmentationDataset} into a stream of batches. Loading and
 * transforming run ahead of the consumer by `prefetch` batches, so while
 * a training step awaits, the next batches' files are read and decoded.
 * Sample order and augmentation depend only on `seed`, the epoch and the
 * sample index (each sample gets `SeededRng.derive(seed, 2, epoch, index)`),
 * never on timing, so runs are reproducible with any prefetch depth.
 * Tensors are created only when a batch is handed out: stopping early leaks
 * nothing.
 */
export function segmentationBatches(dataset: SegmentationDataset, args: SegmentationBatchesOptions): SegmentationBatchStream {
  const { batchSize } = args;
  const seed = args.seed ?? 0;
  const shuffle = args.shuffle ?? true;
  const prefetch = args.prefetch ?? 2;
  const dropRemainder = args.dropRemainder ?? false;
  const { scale, offset } = normalizationCoefficients(args.normalize ?? 'imagenet');
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError(`segmentationBatches: batchSize must be a positive integer, got ${batchSize}`);
  }
  if (!Number.isInteger(prefetch) || prefetch < 0) {
    throw new RangeError(`segmentationBatches: prefetch must be a non-negative integer, got ${prefetch}`);
  }
  if (!Number.isInteger(seed)) throw new RangeError(`segmentationBatches: seed must be an integer, got ${seed}`);
  const size = dataset.size;
  if (size < 1) throw new Error('segmentationBatches: the dataset is empty');
  const batchesPerEpoch = dropRemainder ? Math.floor(size / batchSize) : Math.ceil(size / batchSize);
  if (batchesPerEpoch === 0) {
    throw new Error(`segmentationBatches: dropRemainder with batchSize ${batchSize} leaves no batch of ${size} samples`);
  }

  const order = (epoch: number): number[] => {
    if (!Number.isInteger(epoch) || epoch < 0) throw new RangeError(`segmentationBatches: epoch must be >= 0, got ${epoch}`);
    return shuffle ? SeededRng.derive(seed, 1, epoch).permutation(size) : Array.from({ length: size }, (_, i) => i);
  };

  const loadSample = async (epoch: number, index: number) => {
    const sample = await dataset.get(index);
    const out = args.transform ? await args.transform(sample, SeededRng.derive(seed, 2, epoch, index)) : sample;
    assertLabeledImage(out, `sample ${index} ('${sample.id}')`);
    return { id: sample.id, out };
  };

  const prepare = async (epoch: number, indices: number[]): Promise<PreparedBatch> => {
    const samples = await Promise.all(indices.map((i) => loadSample(epoch, i)));
    const { width, height } = samples[0].out.image;
    const pixels = width * height;
    const images = new Float32Array(indices.length * pixels * 3);
    const labels = new Int32Array(indices.length * pixels);
    samples.forEach(({ id, out }, b) => {
      if (out.image.width !== width || out.image.height !== height) {
        throw new Error(
          `segmentationBatches: sample ${indices[b]} ('${id}') is ${out.image.width}×${out.image.height} but ` +
            `sample ${indices[0]} ('${samples[0].id}') is ${width}×${height}; add a fixed-size crop or resize ` +
            'to the transform (e.g. randomCrop({ size, ignoreIndex }))',
        );
      }
      const src = out.image.data;
      const base = b * pixels * 3;
      for (let p = 0; p < pixels * 3; p += 3) {
        images[base + p] = src[p] * scale[0] + offset[0];
        images[base + p + 1] = src[p + 1] * scale[1] + offset[1];
        images[base + p + 2] = src[p + 2] * scale[2] + offset[2];
      }
      labels.set(out.labels, b * pixels);
    });
    return { images, labels, width, height, indices, ids: samples.map((s) => s.id) };
  };

  async function* epochBatches(epoch: number, fromBatch = 0): AsyncGenerator<SegmentationBatch, void, undefined> {
    if (!Number.isInteger(fromBatch) || fromBatch < 0 || fromBatch > batchesPerEpoch) {
      throw new RangeError(`segmentationBatches: fromBatch must be in [0, ${batchesPerEpoch}], got ${fromBatch}`);
    }
    const visit = order(epoch);
    const queue: Promise<PreparedBatch>[] = [];
    let next = fromBatch;
    const fill = () => {
      while (next < batchesPerEpoch && queue.length <= prefetch) {
        const pending = prepare(epoch, visit.slice(next * batchSize, (next + 1) * batchSize));
        // A batch still in flight when the consumer stops must not surface as an unhandled rejection.
        pending.catch(() => undefined);
        queue.push(pending);
        next++;
      }
    };
    for (let batch = fromBatch; batch < batchesPerEpoch; batch++) {
      fill();
      const p = await queue.shift()!;
      fill();
      const n = p.indices.length;
      yield {
        images: tf.tensor4d(p.images, [n, p.height, p.width, 3], 'float32'),
        labels: tf.tensor3d(p.labels, [n, p.height, p.width], 'int32'),
        indices: p.indices,
        ids: p.ids,
        epoch,
        batch,
      };
    }
  }

  async function* repeat(fromEpoch = 0, fromBatch = 0): AsyncGenerator<SegmentationBatch, void, undefined> {
    for (let e = fromEpoch; ; e++) {
      yield* epochBatches(e, e === fromEpoch ? fromBatch : 0);
    }
  }

  return { batchesPerEpoch, order, epoch: epochBatches, repeat };
}
