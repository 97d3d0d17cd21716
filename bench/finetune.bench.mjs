// Fine-tuning steps of DeepLabV3+ MobileNetV3 and LR-ASPP MobileNetV3 beside
// PyTorch's: one step is `Trainer.trainStep` (forward in training mode,
// cross-entropy, gradients, SGD with momentum 0.9 and weight decay under a
// poly schedule, as `createOptimizer` + `lrSchedule` give seg-deeplab train),
// every weight trained. Per model, in one run:
//   - @seg on one thread and on `--workers` data-parallel replicas (worker
//     threads, finetune-replica.mjs), alternating step by step so both see the
//     same load; ms per image are medians with the first step left out;
//   - then finetune_torch.py (same model, same step in PyTorch) with 1 and 2
//     threads, alternating within its process.
// Peak memory: the process's RSS sampled over the @seg steps (worker threads
// included) and PyTorch's VmHWM; `activation_mb` is tf.profile's peak minus
// what stays resident, for a one-thread step.
//
//   node bench/finetune.bench.mjs --backend wasm --size 320 --batch 8 --workers 2 [--steps 3] [--model lraspp_mobilenet_v3_large] [--by-kernel] [--torch /usr/bin/python3 | --torch '']
//
// --by-kernel prints where a one-thread step's time goes, per kernel name.
// The last line printed is one JSON array, one object per model:
// { model, backend, size, batch, workers, single_ms_per_img, workers_ms_per_img,
//   rss_mb: { single, workers }, activation_mb, torch: { ms_per_img: { 1, 2 }, peak_rss_mb } | null,
//   vs_torch_2_threads: torch 2-thread ms / @seg workers ms (the target is >= 0.3) }
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createOptimizer, lrSchedule, selectBackend, sparseSoftmaxCrossEntropy, Trainer } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import { FINETUNE_MODELS } from './finetune-models.mjs';
import { timeAlternatingSteps } from './alternating-steps.mjs';
import { median } from './timing.mjs';

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'wasm' },
    model: { type: 'string' },
    size: { type: 'string', default: '320' },
    batch: { type: 'string', default: '8' },
    classes: { type: 'string', default: '21' },
    steps: { type: 'string', default: '3' },
    workers: { type: 'string', default: '2' },
    torch: { type: 'string', default: '/usr/bin/python3' },
    'by-kernel': { type: 'boolean', default: false },
  },
});
function int(name) {
  const n = Number(flags[name]);
  if (Number.isInteger(n) && n >= 1) return n;
  throw new Error(`finetune.bench: --${name} must be a positive integer, got ${JSON.stringify(flags[name])}`);
}
const [size, batch, numClasses, workers] = [int('size'), int('batch'), int('classes'), int('workers')];
const steps = Math.max(2, int('steps'));
const names = flags.model ? [flags.model] : Object.keys(FINETUNE_MODELS);
for (const name of names) {
  if (!FINETUNE_MODELS[name]) {
    console.error(`finetune.bench: unknown --model ${name}; valid: ${Object.keys(FINETUNE_MODELS).join(', ')}`);
    process.exit(2);
  }
}

const selection = await selectBackend([flags.backend]);
const groups = () => {
  const learningRate = 0.01;
  return [{ name: 'all', ...createOptimizer({ optimizer: 'sgd', learningRate, weightDecay: 1e-4 }), schedule: lrSchedule({ schedule: 'poly', learningRate, steps: 30_000 }) }];
};
const loss = (labels, logits) => sparseSoftmaxCrossEntropy(labels, logits);


function printByKernel(kernels) {
  const rows = new Map();
  for (const k of kernels) {
    const row = rows.get(k.name) ?? { count: 0, ms: 0 };
    row.count += 1;
    row.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    rows.set(k.name, row);
  }
  const total = [...rows.values()].reduce((s, r) => s + r.ms, 0);
  console.log('| kernel | count | ms | share |\n| --- | --- | --- | --- |');
  for (const [name, r] of [...rows].sort((a, b) => b[1].ms - a[1].ms).slice(0, 12)) {
    console.log(`| ${name} | ${r.count} | ${r.ms.toFixed(0)} | ${((100 * r.ms) / total).toFixed(0)}% |`);
  }
}

const results = [];
for (const name of names) {
  console.log(`${name}: ${selection.name}, ${size}², batch ${batch}, ${steps} steps, 1 thread and ${workers} replicas`);
  const model = FINETUNE_MODELS[name]({ numClasses, size });
  const data = { images: tf.randomNormal([batch, size, size, 3], 0, 1, 'float32', 1), labels: tf.randomUniform([batch, size, size], 0, numClasses, 'int32', 2) };
  const sync = async () => {
    await model.weights[0].read().data();
  };
  const single = new Trainer({ model, loss, groups: groups() });
  const replicas = new Trainer({
    model,
    loss,
    groups: groups(),
    workers: { count: workers, replica: new URL('./finetune-replica.mjs', import.meta.url), args: { model: name, numClasses, size }, backends: [selection.name] },
  });
  let result;
  try {
    await replicas.startWorkers();
    // Both trainers train the same model (each with its own optimizer state): only their speed is compared.
    const { times, rssMb } = await timeAlternatingSteps({ trainers: [[replicas, `${workers} replicas`], [single, '1 thread']], steps, data, sync, log: console.log });
    const resident = tf.memory().numBytes;
    const profile = await tf.profile(async () => {
      await single.trainStep(data);
      await sync();
    });
    if (flags['by-kernel']) printByKernel(profile.kernels);
    result = {
      model: name,
      backend: selection.name,
      size,
      batch,
      workers,
      single_ms_per_img: Math.round(median(times[1].slice(1)) / batch),
      workers_ms_per_img: Math.round(median(times[0].slice(1)) / batch),
      rss_mb: rssMb,
      activation_mb: Math.round((profile.peakBytes - resident) / 2 ** 20),
      torch: null,
      vs_torch_2_threads: null,
    };
  } finally {
    await replicas.dispose();
    await single.dispose();
    tf.dispose([data.images, data.labels]);
    model.dispose();
  }
  if (flags.torch) {
    const script = fileURLToPath(new URL('./finetune_torch.py', import.meta.url));
    const run = spawnSync(flags.torch, [script, '--model', name, '--size', String(size), '--batch', String(batch), '--classes', String(numClasses), '--threads', '1,2', '--steps', String(steps)], {
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`finetune_torch.py failed (${run.status}): ${run.stderr}`);
    result.torch = JSON.parse(run.stdout.trim().split('\n').at(-1));
    result.vs_torch_2_threads = Number((result.torch.ms_per_img['2'] / result.workers_ms_per_img).toFixed(2));
  }
  console.log(
    `  @seg: ${result.single_ms_per_img} ms/img on 1 thread, ${result.workers_ms_per_img} on ${workers} replicas (peak RSS ${result.rss_mb} MB, activations ${result.activation_mb} MB)` +
      (result.torch
        ? `; PyTorch: ${result.torch.ms_per_img['1']} ms/img on 1 thread, ${result.torch.ms_per_img['2']} on 2 (peak RSS ${result.torch.peak_rss_mb} MB): ${result.vs_torch_2_threads}× PyTorch's 2-thread speed`
        : ''),
  );
  results.push(result);
}
console.log(JSON.stringify(results));
