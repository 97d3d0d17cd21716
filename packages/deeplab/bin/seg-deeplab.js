#!/usr/bin/env node
// Kept outside dist/ so the workspace can link the command before the first build.
import { runSegDeeplab } from '../dist/cli.js';

process.exitCode = await runSegDeeplab(process.argv.slice(2));
