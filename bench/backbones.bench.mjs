// Backbones on the wasm backend: forward time of full-size ResNet-50/101 at
// output strides 16 and 8, ASPP forward, loading a full-size ResNet-101
// safetensors file (F32 and BF16), and the half-pixel bilinear resize with its
// gradient (DeepLabV3+'s ×4 logits upsampling).
//
// Run after `pnpm build`:  node bench/backbones.bench.mjs [runs] [size]
// Prints markdown tables (median of `runs` timed runs after 1 warm-up).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import {
  aspp,
  encodeSafetensors,
  interpolateBilinear,
  loadTorchvisionWeights,
  resnet,
  torchvisionWeightSpecs,
} from '../packages/core/dist/index.js';
import { medianMs } from './timing.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const SIZE = Number(process.argv[3] ?? 257);

await tf.setBackend('wasm');
await tf.ready();

const timed = (fn) => medianMs(fn, RUNS);

const ms = (t) => `${t.toFixed(0)} ms`;
console.log(`wasm backend, ${os.cpus().length} cores, ${os.cpus()[0].model}; median of ${RUNS} runs\n`);

console.log(`| model | input | forward |\n| --- | --- | --- |`);
const x = tf.randomNormal([1, SIZE, SIZE, 3], 0, 1, 'float32', 1);
for (const depth of [50, 101]) {
  for (const outputStride of [16, 8]) {
    const model = resnet({ depth, outputStride });
    const t = await timed(() => {
      const outs = model.predict(x);
      outs[0].dataSync();
      tf.dispose(outs);
    });
    console.log(`| resnet${depth} OS ${outputStride} | 1×${SIZE}×${SIZE} | ${ms(t)} |`);
    model.dispose();
  }
}
for (const outputStride of [16, 8]) {
  const side = Math.ceil(SIZE / outputStride);
  const head = aspp({ inputChannels: 2048, outputStride });
  const features = tf.randomNormal([1, side, side, 2048], 0, 1, 'float32', 2);
  const t = await timed(() => {
    const y = head.predict(features);
    y.dataSync();
    y.dispose();
  });
  console.log(`| ASPP (2048 → 256) OS ${outputStride} | 1×${side}×${side}×2048 | ${ms(t)} |`);
  head.dispose();
  features.dispose();
}
x.dispose();

console.log(`\n| loadTorchvisionWeights, resnet101 | file | time |\n| --- | --- | --- |`);
const model = resnet({ depth: 101 });
const specs = torchvisionWeightSpecs(model);
for (const dtype of ['F32', 'BF16']) {
  const tensors = {};
  for (const [key, spec] of specs) {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const data = dtype === 'F32' ? new Float32Array(n).fill(0.01) : new Uint16Array(n).fill(0x3c23);
    tensors[key] = { dtype, shape: spec.shape, data };
  }
  const bytes = encodeSafetensors(tensors);
  const t = await timed(() => loadTorchvisionWeights(model, bytes));
  console.log(`| ${dtype} | ${(bytes.byteLength / 2 ** 20).toFixed(0)} MiB in memory | ${ms(t)} |`);
}
model.dispose();

console.log(`\n| interpolateBilinear ×4 | shape | forward | forward + input gradient |\n| --- | --- | --- | --- |`);
const side = Math.ceil(SIZE / 4);
const logits = tf.randomNormal([1, side, side, 21], 0, 1, 'float32', 3);
const size = [side * 4, side * 4];
const fwd = await timed(() => {
  const y = interpolateBilinear(logits, size);
  y.dataSync();
  y.dispose();
});
const grad = await timed(() => {
  const g = tf.grad((v) => tf.sum(interpolateBilinear(v, size)))(logits);
  g.dataSync();
  g.dispose();
});
console.log(`| 1×${side}×${side}×21 → ${size[0]}×${size[1]} | | ${ms(fwd)} | ${ms(grad)} |`);
logits.dispose();
