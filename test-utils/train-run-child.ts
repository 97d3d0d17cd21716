/**
 * Child process of the `seg-deeplab train` SIGKILL test: trains (or with
 * `--resume` resumes) as the command does, with the flags given, on a narrow
 * DeepLabV3+ (MobileNetV3 at width 0.25, 32 decoder channels) that the
 * command line has no flags for; one console line per checkpoint.
 */
import { trainOptionsFrom, trainProgram } from '../packages/deeplab/src/cli/train-command.js';
import { trainOnDataset } from '../packages/deeplab/src/cli/train/train-on-dataset.js';

const flags = trainProgram().exitOverride().parse(process.argv.slice(2), { from: 'user' }).opts();
await trainOnDataset({ ...trainOptionsFrom(flags), modelOptions: { widthMultiplier: 0.25, decoderChannels: 32 } }, { log: (line) => console.log(line), progress: false });
