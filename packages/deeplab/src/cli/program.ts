import { Command, CommanderError } from 'commander';
import { exportCommand } from './export-command.js';

/** Where the `seg-deeplab` commands write; tests pass their own. */
export interface CliIo {
  /** Standard output. */
  out(text: string): void;
  /** Standard error. */
  err(text: string): void;
}

/** One factory per subcommand, each in its own file. */
const SUBCOMMANDS: readonly ((io: CliIo) => Command)[] = [exportCommand];

const processIo: CliIo = {
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
};

/**
 * The `seg-deeplab` program: a commander `Command` with one subcommand per
 * file of this folder (`export`; batch segmentation adds its own the same
 * way). Commands throw on failure; {@link runSegDeeplab} turns that into an
 * exit code.
 */
export function segDeeplabProgram(io: CliIo = processIo): Command {
  const program = new Command('seg-deeplab')
    .description('DeepLabV3+ models of @seg/deeplab: export to ONNX')
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  // addCommand() does not pass exitOverride and the output on, as command() would.
  for (const command of SUBCOMMANDS) program.addCommand(command(io).copyInheritedSettings(program));
  return program;
}

/**
 * Runs the `seg-deeplab` command line.
 *
 * @param argv The arguments after the program name.
 * @returns The process exit code: 0 on success, 2 on bad arguments or a failed command.
 */
export async function runSegDeeplab(argv: readonly string[], io: CliIo = processIo): Promise<number> {
  try {
    await segDeeplabProgram(io).parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode;
    io.err(`seg-deeplab: ${(e as Error).message}\n`);
    return 2;
  }
}
