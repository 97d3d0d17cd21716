// DeepLabV3+ inference on the wasm backend: time per image for the paper's
// ResNet-101 / output stride 8 and the cheaper ResNet-50 / output stride 16 at
// 320×320 and 513×513 (the paper's evaluation crop), 21 classes, batch 1,
// random weights (speed does not depend on their values). Also peak tfjs
// memory (tf.profile peakBytes of one forward pass) and the process RSS.
//
// Run after `pnpm build`:  node bench/deeplab-inference.bench.mjs [runs]
// Prints a markdown table (median of `runs` timed runs after 1 warm-up).
import os from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { deeplabV3Plus, segment } from '../packages/deeplab/dist/index.js';
import { medianMs } from './timing.mjs';

const RUNS = Number(process.argv[2] ?? 3);
const CONFIGS = [
  { backbone: 'resnet101', outputStride: 8 },
  { backbone: 'resnet50', outputStride: 16 },
];
const SIZES = [320, 513];

await tf.setBackend('wasm');
await tf.ready();

const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const s = (ms) => `${(ms / 1000).toFixed(2)} s`;
let peakRss = 0;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

async function timeIt(fn) {
  const t0 = performance.now();
  await fn();
  sampleRss();
  return performance.now() - t0;
}

console.log(
  `wasm backend (threads: ${tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT')}, SIMD: ${tf.env().getBool('WASM_HAS_SIMD_SUPPORT')}), ` +
    `${os.cpus().length} cores, ${os.cpus()[0].model}, Node ${process.version}; median of ${RUNS} runs after 1 warm-up\n`,
);
console.log('| model | input | predict (logits) | segment() end to end | tfjs peak memory | process RSS after |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const { backbone, outputStride } of CONFIGS) {
  const model = deeplabV3Plus({ backbone, outputStride, numClasses: 21 });
  for (const size of SIZES) {
    const x = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 1);
    const forward = () => {
      const y = model.predict(x);
      y.dataSync();
      y.dispose();
    };
    const predictTime = await medianMs(() => {
      forward();
      sampleRss();
    }, RUNS);
    const image = { data: new Uint8Array(size * size * 3).map((_, i) => (i * 37) & 255), width: size, height: size, channels: 3 };
    const segmentTime = await timeIt(() => segment(model, image));
    const profile = await tf.profile(forward);
    console.log(
      `| ${backbone} OS ${outputStride} | ${size}×${size} | ${s(predictTime)} | ${s(segmentTime)} | ${mb(profile.peakBytes)} | ${mb(process.memoryUsage().rss)} |`,
    );
    x.dispose();
  }
  model.dispose();
}
console.log(`\npeak process RSS over the whole run: ${mb(peakRss)}`);
