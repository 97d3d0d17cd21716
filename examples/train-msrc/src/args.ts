import { BACKBONE_NAMES, DEFAULT_ASPP_DROPOUT, NODE_BACKEND_ORDER } from '@seg/core';
import { DEEPLAB_OUTPUT_STRIDES, type DeepLabOutputStride } from '@seg/deeplab';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_TRAIN_MSRC_OPTIONS as D, type TrainMsrcOptions } from './options.js';
import { PRESET_NAMES, withPreset } from './presets.js';

const int = (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n)) throw new InvalidArgumentError(`expected an integer, got "${v}"`);
  return n;
};
const float = (v: string) => {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`expected a number, got "${v}"`);
  return n;
};

const rate = (v: string) => {
  const n = float(v);
  if (!(n >= 0 && n < 1)) throw new InvalidArgumentError(`expected a rate in [0, 1), got "${v}"`);
  return n;
};
const triple = (parse: (v: string) => number, example: string) => (v: string) => {
  const parts = v.split(',');
  if (parts.length !== 3) throw new InvalidArgumentError(`expected three comma-separated values such as ${example}, got "${v}"`);
  return parts.map(parse) as [number, number, number];
};
// commander turns a parser's null into '': "none" stays a string until parseTrainMsrcArgs maps it.
const patience = (v: string) => (v === 'none' ? v : int(v));

/** The command line: the reference run's flags first, under their original names. */
export function trainMsrcProgram(): Command {
  return new Command('train-msrc')
    .description('Train DeepLabV3+ on MSRC-v2 (the reference PyTorch run, in TensorFlow.js)')
    .requiredOption('--data <dir>', 'MSRC-v2 folder (MSRC_ObjCategImageDatabase_v2) or its parent')
    .option('--loadCheckpoint', 'resume from <out>/checkpoint', D.loadCheckpoint)
    .option('--multiGPU', 'data-parallel over every visible GPU (a process per GPU; needs two or more)', D.multiGPU)
    .option('--workers <n>', 'data-parallel CPU replicas (worker threads; default: one per core on wasm/cpu when the batch allows)', int)
    .option('--saveFreq <n>', 'save the model on improvement, checked every n iterations (default: logFreq)', int)
    .option('--valImages <n>', 'random validation images scored at each log (preset: 10)', int)
    .option('--logFreq <n>', 'log and validate every n iterations (preset: 50)', int)
    .option('--weightDecay <w>', 'L2 weight decay of the ASPP and decoder optimizers (reference: 5e-4)', float)
    .option('--trainTrunk', 'also train the ResNet trunk (frozen otherwise)', D.trainTrunk)
    .option('--splitDir <dir>', 'folder with Train.txt, Validation.txt, Test.txt')
    .option('--trunkWeights <file>', 'ImageNet trunk weights (.safetensors or .pth, torchvision/timm layout)')
    .addOption(
      new Option('--preset <name>', 'where every value not given comes from: the original run, or the DeepLabV3+ paper').choices(PRESET_NAMES).default(D.preset),
    )
    .option('--print-config', 'print the fully resolved configuration as JSON and exit')
    .addOption(new Option('--backbone <name>', 'trunk (preset: resnet101)').choices(BACKBONE_NAMES))
    .addOption(new Option('--outputStride <n>', 'output stride (preset: 8)').choices(DEEPLAB_OUTPUT_STRIDES.map(String)))
    .option('--iterations <n>', 'optimizer steps (reference: 17250, one pass of the original data loader)', int)
    .option('--batchSize <n>', 'images per step (reference: 16)', int)
    .option('--cropSize <n>', 'side of the square training crops (reference: 192)', int)
    .option('--learningRateTrunk <lr>', 'Adam learning rate of the trunk (reference: 1e-6)', float)
    .option('--learningRateAspp <lr>', 'Adam learning rate of the ASPP (reference: 1e-5)', float)
    .option('--learningRateDecoder <lr>', 'Adam learning rate of the decoder (reference: 1e-4)', float)
    .option('--classWeights <w>', 'cross-entropy class weights: reference, none, or a JSON file with one weight per class')
    .option('--asppRates <a,b,c>', 'atrous rates of the ASPP (reference: 4,8,14; paper: 6,12,18 at OS 16, 12,24,36 at OS 8)', triple(int, '4,8,14'))
    .option('--asppBias', 'bias on the ASPP convolutions (reference)')
    .option('--no-asppBias', 'no bias on the ASPP convolutions (paper)')
    .option('--asppBranchDropout <r>', 'spatial dropout after each ASPP branch (reference: 0.5, paper: 0)', rate)
    .option('--asppDropout <r>', `dropout after the ASPP projection (${DEFAULT_ASPP_DROPOUT})`, rate)
    .option('--spatialDropout', 'the ASPP projection dropout drops whole channels, as Dropout2d (reference)')
    .option('--no-spatialDropout', 'the ASPP projection dropout drops single activations (paper)')
    .option('--decoderDropout <a,b,c>', 'spatial dropout after the decoder projection and fusions (reference: 0.5,0.5,0.15)', triple(rate, '0.5,0.5,0.15'))
    .addOption(new Option('--augmentation <name>', 'training augmentation (preset: its own)').choices(['reference', 'paper']))
    .option('--patience <n>', 'early stopping after n validations without improvement, or "none" (preset: none)', patience)
    .option('--out <dir>', 'output folder (locked while a run uses it)', D.out)
    .option('--overwrite', "start afresh in an --out holding an earlier run's checkpoint, deleting its outputs", D.overwrite)
    .option(
      '--allowConfigChange <options>',
      'with --loadCheckpoint: comma-separated options that may differ from the checkpoint (e.g. iterations)',
      (v: string) => v.split(',').map((k) => k.trim().replace(/^--/, '')).filter(Boolean),
      D.allowConfigChange,
    )
    .option('--seed <n>', 'seed of initial weights, dropout, data order and augmentation', int, D.seed)
    .addOption(new Option('--backend <name>', 'tfjs backend (default: the best installed)').choices(NODE_BACKEND_ORDER));
}

/** Parses argv into {@link TrainMsrcOptions}. */
export function parseTrainMsrcArgs(argv: readonly string[]): TrainMsrcOptions {
  // Errors are thrown (and printed once, by the caller) rather than printed here and exited on.
  const program = trainMsrcProgram()
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  program.parse(argv as string[], { from: 'user' });
  const { printConfig, preset, ...o } = program.opts();
  const given = {
    ...o,
    outputStride: o.outputStride === undefined ? undefined : (Number(o.outputStride) as DeepLabOutputStride),
    patience: o.patience === 'none' ? null : o.patience,
  };
  return {
    ...D,
    ...withPreset(preset, given),
    data: o.data,
    saveFreq: o.saveFreq ?? null,
    workers: o.workers ?? null,
    printConfig: printConfig === true,
  } as TrainMsrcOptions;
}
