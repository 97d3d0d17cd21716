#!/usr/bin/env node
import { parseTrainMsrcArgs } from './args.js';
import { trainMsrc } from './train-msrc.js';

trainMsrc(parseTrainMsrcArgs(process.argv.slice(2))).catch((e: Error) => {
  process.stderr.write(`train-msrc: ${e.message}\n`);
  process.exit(1);
});
