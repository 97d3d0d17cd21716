import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { formatMsrcReport, MSRC_SPLIT_FILES, MSRC_SPLITS, validateMsrc } from '@seg/datasets/msrc';
import { generateSyntheticMsrc } from '../synthetic.js';

/** Where the CLI writes; tests pass their own. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

function intOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new InvalidArgumentError(`${name} must be an integer, got "${value}"`);
    return n;
  };
}

function shareOption(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!(n >= 0 && n <= 1)) throw new InvalidArgumentError(`${name} must be a number in [0, 1], got "${value}"`);
    return n;
  };
}

/**
 * Runs the `seg-msrc` command line: `check <root>` validates an MSRC-v2 copy
 * (exit code 1 when it has problems), `synth <dir>` writes a synthetic
 * MSRC-format dataset.
 *
 * @param argv The arguments after the program name.
 * @returns The process exit code.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const program = new Command('seg-msrc')
    .description('MSRC-v2 (MSRC-21) dataset tools for @seg')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('check')
    .description('validate an MSRC-v2 copy: lists every missing, corrupt or inconsistent file; exits 1 on problems')
    .argument('<root>', 'the unpacked MSRC_ObjCategImageDatabase_v2 folder or its parent')
    .option('--split-dir <dir>', 'folder holding Train.txt, Validation.txt, Test.txt (default: root, then the data folder)')
    .option('--no-high-quality', 'ignore SegmentationsGTHighQuality/')
    .option('--json', 'print the report as JSON')
    .action(async (root: string, opts: { splitDir?: string; highQuality: boolean; json?: boolean }) => {
      const report = await validateMsrc(root, { splitDir: opts.splitDir, highQuality: opts.highQuality });
      io.out(`${opts.json ? JSON.stringify(report, null, 2) : formatMsrcReport(report)}\n`);
      code = report.ok ? 0 : 1;
    });

  program
    .command('synth')
    .description('write a deterministic synthetic dataset in MSRC-v2 layout')
    .argument('<dir>', 'output folder (created if missing)')
    .option('--count <n>', 'number of images', intOption('--count'), 60)
    .option('--seed <n>', 'random seed', intOption('--seed'), 0)
    .option('--width <px>', 'width of landscape images', intOption('--width'), 320)
    .option('--height <px>', 'height of landscape images', intOption('--height'), 213)
    .option('--portrait-fraction <p>', 'share of portrait images', shareOption('--portrait-fraction'), 0.25)
    .action(async (dir: string, opts: { count: number; seed: number; width: number; height: number; portraitFraction: number }) => {
      const result = await generateSyntheticMsrc(dir, opts);
      const sizes = Object.entries(result.splits).map(([k, v]) => `${k} ${v.length}`);
      io.out(`wrote ${result.ids.length} images to ${result.root} (${sizes.join(', ')})\n`);
      const empty = MSRC_SPLITS.filter((name) => result.splits[name].length === 0);
      if (empty.length > 0) {
        io.out(`no ${empty.map((name) => MSRC_SPLIT_FILES[name]).join(', ')} written: too few images for every split; use --count 3 or more\n`);
      }
    });

  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.err(`seg-msrc: ${(e as Error).message}\n`);
    return 2;
  }
  return code;
}
