import { BACKBONE_NAMES } from '@seg/core';
import { LR_SCHEDULES, OPTIMIZERS } from '@seg/core/internals';
import { DATASET_FORMATS } from '@seg/datasets';
import { Command, InvalidArgumentError, Option } from 'commander';
import { DEEPLAB_OUTPUT_STRIDES, type DeepLabOutputStride } from '../model/config.js';
import { LOSS_NAMES } from '../run/segmentation-replica.js';
import { TORCHVISION_MODELS } from '../torchvision/torchvision-models.js';
import { backendOption, positiveInt } from './options.js';
import type { CommandContext } from './segment-command.js';
import { trainOnDataset } from './train/train-on-dataset.js';
import { CLASS_WEIGHTINGS, TRAIN_DEFAULTS as D, type TrainOptions } from './train/train-options.js';

const number = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${flag} expects a number, got "${value}"`);
  return n;
};
const count = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${flag} expects an integer >= 0, got "${value}"`);
  return n;
};

/** The `seg-deeplab train` command line: flags, their defaults (stated in `--help`) and choices. */
export function trainProgram(): Command {
  return new Command('train')
    .summary('train or fine-tune a model on a dataset in a standard layout')
    .description(
      'train DeepLabV3+ or fine-tune a torchvision segmentation model on a dataset (see docs/guides/fine-tuning.md); ' +
        'the class count and names come from the dataset. Writes <out>/config.json, log.jsonl, checkpoint/, best-model/, model/, ' +
        'images/, metrics.json and report.html; --resume continues a run, raising --iterations trains it longer',
    )
    .requiredOption('--data <root>', 'dataset root (the folder its download extracts to, or the one above)')
    .addOption(new Option('--format <format>', 'dataset layout').choices(DATASET_FORMATS).makeOptionMandatory())
    .option('--trainSplit <name>', 'split trained on', D.trainSplit)
    .option('--valSplit <name>', 'split validated on (and scored into metrics.json)', D.valSplit)
    .addOption(new Option('--model <name>', 'DeepLabV3+ or a torchvision segmentation model').choices(['deeplabv3plus', ...TORCHVISION_MODELS]).default(D.model))
    .addOption(new Option('--backbone <name>', "DeepLabV3+'s trunk").choices(BACKBONE_NAMES).default(D.backbone))
    .addOption(new Option('--outputStride <n>', "DeepLabV3+'s output stride").choices(DEEPLAB_OUTPUT_STRIDES.map(String)).default(String(D.outputStride)))
    .option('--weights <file>', 'DeepLabV3+: ImageNet trunk weights (.pth/.safetensors); torchvision: a whole checkpoint (its head replaced for new classes); or a saved model folder')
    .option('--numClasses <n>', "check only: fail unless the dataset has n classes (the count comes from the dataset)", positiveInt('--numClasses'))
    .option('--cropSize <n>', 'side of the square training crops (smaller images are padded with the ignore index)', positiveInt('--cropSize'), D.cropSize)
    .option('--batchSize <n>', 'images per step', positiveInt('--batchSize'), D.batchSize)
    .option('--iterations <n>', `optimizer steps (default: ${D.iterations}, unless --epochs)`, positiveInt('--iterations'))
    .option('--epochs <n>', 'passes over the training split, instead of --iterations', positiveInt('--epochs'))
    .option('--evalEvery <n>', 'validate (and checkpoint) every n iterations', positiveInt('--evalEvery'), D.evalEvery)
    .option('--valImages <n>', 'validation images scored at each evaluation, a seeded subset (default: the whole split)', positiveInt('--valImages'))
    .option('--patience <n>', 'stop after n evaluations without a better validation mIoU (default: never)', positiveInt('--patience'))
    .addOption(new Option('--optimizer <name>', 'optimizer').choices(OPTIMIZERS).default(D.optimizer))
    .option('--lr <rate>', 'base learning rate', number('--lr'), D.lr)
    .option('--momentum <m>', 'SGD momentum', number('--momentum'), D.momentum)
    .option('--weightDecay <w>', 'weight decay (L2 for sgd and adam, decoupled for adamw)', number('--weightDecay'), D.weightDecay)
    .addOption(new Option('--schedule <name>', 'learning-rate schedule (poly: power 0.9, as DeepLab)').choices(LR_SCHEDULES).default(D.schedule))
    .option('--warmup <n>', 'linear warmup iterations', count('--warmup'), D.warmup)
    .option('--freezeTrunk <n>', 'train the head alone for n iterations (trunk BatchNorm in inference mode), then everything', count('--freezeTrunk'), D.freezeTrunk)
    .option('--freezeBN', "keep the trunk's BatchNorm in inference mode (running statistics not updated) while it trains")
    .addOption(new Option('--loss <name>', 'loss').choices(LOSS_NAMES).default(D.loss))
    .addOption(new Option('--classWeights <w>', "class weights of the loss, from the training split's pixel counts").choices(CLASS_WEIGHTINGS).default(D.classWeights))
    .option('--workers <n>', 'data-parallel CPU replicas (default: one per core on wasm/cpu when the batch allows)', positiveInt('--workers'))
    .addOption(backendOption().default(undefined, 'the best that works here'))
    .option('--out <dir>', 'run folder (locked while a run uses it)', D.out)
    .option('--resume', 'continue the run in --out from its checkpoint')
    .option('--overwrite', 'start afresh in --out, removing what earlier runs wrote there (and nothing else)')
    .option(
      '--allowConfigChange <options>',
      'with --resume: comma-separated options that may differ from the checkpoint (the run length always may)',
      (v: string) => v.split(',').map((k) => k.trim().replace(/^--/, '')).filter(Boolean),
    )
    .option('--export <file.onnx>', 'also export the final model to ONNX (its folder must exist)')
    .option('--fp16', 'with --export: half-precision weights')
    .option('--seed <n>', 'seed of initial weights, data order, augmentation and validation subsets', count('--seed'), D.seed);
}

/** The parsed flags as {@link TrainOptions}. */
export function trainOptionsFrom(flags: Record<string, unknown>): TrainOptions {
  const f = flags as Omit<TrainOptions, 'outputStride'> & { outputStride: string };
  return {
    ...f,
    outputStride: Number(f.outputStride) as DeepLabOutputStride,
    iterations: f.iterations ?? (f.epochs === undefined ? D.iterations : null),
    epochs: f.epochs ?? null,
    valImages: f.valImages ?? null,
    patience: f.patience ?? null,
    workers: f.workers ?? null,
    freezeBN: f.freezeBN === true,
    resume: f.resume === true,
    overwrite: f.overwrite === true,
    fp16: f.fp16 === true,
    allowConfigChange: f.allowConfigChange ?? [],
  } as TrainOptions;
}

/** `seg-deeplab train --data <root> --format <f> …`. */
export function trainCommand(ctx: CommandContext): Command {
  return trainProgram().action(async (flags: Record<string, unknown>) => {
    await trainOnDataset(trainOptionsFrom(flags), { log: (line) => ctx.io.out(`${line}\n`), progress: ctx.io.progress });
  });
}
