/**
 * The `seg-deeplab` command line: `data check` (a dataset before training),
 * `train` (a model on a dataset), `evaluate` (a model on a dataset split),
 * `export` (a saved model to ONNX), `segment` (this machine), `submit` and
 * `worker` (many machines through a Redis queue). An entry of its own
 * (`bin/seg-deeplab.js`), so bundles of the
 * library for browsers never load commander or Node's modules.
 *
 * @module
 */
import { Command, CommanderError } from 'commander';
import { dataCommand } from './data-command.js';
import { evaluateCommand } from './evaluate-command.js';
import { exportCommand } from './export-command.js';
import { type CliIo, processIo } from './io.js';
import { segmentCommand } from './segment-command.js';
import { submitCommand } from './submit-command.js';
import { trainCommand } from './train-command.js';
import { workerCommand } from './worker-command.js';

/** The `seg-deeplab` program with its subcommands; `exit` receives the code a command ends with. */
export function createProgram(io: CliIo, exit: (code: number) => void): Command {
  const ctx = { io, exit };
  const program = new Command('seg-deeplab').description(
    'DeepLabV3+ and torchvision models of @seg/deeplab: check datasets, train and evaluate on them, export to ONNX, segment image collections',
  );
  for (const command of [program, dataCommand(ctx), trainCommand(ctx), evaluateCommand(ctx), exportCommand(io), segmentCommand(ctx), submitCommand(ctx), workerCommand(ctx)]) {
    // addCommand() does not pass these settings on, unlike command().
    command.exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
    if (command !== program) program.addCommand(command);
  }
  return program;
}

/**
 * Runs `seg-deeplab` with `argv` (the arguments after the program name).
 *
 * @returns The exit code: 0 on success, 1 when images failed (listed in the
 *   summary), 2 on bad arguments or an error, 130 when stopped early.
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  let code = 0;
  const program = createProgram(io, (c) => {
    code = c;
  });
  try {
    await program.parseAsync([...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.err(`seg-deeplab: ${(e as Error).message}\n`);
    return 2;
  }
  return code;
}
