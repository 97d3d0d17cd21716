#!/usr/bin/env node
// Kept outside dist/ so the workspace can link the command before the first build.
import { runCli } from '../dist/cli/program.js';

process.exitCode = await runCli(process.argv.slice(2));
// Everything is closed by now and the process ends by itself; should a library handle linger
// (a reconnect timer), the exit still comes, after stdout has had time to drain.
setTimeout(() => process.exit(), 1000).unref();
