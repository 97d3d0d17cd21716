import type { BackboneName, BackboneOptionsByName, SegBackendName } from '@seg/core';
import { type DeepLabOutputStride, MIN_INPUT_SIZE } from '@seg/deeplab';
import { PRESETS, type PresetName } from './presets.js';

/**
 * Everything a training run is configured by. The first seven fields are the
 * reference PyTorch run's flags (same names); the rest were constants of its
 * `config.py` or are new (data location, backbone, output folder).
 */
export interface TrainMsrcOptions {
  /** Resume from the checkpoint in `<out>/checkpoint` (weights, optimizer state, step, data position, RNG). */
  loadCheckpoint: boolean;
  /** Data-parallel training over every visible GPU (a replica per GPU; at least two). */
  multiGPU: boolean;
  /**
   * Data-parallel replicas on the CPU (worker threads, each batch split across
   * them). `null`: one per core when the batch has that many images, on the
   * single-threaded wasm and cpu backends; otherwise one.
   */
  workers: number | null;
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
  backbone: BackboneName;
  outputStride: DeepLabOutputStride;
  /** Optimizer steps to train for. */
  iterations: number;
  batchSize: number;
  /** Side of the square training crops. */
  cropSize: number;
  learningRateTrunk: number;
  learningRateAspp: number;
  learningRateDecoder: number;
  /** Early stopping: validations without improvement before training stops; `null`: none (the reference run had none). */
  patience: number | null;
  /** Output folder: checkpoint, best model, validation images, metrics. */
  out: string;
  /** Seed of every random draw of the run: initial weights, dropout masks, data order, augmentation, validation subsets. */
  seed: number;
  /** tfjs backend to use; default: the best installed (tfjs-node-gpu, then WebGPU on a hardware adapter). A software WebGPU adapter needs SEG_ALLOW_SOFTWARE_GPU=1. */
  backend?: SegBackendName;
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
  /** The backbone's own options (reduced widths for smoke tests and the demo), as `deeplabV3Plus`'s `backboneOptions`. */
  backboneOptions?: BackboneOptionsByName[BackboneName];
  /** Channels of the ASPP and decoder (256 in the paper). */
  decoderChannels?: number;

  /** The preset the values not given explicitly come from (see `presets.ts`). */
  preset: PresetName;
  /** Cross-entropy class weights: the reference run's, none, or a JSON file with one weight per class. */
  classWeights: 'reference' | 'none' | (string & {});
  /** Atrous rates of the ASPP's 3x3 branches; `null`: the paper's for the output stride. */
  asppRates: [number, number, number] | null;
  /** Bias on the ASPP convolutions (PyTorch's `Conv2d` default, which the reference run kept). */
  asppBias: boolean;
  /** Spatial dropout after each ASPP branch. */
  asppBranchDropout: number;
  /** Dropout after the ASPP projection. */
  asppDropout: number;
  /** Whether `asppDropout` drops whole channels (`Dropout2d`) rather than single activations. */
  spatialDropout: boolean;
  /** Spatial dropout after the decoder's low-level projection and its two fusion convolutions. */
  decoderDropout: [number, number, number];
  /** Print the resolved configuration (`resolveRunConfig`) as JSON and exit instead of training. */
  printConfig?: boolean;
  /** Training augmentation: the reference run's (`augment.ts`) or the paper's random scale. */
  augmentation: 'reference' | 'paper';
}

/** The reference preset's values, and defaults for what no preset sets. */
export const DEFAULT_TRAIN_MSRC_OPTIONS: Omit<TrainMsrcOptions, 'data'> = {
  loadCheckpoint: false,
  multiGPU: false,
  workers: null,
  saveFreq: null,
  trainTrunk: false,
  out: 'runs/msrc',
  seed: 0,
  preset: 'reference',
  ...PRESETS.reference,
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
  if (o.workers !== null) {
    positiveInteger('workers', o.workers);
    if (o.multiGPU) throw new Error('--workers sets CPU replicas, --multiGPU a replica per GPU; pass one of the two');
  }
  if (o.patience !== null) positiveInteger('patience', o.patience);
  for (const r of o.asppRates ?? []) positiveInteger('asppRates', r);
  for (const [flag, rate] of [['asppBranchDropout', o.asppBranchDropout], ['asppDropout', o.asppDropout], ...o.decoderDropout.map((r) => ['decoderDropout', r] as const)] as const) {
    if (!(rate >= 0 && rate < 1)) throw new Error(`--${flag} must be a rate in [0, 1), got ${rate}`);
  }
  if (!(o.weightDecay >= 0)) throw new Error(`--weightDecay must be >= 0, got ${o.weightDecay}`);
  if (o.cropSize < MIN_INPUT_SIZE) throw new Error(`--cropSize must be at least ${MIN_INPUT_SIZE} (DeepLabV3+'s smallest input), got ${o.cropSize}`);
  for (const k of ['learningRateTrunk', 'learningRateAspp', 'learningRateDecoder'] as const) {
    if (!(o[k] > 0)) throw new Error(`--${k} must be > 0, got ${o[k]}`);
  }
}

/**
 * Refuses a frozen trunk of random weights (no `--trainTrunk`, no
 * `--trunkWeights`): the reference run always loaded ImageNet weights, and a
 * head trained on random features learns next to nothing.
 */
export function refuseRandomFrozenTrunk(o: Pick<TrainMsrcOptions, 'trainTrunk' | 'trunkWeights'>): void {
  if (!o.trainTrunk && !o.trunkWeights) {
    throw new Error(
      'the trunk would stay frozen at random weights: pass --trunkWeights <file.safetensors> (ImageNet ResNet weights, as the reference run used) or --trainTrunk to train it',
    );
  }
}
