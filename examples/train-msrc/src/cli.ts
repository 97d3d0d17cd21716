#!/usr/bin/env node
import { resolve } from 'node:path';
import { parseTrainMsrcArgs } from './args.js';
import { validateOptions } from './options.js';
import { resolveRunConfig, runConfigJson } from './run-config.js';
import { trainMsrc } from './train-msrc.js';

// `pnpm … train -- --flags` hands the `--` through; it is no positional argument here.
const argv = process.argv.slice(2);
let options: ReturnType<typeof parseTrainMsrcArgs>;
try {
  options = parseTrainMsrcArgs(argv[0] === '--' ? argv.slice(1) : argv);
} catch (e) {
  const { code, message } = e as { code?: string; message: string };
  // --help has been printed to stdout already.
  if (code === 'commander.helpDisplayed') process.exit(0);
  process.stderr.write(`train-msrc: ${message.replace(/^error: /, '')}\n`);
  process.exit(2);
}
// `pnpm --filter … train` runs in this package's folder; paths are meant from where the user typed them.
const base = process.env.INIT_CWD ?? '.';
for (const key of ['data', 'splitDir', 'trunkWeights', 'out'] as const) {
  const value = options[key];
  if (value !== undefined) options[key] = resolve(base, value);
}
if (options.classWeights !== 'reference' && options.classWeights !== 'none') options.classWeights = resolve(base, options.classWeights);
async function printConfig(o: typeof options): Promise<void> {
  validateOptions(o);
  process.stdout.write(runConfigJson(await resolveRunConfig(o)));
}

(options.printConfig ? printConfig(options) : trainMsrc(options)).catch((e: Error) => {
  process.stderr.write(`train-msrc: ${e.message}\n`);
  process.exit(1);
});
