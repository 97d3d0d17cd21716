import { DEFAULT_ASPP_DROPOUT } from '@seg/core';
import { REFERENCE_MSRC_ARCHITECTURE as ARCHITECTURE } from '@seg/deeplab';
import type { TrainMsrcOptions } from './options.js';

/** Names `--preset` takes. */
export const PRESET_NAMES = ['reference', 'paper'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The option keys a preset sets; every one can be overridden by its flag. */
export const PRESET_KEYS = [
  'batchSize',
  'cropSize',
  'learningRateTrunk',
  'learningRateAspp',
  'learningRateDecoder',
  'weightDecay',
  'classWeights',
  'iterations',
  'patience',
  'valImages',
  'logFreq',
  'backbone',
  'outputStride',
  'asppRates',
  'asppBias',
  'asppBranchDropout',
  'asppDropout',
  'spatialDropout',
  'decoderDropout',
  'augmentation',
] as const satisfies readonly (keyof TrainMsrcOptions)[];

export type PresetValues = Pick<TrainMsrcOptions, (typeof PRESET_KEYS)[number]>;

/**
 * The reference run's `CLASS_WEIGHTS` (its `config.py`), by MSRC class id,
 * void last: its cross-entropy weights.
 */
export const REFERENCE_CLASS_WEIGHTS: readonly number[] = Object.freeze([
  0.02283698, 0.01752631, 0.02594525, 0.0465623, 0.05320811, 0.02583834, 0.06384576, 0.02855956, 0.05972257, 0.04401637, 0.04712877,
  0.0478564, 0.05642, 0.06866287, 0.03427422, 0.05937304, 0.02572517, 0.05991307, 0.06407892, 0.05095111, 0.08507827, 0.01247661,
]);

/** The reference run's train-split size × its dataset's 1000 samples per image / its batch of 16: one DataLoader epoch. */
const REFERENCE_ITERATIONS = (276 * 1000) / 16;

const REFERENCE: Readonly<PresetValues> = Object.freeze<PresetValues>({
  batchSize: 16,
  cropSize: 192,
  learningRateTrunk: 1e-6,
  learningRateAspp: 1e-5,
  learningRateDecoder: 1e-4,
  weightDecay: 5e-4,
  classWeights: 'reference',
  iterations: REFERENCE_ITERATIONS,
  patience: null,
  valImages: 10,
  logFreq: 50,
  // The architecture's values are @seg/deeplab's record of the project's models/ (REFERENCE_MSRC_ARCHITECTURE).
  backbone: ARCHITECTURE.backbone!,
  outputStride: ARCHITECTURE.outputStride!,
  asppRates: [...ARCHITECTURE.aspp!.rates!],
  asppBias: ARCHITECTURE.aspp!.useBias!,
  asppBranchDropout: ARCHITECTURE.aspp!.branchDropout!,
  asppDropout: ARCHITECTURE.aspp!.dropout!,
  spatialDropout: ARCHITECTURE.aspp!.spatialDropout!,
  decoderDropout: [...ARCHITECTURE.decoderDropout!],
  augmentation: 'reference',
});

/**
 * `reference`: every value of the original PyTorch run (its `config.py`,
 * `train.py` defaults, `models/ASPP.py`, `models/Decoder.py`,
 * `transforms.py`); `examples/train-msrc/fixtures/original-settings.json`
 * lists each with its source line.
 *
 * `paper`: the DeepLabV3+ paper's head (ASPP rates 6/12/18 at output stride
 * 16, 12/24/36 at 8; no dropout in the branches or the decoder, dropout after
 * the projection as torchvision's ASPP; no conv bias before batch norm),
 * unweighted cross-entropy and the paper's random-scale augmentation. The
 * paper's SGD schedule has no counterpart here, so the training values
 * (per-module Adam, batch, crop, length) stay the reference run's.
 */
export const PRESETS: Readonly<Record<PresetName, Readonly<PresetValues>>> = Object.freeze({
  reference: REFERENCE,
  paper: Object.freeze<PresetValues>({
    ...REFERENCE,
    classWeights: 'none',
    // null: the paper's rates for the output stride, from @seg/core.
    asppRates: null,
    asppBias: false,
    asppBranchDropout: 0,
    asppDropout: DEFAULT_ASPP_DROPOUT,
    spatialDropout: false,
    decoderDropout: [0, 0, 0],
    augmentation: 'paper',
  }),
});

/** The preset's values with every explicitly given option on top. */
export function withPreset(name: string, given: Partial<TrainMsrcOptions>): PresetValues & Partial<TrainMsrcOptions> {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new Error(`--preset ${name} is unknown; use one of ${PRESET_NAMES.join(', ')}`);
  }
  const defined = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { ...PRESETS[name as PresetName], ...defined, preset: name as PresetName };
}
