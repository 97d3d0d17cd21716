// One DeepLabV3+ training step (`Trainer.trainStep`: forward in training mode,
// loss, gradients, Adam) on any backend: time per image, the memory a step
// needs on top of what stays resident (weights, Adam state, the batch), and
// kernels per step. The peak comes from `tf.profile` of a step after the first
// (the first one builds the optimizer state and, on GPUs, compiles shaders).
//
// Besides bench/timing.mjs beside it, it imports only the published packages
// (@seg/core, @seg/deeplab, tfjs), so a GPU machine needs just this folder and
// `npm install @seg/deeplab @seg/core` plus tfjs and `webgpu` or tfjs-node-gpu
// to run it unchanged:
//
//   node bench/train-step.bench.mjs --backend wasm --backbone resnet18 --output-stride 16 --size 256 --batch 2
//   node bench/train-step.bench.mjs --backend webgpu --allow-software-gpu --size 64 --batch 1
//
// --by-kernel adds where the profiled step's memory and time go, per kernel name.
//
// --workers N (N > 1) then times steps on N data-parallel replicas (Trainer
// `workers`: worker threads on the same backend, deeplab-replica.mjs) in the
// same run, alternating with one-thread steps so that both see the same load:
// train_ms_per_img is theirs, single_train_ms_per_img the one-thread step's
// (medians, first step left out), speedup their ratio; rss_mb is the process's
// peak RSS (worker threads included) over the one-thread steps, then over the
// alternating ones.
//
//   node bench/train-step.bench.mjs --backend wasm --size 224 --batch 4 --workers 2
//
// --ceiling measures what two cores can give this workload at all, without
// replicas: one-thread steps at batch 1 and at batch `--batch`, alternating
// (what a per-step cost that every replica pays again weighs), then `--ceiling-procs`
// (default 2) independent processes each stepping one image at a time on one thread
// (this bench with --solo), first one alone, then all at once: the per-image time
// of each, and the throughput of all against one alone.
//
// The last line printed is one JSON object (alone with --json):
// { backend, device, backbone, outputStride, size, batch, workers,
//   fwd_ms_per_img, train_ms_per_img, peak_bytes, resident_bytes,
//   kernels_per_step, peak_rss_mb, img_per_s,
//   single_train_ms_per_img, speedup, rss_mb: { single, workers }, ceiling }
// (fwd, peak, resident and kernels are the one-thread step's; ceiling is null
// without --ceiling).
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { selectBackend, sparseSoftmaxCrossEntropy, Trainer } from '@seg/core';
import { deeplabV3Plus } from '@seg/deeplab';
import * as tf from '@tensorflow/tfjs-core';
import { timeAlternatingSteps } from './alternating-steps.mjs';
import { median } from './timing.mjs';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    backbone: { type: 'string', default: 'resnet18' },
    'output-stride': { type: 'string', default: '16' },
    size: { type: 'string', default: '256' },
    batch: { type: 'string', default: '2' },
    classes: { type: 'string', default: '22' },
    steps: { type: 'string', default: '3' },
    workers: { type: 'string', default: '1' },
    'allow-software-gpu': { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    'by-kernel': { type: 'boolean', default: false },
    ceiling: { type: 'boolean', default: false },
    'ceiling-procs': { type: 'string', default: '2' },
    solo: { type: 'boolean', default: false },
  },
});

function positiveInt(name) {
  const n = Number(flags[name]);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`train-step.bench: --${name} must be a positive integer, got ${JSON.stringify(flags[name])}`);
    process.exit(2);
  }
  return n;
}
const size = positiveInt('size');
const batch = positiveInt('batch');
const steps = Math.max(2, positiveInt('steps'));
const workers = positiveInt('workers');
const numClasses = positiveInt('classes');
const outputStride = positiveInt('output-stride');
const ceilingProcs = positiveInt('ceiling-procs');
const log = flags.json || flags.solo ? () => {} : (line) => console.log(line);

const selection = await selectBackend([flags.backend], { allowSoftwareGpu: flags['allow-software-gpu'] });
const model = deeplabV3Plus({ backbone: flags.backbone, outputStride, numClasses, inputShape: [size, size, 3] });
const trainer = new Trainer({ model, loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits) });

const images = tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1);
const labels = tf.randomUniform([batch, size, size], 0, numClasses, 'int32', 2);
const data = { images, labels };

// Drains the GPU queue too: a step's time is only over once its results can be read.
const sync = async () => {
  const probe = model.weights[0].read();
  await probe.data();
};

if (flags.solo) await solo();

log(`${selection.name}${selection.device ? ` (${selection.device})` : ''}: ${flags.backbone} OS ${outputStride}, ${size}², batch ${batch}, ${steps} steps`);
/** Times `steps` alternating rounds of one step of each trainer (`[trainer, label, batch?]`): see alternating-steps.mjs. */
const timeSteps = (trainers) => timeAlternatingSteps({ trainers, steps, data, sync, log });
const single = await timeSteps([[trainer, '1 thread']]);
const trainTimes = single.times[0];

const residentBytes = tf.memory().numBytes;
const profile = await tf.profile(async () => {
  await trainer.trainStep(data);
  await sync();
});

const forward = async () => {
  const y = model.predict(images);
  await y.data();
  y.dispose();
};
await forward();
const t0 = performance.now();
await forward();
const fwdMs = performance.now() - t0;

