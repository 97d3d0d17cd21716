#!/usr/bin/env node
// Proves the packages install from their tarballs (`pnpm pack:all`, README): packs the packages, installs the
// tarballs with plain npm into a fresh project outside the workspace, then
// loads them through both ESM `import` and CJS `require` next to tfjs and the
// wasm backend, and calls into each package.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packPackages } from './pack-packages.mjs';

const root = resolve(import.meta.dirname, '..');
// The tfjs release the workspace pins (its root devDependencies), so the consumer installs what the tests ran on.
const TFJS_VERSION = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).devDependencies['@tensorflow/tfjs-core'];
const work = mkdtempSync(join(tmpdir(), 'seg-consumer-'));
const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });

try {
  const tarballs = packPackages(work);

  const app = join(work, 'app');
  run('mkdir', ['-p', app]);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'seg-consumer', private: true, version: '1.0.0' }));
  const tfjs = ['core', 'layers', 'backend-wasm'].map((p) => `@tensorflow/tfjs-${p}@${TFJS_VERSION}`);
  run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tfjs, ...tarballs], app);

  writeFileSync(
    join(app, 'check.mjs'),
    `import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import * as deeplabEsm from '@seg/deeplab';
import * as deeplabNodeEsm from '@seg/deeplab/node';
import * as msrcEsm from '@seg/msrc';
import * as coreEsm from '@seg/core';
import * as coreKernelsEsm from '@seg/core/kernels';
import * as datasetsEsm from '@seg/datasets';
import * as classesEsm from '@seg/datasets/classes';
const require = createRequire(import.meta.url);
const deeplabCjs = require('@seg/deeplab');
const deeplabNodeCjs = require('@seg/deeplab/node');
const msrcCjs = require('@seg/msrc');
const coreCjs = require('@seg/core');
const coreKernelsCjs = require('@seg/core/kernels');
const datasetsCjs = require('@seg/datasets');
const classesCjs = require('@seg/datasets/classes');
await tf.setBackend('wasm');
await tf.ready();
const ok = (cond, what) => { if (!cond) { console.error('consumer check failed: ' + what); process.exit(1); } };
ok(tf.getBackend() === 'wasm', 'wasm backend active');
for (const [kind, core, coreKernels, msrc, deeplab, deeplabNode] of [
  ['esm', coreEsm, coreKernelsEsm, msrcEsm, deeplabEsm, deeplabNodeEsm],
  ['cjs', coreCjs, coreKernelsCjs, msrcCjs, deeplabCjs, deeplabNodeCjs],
]) {
  const bytes = core.encodeSafetensors({ w: { dtype: 'F32', shape: [2], data: new Float32Array([1.5, -2]) } });
  const w = core.safetensorsToFloat32(core.parseSafetensors(bytes).tensors.get('w'));
  ok(w[0] === 1.5 && w[1] === -2, kind + ': @seg/core safetensors round trip');
  // The point of @seg/core: a dilated convolution has a gradient, here on wasm.
  core.registerSegKernels();
  const g = tf.grad((x) => tf.sum(tf.conv2d(x, tf.ones([3, 3, 1, 1]), 1, 'same', 'NHWC', 2)))(tf.ones([1, 5, 5, 1]));
  ok(g.dataSync()[12] === 9, kind + ': gradient through a dilated conv2d on wasm');
  ok(typeof coreKernels.conv2dInputGrad === 'function' && core.conv2dInputGrad === undefined, kind + ': kernels in @seg/core/kernels, not the main entry');
  ok(msrc.MSRC_CLASSES.length === 22 && msrc.MSRC_VOID === 21, kind + ': @seg/msrc classes');
  ok(msrc.labelsFromGroundTruth(new Uint8Array([128, 0, 0, 128, 0, 128]), 2, 1).join() === '0,21', kind + ': @seg/msrc ground truth (horse is void)');
  const model = deeplab.deeplabV3Plus({ numClasses: 22, backbone: 'resnet18', backboneOptions: { baseWidth: 8 }, aspp: { filters: 16 } });
  const seg = await deeplab.segment(model, { data: new Uint8Array(33 * 35 * 3).fill(100), width: 33, height: 35, channels: 3 });
  ok(seg.width === 33 && seg.height === 35 && seg.labels.length === 33 * 35, kind + ': @seg/deeplab segment() of a 33x35 image');
  const rgba = deeplab.colorize(seg.labels, 33, 35, msrc.MSRC_PALETTE);
  ok(rgba.length === 33 * 35 * 4 && rgba[3] === 255, kind + ': @seg/deeplab colorize');
  ok(typeof deeplabNode.segmentMany === 'function' && typeof deeplabNode.startSegmentWorker === 'function', kind + ': @seg/deeplab/node batch API');
  ok(deeplab.segmentMany === undefined, kind + ': the Node-only wing stays out of the main entry');
  model.dispose();
}
for (const [kind, datasets, classes] of [['esm', datasetsEsm, classesEsm], ['cjs', datasetsCjs, classesCjs]]) {
  ok(classes.CITYSCAPES_CLASS_NAMES.length === 19 && classes.ADE20K_CLASS_NAMES.length === 150, kind + ': @seg/datasets/classes');
  const png = await datasets.encodeIndexPng(new Uint8Array([0, 1, 255, 2]), 2, 2, classes.vocPalette(256));
  const back = await datasets.decodeIndexPng(png, 'x.png');
  ok(back.indices.join() === '0,1,255,2', kind + ': @seg/datasets index PNG round trip');
  ok(typeof datasets.openDataset === 'function' && typeof datasets.validateDataset === 'function', kind + ': @seg/datasets API');
}
console.log('consumer: ESM import and CJS require of @seg/core, @seg/datasets, @seg/msrc, @seg/deeplab, @seg/deeplab/node work on ' + tf.getBackend());
`,
  );
  process.stdout.write(run('node', ['check.mjs'], app));
  // The command and its dependencies resolve in a fresh install (bullmq and ioredis, optional peers, are not needed for --help).
  const help = run('npx', ['--no-install', 'seg-deeplab', '--help'], app);
  if (!/segment \[options\][\s\S]*submit \[options\][\s\S]*worker \[options\]/.test(help)) {
    console.error(`consumer check failed: npx seg-deeplab --help printed:\n${help}`);
    process.exit(1);
  }
  console.log('consumer: npx seg-deeplab --help lists segment, submit and worker');

  // The README's own install commands, as written (pnpm, with its override), then its example.
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const install = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes('pnpm pkg set'));
  const example = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]).find((b) => b.includes("from '@seg/deeplab'"));
  if (!install?.includes('SEG=/path/to/seg/dist-packs') || !example) throw new Error("consumer check: README.md's install block or example not found");
  const pnpmApp = join(work, 'pnpm-app');
  run('mkdir', ['-p', pnpmApp]);
  writeFileSync(join(pnpmApp, 'package.json'), JSON.stringify({ name: 'seg-readme-consumer', private: true, version: '1.0.0', type: 'module' }));
  run('sh', ['-e', '-c', install.replace('SEG=/path/to/seg/dist-packs', `SEG=${work}`)], pnpmApp);
  writeFileSync(join(pnpmApp, 'readme.mjs'), example);
  process.stdout.write(`consumer: README install (pnpm add of the tarballs) and example: ${run('node', ['readme.mjs'], pnpmApp)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
