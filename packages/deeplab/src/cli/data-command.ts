import { DATASET_FORMATS, type DatasetFormat, formatDatasetReport, validateDataset } from '@seg/datasets';
import { Command, Option } from 'commander';
import type { CliIo } from './io.js';

/** `seg-deeplab data check <root> --format <f> [--json]`: every problem of a dataset copy, each with its file; exit code 1 when there are any. */
export function dataCommand(ctx: { io: CliIo; exit: (code: number) => void }): Command {
  const { io } = ctx;
  const check = new Command('check')
    // addCommand() does not pass these settings on to a nested command.
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .description('validate a dataset before training: lists every missing, unreadable or inconsistent file; exits 1 on problems')
    .argument('<root>', 'the folder the download extracts to, or the folder above it')
    .addOption(new Option('--format <format>', 'the dataset layout').choices(DATASET_FORMATS).makeOptionMandatory())
    .option('--json', 'print the report as JSON')
    .action(async (root: string, opts: { format: DatasetFormat; json?: boolean }) => {
      const report = await validateDataset(root, { format: opts.format });
      io.out(`${opts.json ? JSON.stringify(report, null, 2) : formatDatasetReport(report)}\n`);
      ctx.exit(report.ok ? 0 : 1);
    });
  return new Command('data').description('dataset tools: check a copy of VOC, Cityscapes, ADE20K, COCO-Stuff, MSRC or a folder').addCommand(check);
}
