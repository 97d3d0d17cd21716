#!/usr/bin/env node
// Kept outside dist/ so the workspace can link the command before the first build.
import { runCli } from '../dist/cli/program.js';

process.exitCode = await runCli(process.argv.slice(2));
