import type { DeepLabBackbone, OutputStride } from '@seg/deeplab';

/**
 * Everything a training run is configured by. The first seven fields are the
 * reference PyTorch run's flags (same names); the rest were constants of its
 * `config.py` or are new (data location, backbone, output folder).
 */
export interface TrainMsrcOptions {
  /** Resume from the checkpoint in `<out>/checkpoint` (weights, optimizer state, step, data position, RNG). */
  loadCheckpoint: boolean;
  /** Data-parallel training over every visible GPU. */
  multiGPU: boolean;
  /** Save the model when validation accuracy improved, checked every this many iterations. `null`: at every log. */
  saveFreq: number | null;
  /** Validation images scored at each log (a seeded random subset, as the reference run did). */
  valImages: number;
  /** Log (and validate) every this many iterations. */
  logFreq: number;
  /** L2 weight decay of the ASPP and decoder optimizers (`torch.optim.Adam(weight_decay=...)`). */
  weightDecay: number;
  /** Train the ResNet trunk too (with its own, smaller learning rate); otherwise it stays frozen. */
  trainTrunk: boolean;

  /** MSRC-v2 folder (or its parent). */
  data: string;
  /** Folder with Train.txt / Validation.txt / Test.txt. Default: found next to the data. */
  splitDir?: string;
  /** ImageNet-pretrained torchvision/timm ResNet weights (`.safetensors`) for the trunk. */
  trunkWeights?: string;
  backbone: DeepLabBackbone;
  outputStride: OutputStride;
  /** Optimizer steps to train for. */
  iterations: number;
  batchSize: number;
  /** Side of the square training crops. */
  cropSize: number;
  learningRateTrunk: number;
  learningRateAspp: number;
  learningRateDecoder: number;
  /** Early stopping: validations without improvement before training stops. */
  patience: number;
  /** Output folder: checkpoint, best model, validation images, metrics. */
  out: string;
  seed: number;
  /** tfjs backend to use; default: the best installed (tfjs-node-gpu, then WebGPU on a hardware adapter). A software WebGPU adapter needs SEG_ALLOW_SOFTWARE_GPU=1. */
  backend?: 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';
  /**
   * Start afresh in an `out` that holds an earlier run's checkpoint, removing
   * that run's checkpoint, models, images and metrics first. Without it (or
   * `loadCheckpoint`), such a folder is refused.
   */
  overwrite: boolean;
  /**
   * Options allowed to differ from the checkpoint's on `loadCheckpoint`
   * (e.g. `['iterations']` to train longer); any other difference is refused.
   */
  allowConfigChange: string[];
  /** Options handed to the backbone factory (reduced widths for smoke tests and the demo). */
  backboneOptions?: Record<string, unknown>;
  /** Channels of the ASPP and decoder (256 in the paper). */
  decoderChannels?: number;
}

/** Defaults of the reference run where it had them, the paper's otherwise. */
export const DEFAULT_TRAIN_MSRC_OPTIONS: Omit<TrainMsrcOptions, 'data'> = {
  loadCheckpoint: false,
  multiGPU: false,
  saveFreq: null,
  valImages: 10,
  logFreq: 50,
  weightDecay: 1e-4,
  trainTrunk: false,
  backbone: 'resnet101',
  outputStride: 8,
  iterations: 20000,
  batchSize: 8,
  cropSize: 320,
  learningRateTrunk: 1e-5,
  learningRateAspp: 1e-4,
  learningRateDecoder: 1e-4,
  patience: 20,
  out: 'runs/msrc',
  seed: 0,
  overwrite: false,
  allowConfigChange: [],
};

function positiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer, got ${value}`);
}

/** Checks option values, naming the flag and what would be right. */
export function validateOptions(o: TrainMsrcOptions): void {
  positiveInteger('valImages', o.valImages);
  positiveInteger('logFreq', o.logFreq);
  positiveInteger('iterations', o.iterations);
  positiveInteger('batchSize', o.batchSize);
  positiveInteger('cropSize', o.cropSize);
  if (o.saveFreq !== null) positiveInteger('saveFreq', o.saveFreq);
  if (!(o.weightDecay >= 0)) throw new Error(`--weightDecay must be >= 0, got ${o.weightDecay}`);
  if (o.cropSize < 32) throw new Error(`--cropSize must be at least 32 (DeepLabV3+'s smallest input), got ${o.cropSize}`);
  for (const k of ['learningRateTrunk', 'learningRateAspp', 'learningRateDecoder'] as const) {
    if (!(o[k] > 0)) throw new Error(`--${k} must be > 0, got ${o[k]}`);
  }
}
