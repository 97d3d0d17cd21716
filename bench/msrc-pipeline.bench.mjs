// MSRC input pipeline throughput next to a training step, on the synthetic
// MSRC-format dataset (320×213 / 213×320 BMPs) augmented to 320×320:
//   decode        openMsrc split.get(i): read + decode image and _GT.bmp + palette lookup
//   augment       flip, scale 0.5–2, rotation ±10°, 320² crop, blur (p 0.5), colour jitter
//   pipeline      segmentationBatches(...): decode + augment + normalise + batch tensors
//   train step    one SGD step of a small conv net (and DeepLabV3+ if @seg/deeplab is built)
//
// Run after `pnpm build`, pinned to one core with one libuv thread:
//   UV_THREADPOOL_SIZE=1 taskset -c 0 node bench/msrc-pipeline.bench.mjs [images] [batch] [deeplabBatch]
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import {
  colorJitter,
  compose,
  randomCrop,
  randomGaussianBlur,
  randomHorizontalFlip,
  randomRotation,
  randomScale,
  SeededRng,
  segmentationBatches,
} from '../packages/core/dist/index.js';
import { generateSyntheticMsrc, MSRC_VOID, openMsrc } from '../packages/msrc/dist/index.js';

const IMAGES = Number(process.argv[2] ?? 64);
const BATCH = Number(process.argv[3] ?? 8);
// wasm's 4 GB heap aborts on a DeepLabV3+ training step at 320² with larger batches.
const DEEPLAB_BATCH = Number(process.argv[4] ?? 2);
const SIZE = 320;

await tf.setBackend('wasm');
await tf.ready();

const dir = await mkdtemp(join(os.tmpdir(), 'seg-msrc-bench-'));
const rate = (n, ms) => `${((n * 1000) / ms).toPrecision(3)} img/s (${(ms / n).toFixed(1)} ms/img)`;
const rows = [];

try {
  let t0 = performance.now();
  await generateSyntheticMsrc(dir, { count: IMAGES, splitFractions: { train: 1, validation: 0 } });
  rows.push(['generate synthetic (render + BMP write)', rate(IMAGES, performance.now() - t0)]);

  const ds = await openMsrc(dir);
  const train = ds.split('train');

  t0 = performance.now();
  const samples = [];
  for (let i = 0; i < train.size; i++) samples.push(await train.get(i));
  rows.push(['decode (image + GT + labels), sequential', rate(train.size, performance.now() - t0)]);

  const augment = compose([
    randomHorizontalFlip(),
    randomScale({ minScale: 0.5, maxScale: 2 }),
    randomRotation({ ignoreIndex: MSRC_VOID, maxDegrees: 10 }),
    // Cropping before the photometric ops keeps them at 320² instead of up to 640×426.
    randomCrop({ size: SIZE, ignoreIndex: MSRC_VOID }),
    randomGaussianBlur({ probability: 0.5 }),
    colorJitter(),
  ]);
  t0 = performance.now();
  for (let i = 0; i < samples.length; i++) augment(samples[i], SeededRng.derive(0, i));
  rows.push(['augment to 320×320', rate(samples.length, performance.now() - t0)]);

  const stream = segmentationBatches(train, { batchSize: BATCH, transform: augment, seed: 1, prefetch: 2 });
  // `waited` is the time the consumer spent blocked on the next batch: what the pipeline costs a training loop.
  const runPipeline = async (consume) => {
    let n = 0;
    let waited = 0;
    const start = performance.now();
    const it = stream.epoch(0);
    for (;;) {
      const t = performance.now();
      const { value: b, done } = await it.next();
      waited += performance.now() - t;
      if (done) break;
      n += b.ids.length;
      if (consume) await consume(b);
      tf.dispose([b.images, b.labels]);
    }
    return { n, ms: performance.now() - start, waited };
  };
  const pipe = await runPipeline();
  rows.push([`pipeline: decode + augment + batch (B=${BATCH}), prefetch 2`, rate(pipe.n, pipe.ms)]);

  const smallNet = () => {
    const input = tfl.input({ shape: [SIZE, SIZE, 3] });
    let x = tfl.layers.conv2d({ filters: 16, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(input);
    x = tfl.layers.conv2d({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(x);
    x = tfl.layers.conv2d({ filters: 64, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(x);
    x = tfl.layers.conv2d({ filters: 22, kernelSize: 1 }).apply(x);
    x = tfl.layers.upSampling2d({ size: [4, 4], interpolation: 'bilinear' }).apply(x);
    return tfl.model({ inputs: input, outputs: x });
  };
  const optimizer = tf.train.sgd(0.01);
  const step = (model, batch) => {
    const cost = optimizer.minimize(
      () => {
        const logits = model.apply(batch.images, { training: true });
        const valid = tf.cast(tf.notEqual(batch.labels, MSRC_VOID), 'float32');
        const oneHot = tf.oneHot(tf.minimum(batch.labels, tf.scalar(21, 'int32')), 22);
        return tf.losses.softmaxCrossEntropy(oneHot, logits, valid);
      },
      true,
    );
    cost.dataSync();
    cost.dispose();
  };
  const fakeBatch = (n) => ({
    images: tf.randomNormal([n, SIZE, SIZE, 3]),
    labels: tf.randomUniform([n, SIZE, SIZE], 0, 22, 'int32'),
  });
  const timeSteps = async (model, steps, n = BATCH) => {
    const b = fakeBatch(n);
    step(model, b);
    t0 = performance.now();
    for (let i = 0; i < steps; i++) step(model, b);
    const ms = (performance.now() - t0) / steps;
    tf.dispose([b.images, b.labels]);
    return ms;
  };

  const small = smallNet();
  const smallMs = await timeSteps(small, 3);
  rows.push([`train step, small conv net (4 convs), wasm, B=${BATCH}`, rate(BATCH, smallMs)]);
  const loop = await runPipeline((b) => step(small, b));
  rows.push([`pipeline feeding the small-net train step (end to end)`, rate(loop.n, loop.ms)]);
  rows.push([`... of which waiting for the next batch`, `${(loop.waited / loop.n).toFixed(1)} ms/img`]);

  try {
    const { deeplabV3Plus } = await import('../packages/deeplab/dist/index.js');
    const model = deeplabV3Plus({ backbone: 'resnet18', outputStride: 16, numClasses: 22, inputShape: [SIZE, SIZE, 3] });
    const ms = await timeSteps(model, 1, DEEPLAB_BATCH);
    rows.push([`train step, DeepLabV3+ ResNet-18 OS16, wasm, B=${DEEPLAB_BATCH}`, rate(DEEPLAB_BATCH, ms)]);
  } catch (e) {
    rows.push(['train step, DeepLabV3+', `not measured: ${e.message.split('\n')[0]}`]);
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}

console.log(`${os.cpus()[0].model}; node ${process.version}; ${IMAGES} images 320×213/213×320 → ${SIZE}×${SIZE}\n`);
console.log('| stage | throughput |\n| --- | --- |');
for (const [k, v] of rows) console.log(`| ${k} | ${v} |`);
