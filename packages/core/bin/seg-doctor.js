#!/usr/bin/env node
// Kept outside dist/ so the workspace can link the command before the first build.
import { runDoctor } from '../dist/index.js';

process.exitCode = await runDoctor(process.argv.slice(2));