// The first step builds Adam's state (and compiles shaders on GPUs; starts the replicas): not representative.
let singleMsPerImg = median(trainTimes.slice(1)) / batch;
let msPerImg = singleMsPerImg;
let parallel = null;
if (workers > 1) {
  const replicas = new Trainer({
    model,
    loss: (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits),
    workers: {
      count: workers,
      replica: new URL('./deeplab-replica.mjs', import.meta.url),
      args: { backbone: flags.backbone, outputStride, numClasses, size },
      backends: [selection.name],
    },
  });
  try {
    await replicas.startWorkers();
    // Both trainers train the same model (each with its own Adam state): only their speed is compared.
    parallel = await timeSteps([[replicas, `${workers} replicas`], [trainer, '1 thread']]);
  } finally {
    await replicas.dispose();
  }
  msPerImg = median(parallel.times[0].slice(1)) / batch;
  singleMsPerImg = median(parallel.times[1].slice(1)) / batch;
}
const ceiling = flags.ceiling ? await measureCeiling() : null;
const result = {
  backend: selection.name,
  device: selection.device ?? null,
  backbone: flags.backbone,
  outputStride,
  size,
  batch,
  workers,
  fwd_ms_per_img: Math.round(fwdMs / batch),
  train_ms_per_img: Math.round(msPerImg),
  peak_bytes: profile.peakBytes,
  resident_bytes: residentBytes,
  kernels_per_step: profile.kernels.length,
  // maxRSS is in KiB and covers the whole process lifetime, wasm heap included.
  peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  img_per_s: Number((1000 / msPerImg).toFixed(3)),
  single_train_ms_per_img: Math.round(singleMsPerImg),
  speedup: Number((singleMsPerImg / msPerImg).toFixed(2)),
  rss_mb: { single: single.rssMb, workers: parallel?.rssMb ?? null },
  ceiling,
};
log(
  `  activation memory (peak - resident): ${((result.peak_bytes - result.resident_bytes) / 2 ** 20).toFixed(0)} MB, ` +
    `${result.kernels_per_step} kernels per step`,
);
if (flags['by-kernel']) printByKernel(profile.kernels);
tf.dispose([images, labels]);
model.dispose();
console.log(JSON.stringify(result));

/** Kernel names by bytes added (the outputs they allocate), with counts and kernel time. */
function printByKernel(kernels) {
  const rows = new Map();
  for (const k of kernels) {
    const row = rows.get(k.name) ?? { count: 0, bytes: 0, ms: 0 };
    row.count += 1;
    row.bytes += Math.max(0, k.bytesAdded);
    row.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    rows.set(k.name, row);
  }
  console.log('| kernel | count | MB allocated | ms |\n| --- | --- | --- | --- |');
  for (const [name, r] of [...rows].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 20)) {
    console.log(`| ${name} | ${r.count} | ${(r.bytes / 2 ** 20).toFixed(0)} | ${r.ms.toFixed(0)} |`);
  }
}

/**
 * --solo (a child of --ceiling): one-thread steps of one image, after a
 * "go" from the parent so that all children step at once; sends the step
 * times (ms) and exits.
 */
async function solo() {
  const one = { images: tf.slice(images, 0, 1), labels: tf.slice(labels, 0, 1) };
  await trainer.trainStep(one);
  await sync();
  process.send({ type: 'ready' });
  await new Promise((resolve) => process.once('message', resolve));
  const times = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    await trainer.trainStep(one);
    await sync();
    times.push(performance.now() - t0);
  }
  process.send({ type: 'times', times });
  process.exit(0);
}

/** `count` --solo children stepping at once: each one's median ms per image. */
async function independent(count) {
  const args = ['--solo', '--backend', flags.backend, '--backbone', flags.backbone, '--output-stride', String(outputStride),
    '--size', String(size), '--classes', String(numClasses), '--steps', String(steps)];
  if (flags['allow-software-gpu']) args.push('--allow-software-gpu');
  const children = Array.from({ length: count }, () => fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] }));
  const next = (child, type) =>
    new Promise((resolve, reject) => {
      child.on('message', (m) => m.type === type && resolve(m));
      child.once('exit', (code) => reject(new Error(`train-step.bench --solo exited with ${code}`)));
    });
  await Promise.all(children.map((c) => next(c, 'ready')));
  const done = children.map((c) => next(c, 'times'));
  for (const c of children) c.send('go');
  return (await Promise.all(done)).map((m) => Math.round(median(m.times)));
}

/**
 * What two cores give this workload without replicas: one thread at batch 1
 * against batch `batch` (per-step costs paid per image), then independent
 * one-image processes alone and all at once.
 */
async function measureCeiling() {
  const one = { images: tf.slice(images, 0, 1), labels: tf.slice(labels, 0, 1) };
  log(`  ceiling: one thread, batch 1 and batch ${batch}, alternating`);
  const { times } = await timeSteps([[trainer, '1 thread, batch 1', one], [trainer, `1 thread, batch ${batch}`]]);
  tf.dispose([one.images, one.labels]);
  const batch1 = median(times[0].slice(1));
  const batchN = median(times[1].slice(1)) / batch;
  log(`  ceiling: 1 process alone, then ${ceilingProcs} at once, one image per step`);
  const [alone] = await independent(1);
  const together = await independent(ceilingProcs);
  const throughput = together.reduce((sum, ms) => sum + alone / ms, 0);
  const result = {
    one_thread_batch1_ms_per_img: Math.round(batch1),
    one_thread_batchN_ms_per_img: Math.round(batchN),
    batch1_over_batchN: Number((batch1 / batchN).toFixed(2)),
    independent_alone_ms_per_img: alone,
    independent_together_ms_per_img: together,
    independent_throughput_x: Number(throughput.toFixed(2)),
  };
  log(`  ceiling: batch 1 ${result.one_thread_batch1_ms_per_img} ms/img, batch ${batch} ${result.one_thread_batchN_ms_per_img} ms/img; ` +
    `1 process ${alone} ms/img alone, ${together.join(' / ')} ms/img with ${ceilingProcs}: ${result.independent_throughput_x}× the throughput`);
  return result;
}
