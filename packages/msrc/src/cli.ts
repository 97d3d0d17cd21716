#!/usr/bin/env node
import { runCli } from './cli-program.js';

// No top-level await: the CommonJS build of this entry cannot have one.
runCli(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
