import { Command } from 'commander';
import { segmentMany } from '../batch/segment-many.js';
import { followRun } from './follow-run.js';
import type { CliIo } from './io.js';
import { stopSignal } from './io.js';
import { backendOption, positiveInt, type SegmentationFlags, segmentationOptions, segmentationSettings } from './options.js';

/** What a command needs from the program: where to write and how to report its exit code. */
export interface CommandContext {
  io: CliIo;
  exit(code: number): void;
}

/** `seg-deeplab segment <model> <inputs...> --out <dir>`: every image on this machine's cores. */
export function segmentCommand(ctx: CommandContext): Command {
  const command = new Command('segment')
    .summary("segment image files on this machine's cores")
    .description(
      'segment image files on this machine: writes <out>/<rel>.png per image (class ids, with the palette when the model has one), ' +
        'what --save adds, and <out>/summary.json; images whose labels PNG exists are skipped',
    )
    .argument('<model>', 'a saved model folder (model.json + weight shards), or an .onnx file (ONNX Runtime)')
    .argument('<inputs...>', 'image files, folders (searched recursively) and @list.txt files (one path per line)')
    .requiredOption('--out <dir>', 'output folder')
    .option('--workers <n>', 'worker processes, each loading the model once (default: one per core on CPU, one per GPU)', positiveInt('--workers'))
    .addOption(backendOption());
  for (const option of segmentationOptions()) command.addOption(option);
  return command.action(async (model: string, inputs: string[], flags: SegmentationFlags & { out: string; workers?: number; backend?: never }) => {
    const stop = stopSignal(ctx.io, 'finishing the images in flight, then writing the summary');
    try {
      const run = segmentMany(model, inputs, { ...segmentationSettings(flags), out: flags.out, workers: flags.workers, backend: flags.backend, signal: stop.signal });
      ctx.exit(await followRun(run, ctx.io));
    } finally {
      stop.dispose();
    }
  });
}
