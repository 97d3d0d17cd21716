import { Command, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_TRAIN_MSRC_OPTIONS as D, type TrainMsrcOptions } from './options.js';

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

/** The command line: the reference run's flags first, under their original names. */
export function trainMsrcProgram(): Command {
  return new Command('train-msrc')
    .description('Train DeepLabV3+ on MSRC-v2 (the reference PyTorch run, in TensorFlow.js)')
    .requiredOption('--data <dir>', 'MSRC-v2 folder (MSRC_ObjCategImageDatabase_v2) or its parent')
    .option('--loadCheckpoint', 'resume from <out>/checkpoint', D.loadCheckpoint)
    .option('--multiGPU', 'data-parallel over every visible GPU (not available yet)', D.multiGPU)
    .option('--saveFreq <n>', 'save the model on improvement, checked every n iterations (default: logFreq)', int)
    .option('--valImages <n>', 'random validation images scored at each log', int, D.valImages)
    .option('--logFreq <n>', 'log and validate every n iterations', int, D.logFreq)
    .option('--weightDecay <w>', 'L2 weight decay of the ASPP and decoder optimizers', float, D.weightDecay)
    .option('--trainTrunk', 'also train the ResNet trunk (frozen otherwise)', D.trainTrunk)
    .option('--splitDir <dir>', 'folder with Train.txt, Validation.txt, Test.txt')
    .option('--trunkWeights <file>', 'ImageNet ResNet weights (.safetensors, torchvision/timm layout)')
    .addOption(new Option('--backbone <name>', 'trunk').choices(['resnet18', 'resnet34', 'resnet50', 'resnet101']).default(D.backbone))
    .addOption(new Option('--outputStride <n>', 'output stride').choices(['8', '16']).default(String(D.outputStride)))
    .option('--iterations <n>', 'optimizer steps', int, D.iterations)
    .option('--batchSize <n>', 'images per step', int, D.batchSize)
    .option('--cropSize <n>', 'side of the square training crops', int, D.cropSize)
    .option('--learningRateTrunk <lr>', 'Adam learning rate of the trunk', float, D.learningRateTrunk)
    .option('--learningRateAspp <lr>', 'Adam learning rate of the ASPP', float, D.learningRateAspp)
    .option('--learningRateDecoder <lr>', 'Adam learning rate of the decoder', float, D.learningRateDecoder)
    .option('--patience <n>', 'early stopping: validations without improvement', int, D.patience)
    .option('--out <dir>', 'output folder (locked while a run uses it)', D.out)
    .option('--overwrite', "start afresh in an --out holding an earlier run's checkpoint, deleting its outputs", D.overwrite)
    .option(
      '--allowConfigChange <options>',
      'with --loadCheckpoint: comma-separated options that may differ from the checkpoint (e.g. iterations)',
      (v: string) => v.split(',').map((k) => k.trim().replace(/^--/, '')).filter(Boolean),
      D.allowConfigChange,
    )
    .option('--seed <n>', 'seed of data order and augmentation', int, D.seed)
    .addOption(new Option('--backend <name>', 'tfjs backend (default: the best installed)').choices(['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']));
}

/** Parses argv into {@link TrainMsrcOptions}. */
export function parseTrainMsrcArgs(argv: readonly string[]): TrainMsrcOptions {
  // Errors are thrown (and printed once, by the caller) rather than printed here and exited on.
  const program = trainMsrcProgram()
    .exitOverride()
    .configureOutput({ writeErr: () => {} });
  program.parse(argv as string[], { from: 'user' });
  const o = program.opts();
  return {
    ...D,
    ...o,
    data: o.data,
    saveFreq: o.saveFreq ?? null,
    outputStride: Number(o.outputStride) as 8 | 16,
  } as TrainMsrcOptions;
}
