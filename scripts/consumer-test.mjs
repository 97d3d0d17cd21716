#!/usr/bin/env node
// Proves `pnpm add @seg/deeplab` works: packs the three packages, installs the
// tarballs with plain npm into a fresh project outside the workspace, then
// loads them through both ESM `import` and CJS `require` next to tfjs and the
// wasm backend, and calls into each package.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'seg-consumer-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  const tarballs = [];
  for (const pkg of ['core', 'msrc', 'deeplab']) {
    run('pnpm', ['pack', '--pack-destination', work], join(root, 'packages', pkg));
  }
  for (const f of readdirSync(work)) if (f.endsWith('.tgz')) tarballs.push(join(work, f));
  if (tarballs.length !== 3) throw new Error(`expected 3 tarballs in ${work}, found ${tarballs.length}`);

  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'seg-consumer', private: true, version: '1.0.0' }));
  const tfjs = ['core', 'layers', 'backend-wasm'].map((p) => `@tensorflow/tfjs-${p}@4.22.0`);
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tfjs, ...tarballs], app);

  writeFileSync(
    join(app, 'check.mjs'),
    `import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import * as deeplabEsm from '@seg/deeplab';
import * as msrcEsm from '@seg/msrc';
import * as coreEsm from '@seg/core';
const require = createRequire(import.meta.url);
const deeplabCjs = require('@seg/deeplab');
const msrcCjs = require('@seg/msrc');
const coreCjs = require('@seg/core');
await tf.setBackend('wasm');
await tf.ready();
const ok = (cond, what) => { if (!cond) { console.error('consumer check failed: ' + what); process.exit(1); } };
ok(tf.getBackend() === 'wasm', 'wasm backend active');
for (const [kind, core, msrc, deeplab] of [['esm', coreEsm, msrcEsm, deeplabEsm], ['cjs', coreCjs, msrcCjs, deeplabCjs]]) {
  const bytes = core.encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) } });
  const w = core.safetensorsToFloat32(core.parseSafetensors(bytes).tensors.get('w'));
  ok(w[0] === 1.5 && w[1] === -2, kind + ': @seg/core safetensors round trip');
  ok(msrc.MSRC_CLASSES.length === 22 && msrc.MSRC_VOID === 21, kind + ': @seg/msrc classes');
  const rgba = deeplab.colorize(new Uint8Array([0, 21]), 2, 1, msrc.MSRC_PALETTE);
  ok(rgba[0] === 128 && rgba[4] === 0 && rgba[7] === 255, kind + ': @seg/deeplab colorize');
}
console.log('consumer: ESM import and CJS require of @seg/core, @seg/msrc, @seg/deeplab work on ' + tf.getBackend());
`,
  );
  process.stdout.write(run('node', ['check.mjs'], app));
} finally {
  rmSync(work, { recursive: true, force: true });
}
