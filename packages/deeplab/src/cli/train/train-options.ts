/**
 * The options of `seg-deeplab train`, under their flags' names, with the
 * defaults DeepLab practice uses (SGD with momentum 0.9, the poly schedule,
 * DeepLab's crop, flip and random scale).
 *
 * @module
 */
import type { BackboneName, SegBackendName } from '@seg/core';
import type { LrScheduleName, OptimizerName } from '@seg/core/internals';
import type { DatasetFormat } from '@seg/datasets';
import { DEFAULT_OUTPUT_STRIDE } from '@seg/core';
import { DEFAULT_BACKBONE, type DeepLabOutputStride, MIN_INPUT_SIZE } from '../../model/config.js';
import type { LossName } from '../../run/segmentation-replica.js';
import type { TorchvisionModelName } from '../../torchvision/torchvision-models.js';

/** `--model`: DeepLabV3+ or one of torchvision's segmentation models. */
export type TrainModelName = 'deeplabv3plus' | TorchvisionModelName;

/** `--classWeights`. */
export const CLASS_WEIGHTINGS = ['none', 'median-frequency'] as const;
export type ClassWeighting = (typeof CLASS_WEIGHTINGS)[number];

/** Everything `seg-deeplab train` is configured by. */
export interface TrainOptions {
  /** Dataset root. Required. */
  data: string;
  /** Dataset layout. Required. */
  format: DatasetFormat;
  trainSplit: string;
  valSplit: string;
  model: TrainModelName;
  /** DeepLabV3+'s trunk. */
  backbone: BackboneName;
  outputStride: DeepLabOutputStride;
  /**
   * `.pth` or `.safetensors`: ImageNet trunk weights for DeepLabV3+, a whole
   * torchvision checkpoint for a torchvision model; or a folder saved by
   * `saveModel` (a model of this run's architecture, e.g. an earlier `best-model/`).
   */
  weights?: string;
  /** Only checks: the dataset's class count must equal it. */
  numClasses?: number;
  cropSize: number;
  batchSize: number;
  /** Optimizer steps; `null` with `epochs`. */
  iterations: number | null;
  /** Passes over the training split; `null` with `iterations`. */
  epochs: number | null;
  evalEvery: number;
  /** Validation images scored at each evaluation (a seeded subset); `null`: the whole split. */
  valImages: number | null;
  /** Early stopping after this many evaluations without a better validation mIoU; `null`: none. */
  patience: number | null;
  optimizer: OptimizerName;
  lr: number;
  momentum: number;
  weightDecay: number;
  schedule: LrScheduleName;
  warmup: number;
  /** Train the head alone for this many iterations, then everything. */
  freezeTrunk: number;
  /** The trunk's BatchNorm layers in inference mode while it trains. */
  freezeBN: boolean;
  loss: LossName;
  classWeights: ClassWeighting;
  /** CPU replicas; `null`: one per core on the single-threaded backends. */
  workers: number | null;
  backend?: SegBackendName;
  out: string;
  resume: boolean;
  overwrite: boolean;
  /** Options a resume may change. */
  allowConfigChange: string[];
  /** ONNX file written from the final model. */
  export?: string;
  /** With `export`: half-precision weights. */
  fp16: boolean;
  seed: number;
  /** Not a flag: a narrower model for tests and small devices: a MobileNetV3 trunk's width, DeepLabV3+'s ASPP and decoder channels. Default none. */
  modelOptions?: { widthMultiplier?: number; decoderChannels?: number };
}

/** The defaults, each stated by `--help`. */
export const TRAIN_DEFAULTS = {
  trainSplit: 'train',
  valSplit: 'val',
  model: 'deeplabv3plus',
  backbone: DEFAULT_BACKBONE,
  outputStride: DEFAULT_OUTPUT_STRIDE,
  // DeepLab's crop for Pascal VOC (Chen et al. 2018).
  cropSize: 513,
  batchSize: 8,
  // DeepLab's VOC schedule: 30k iterations.
  iterations: 30_000,
  evalEvery: 1000,
  optimizer: 'sgd',
  // torchvision's reference recipe: 0.01 per 8 images, momentum 0.9, weight decay 1e-4, poly.
  lr: 0.01,
  momentum: 0.9,
  weightDecay: 1e-4,
  schedule: 'poly',
  warmup: 0,
  freezeTrunk: 0,
  loss: 'ce',
  classWeights: 'none',
  out: 'runs/train',
  seed: 0,
} as const satisfies Partial<TrainOptions>;

/** Checks the values no flag parser can (combinations, ranges), naming the flag and what would be right. */
export function validateTrainOptions(o: TrainOptions): void {
  const counts = { cropSize: o.cropSize, batchSize: o.batchSize, evalEvery: o.evalEvery, iterations: o.iterations, epochs: o.epochs, valImages: o.valImages, patience: o.patience, workers: o.workers, numClasses: o.numClasses };
  for (const [flag, value] of Object.entries(counts)) {
    if (value !== null && value !== undefined && !(Number.isInteger(value) && value >= 1)) throw new Error(`--${flag} must be a positive integer, got ${value}`);
  }
  if (o.iterations !== null && o.epochs !== null) throw new Error('--iterations and --epochs both set the run length; pass one of them');
  if (!(o.lr > 0)) throw new Error(`--lr must be > 0, got ${o.lr}`);
  if (!(o.momentum >= 0 && o.momentum < 1)) throw new Error(`--momentum must be in [0, 1), got ${o.momentum}`);
  if (!(o.weightDecay >= 0)) throw new Error(`--weightDecay must be >= 0, got ${o.weightDecay}`);
  if (!(Number.isInteger(o.warmup) && o.warmup >= 0)) throw new Error(`--warmup must be an integer >= 0 (iterations), got ${o.warmup}`);
  if (!(Number.isInteger(o.freezeTrunk) && o.freezeTrunk >= 0)) throw new Error(`--freezeTrunk must be an integer >= 0 (iterations), got ${o.freezeTrunk}`);
  if (o.cropSize < MIN_INPUT_SIZE) throw new Error(`--cropSize must be at least ${MIN_INPUT_SIZE} (the models' smallest input), got ${o.cropSize}`);
  if (o.fp16 && !o.export) throw new Error('--fp16 sets the precision of --export <file.onnx>; pass --export too');
  if (o.model !== 'deeplabv3plus' && o.freezeTrunk > 0 && !o.weights) {
    throw new Error(`--freezeTrunk ${o.freezeTrunk}: the trunk of ${o.model} would stay at random weights; pass --weights <checkpoint> or leave out --freezeTrunk`);
  }
}
