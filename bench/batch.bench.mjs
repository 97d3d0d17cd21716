// Batch segmentation throughput: the same images through the same saved model
// (DeepLabV3+ ResNet-18, output stride 16, 21 classes, random weights: speed
// does not depend on their values) on the wasm backend, run five ways:
//   local 1    segmentMany with 1 worker process
//   local 2    segmentMany with 2 worker processes
//   ONNX 1, 2  the same, the model exported to ONNX (ONNX Runtime node, one thread per process)
//   queue 2    two `seg-deeplab worker --workers 1` processes on one Redis,
//              fed by enqueueSegmentation + watchQueuedRun in this process
// For each: images/s over the wall clock (start-up and model loading included)
// and from the first image to the last (steady state), the decode / model /
// encode share of a worker's time per image, and the peak RSS of each worker
// process (Linux: read with ps). The queue's overhead per image is the extra
// time a worker spends per image in `queue 2` against `local 2`.
//
// Run after `pnpm build` (the queue row needs Debian's redis-server; without it that row is skipped, saying so):
//   node bench/batch.bench.mjs [images=48] [width=320] [height=213]
//   node bench/batch.bench.mjs --tiny        (a reduced-width model on 8 small images: proves it works)
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-wasm';
import { deeplabV3Plus, exportOnnx } from '../packages/deeplab/dist/index.js';
import { saveModel } from '../packages/core/dist/index.js';
import { enqueueSegmentation, segmentMany, watchQueuedRun } from '../packages/deeplab/dist/node.js';
import { generateSyntheticMsrc } from '../packages/msrc/dist/index.js';
import { REDIS_SERVER_PACKAGE, redisServerMissing, startRedis } from '../test-utils/redis-server.mjs';

const tiny = process.argv.includes('--tiny');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const IMAGES = Number(args[0] ?? (tiny ? 8 : 48));
const WIDTH = Number(args[1] ?? (tiny ? 96 : 320));
const HEIGHT = Number(args[2] ?? (tiny ? 64 : 213));
const BIN = new URL('../packages/deeplab/bin/seg-deeplab.js', import.meta.url).pathname;

await tf.setBackend('wasm');
const dir = await mkdtemp(join(os.tmpdir(), 'seg-batch-bench-'));
const model = join(dir, 'model');
const net = deeplabV3Plus({
  numClasses: 21,
  backbone: 'resnet18',
  outputStride: 16,
  ...(tiny ? { backboneOptions: { baseWidth: 8, blocks: [1, 1, 1, 1] }, aspp: { filters: 16 } } : {}),
});
await saveModel(net, model);
// The same model exported: its rows run on ONNX Runtime (one thread per worker process).
const onnx = join(dir, 'model.onnx');
await writeFile(onnx, await exportOnnx(net));
net.dispose();
const data = await generateSyntheticMsrc(join(dir, 'data'), { count: IMAGES, seed: 1, width: WIDTH, height: HEIGHT, portraitFraction: 0 });
const images = join(data.root, 'Images');

/** Peak RSS (MB) of every descendant process of `root`, sampled every 200 ms until stopped. */
function watchMemory(root = process.pid) {
  const peak = new Map();
  const sample = () => {
    let table;
    try {
      table = execFileSync('ps', ['-e', '-o', 'pid=,ppid=,rss=,args='], { encoding: 'utf8' });
    } catch {
      return;
    }
    const rows = table.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const family = new Set([String(root)]);
    for (let grown = true; grown; ) {
      grown = false;
      for (const [pid, ppid] of rows) {
        if (family.has(ppid) && !family.has(pid)) {
          family.add(pid);
          grown = true;
        }
      }
    }
    for (const [pid, , rss, ...cmd] of rows) {
      if (pid === String(root) || !family.has(pid) || !cmd.join(' ').includes('node')) continue;
      // The bench starts the queue workers (`seg-deeplab worker --queue …`); every other node process segments.
      const role = cmd.join(' ').includes(' worker --queue ') ? 'queue worker (BullMQ)' : 'segmenting process';
      peak.set(pid, { role, mb: Math.max(peak.get(pid)?.mb ?? 0, Number(rss) / 1024) });
    }
  };
  const timer = setInterval(sample, 200);
  return () => {
    clearInterval(timer);
    return [...peak.values()];
  };
}

/** Runs a BatchRun to its end; returns the summary and the steady rate (first image to last). */
async function follow(run) {
  const ends = [];
  for await (const r of run) if (r.status === 'segmented') ends.push(performance.now());
  const summary = await run.summary();
  const steady = ends.length > 1 ? ((ends.length - 1) * 1000) / (ends.at(-1) - ends[0]) : Number.NaN;
  return { summary, steady };
}

const results = [];
async function measure(name, start) {
  const stopMemory = watchMemory();
  const { summary, steady } = await start(join(dir, `out-${results.length}`));
  const memory = stopMemory();
  if (summary.counts.segmented !== IMAGES) throw new Error(`${name}: segmented ${summary.counts.segmented} of ${IMAGES}: ${JSON.stringify(summary.failures)}`);
  results.push({ name, summary, steady, memory });
}

await measure('local, 1 worker', (out) => follow(segmentMany(model, [images], { out, workers: 1, backend: 'wasm' })));
await measure('local, 2 workers', (out) => follow(segmentMany(model, [images], { out, workers: 2, backend: 'wasm' })));
await measure('local, 1 worker, ONNX', (out) => follow(segmentMany(onnx, [images], { out, workers: 1 })));
await measure('local, 2 workers, ONNX', (out) => follow(segmentMany(onnx, [images], { out, workers: 2 })));

const redisMissing = await redisServerMissing();
if (redisMissing) {
  console.log(`queue row skipped: redis-server cannot run (${redisMissing}); install ${REDIS_SERVER_PACKAGE}\n`);
  await rm(dir, { recursive: true, force: true });
} else {
  const redis = await startRedis();
  const workers = [0, 1].map(() =>
    spawn(process.execPath, [BIN, 'worker', '--queue', redis.url('bench'), '--allow', dir, '--workers', '1', '--backend', 'wasm'], { stdio: ['ignore', 'ignore', 'pipe'] }),
  );
  await Promise.all(
    workers.map((w) => new Promise((resolve) => w.stderr.on('data', (d) => String(d).includes('taking jobs') && resolve(undefined)))),
  );
  try {
    await measure('queue, 2 workers', async (out) => follow(watchQueuedRun(await enqueueSegmentation(redis.url('bench'), model, [images], { out }))));
  } finally {
    for (const w of workers) w.kill('SIGTERM');
    await Promise.all(workers.map((w) => new Promise((resolve) => w.once('exit', resolve))));
    await redis.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const pct = (x) => `${(100 * x).toFixed(0)}%`;
console.log(
  `${IMAGES} images ${WIDTH}×${HEIGHT}, DeepLabV3+ ResNet-18 OS 16${tiny ? ' (reduced width)' : ''}, wasm, ` +
    `${os.cpus().length} cores (${os.cpus()[0].model}), Node ${process.version}, load average ${os.loadavg()[0].toFixed(1)}\n`,
);
console.log('| run | img/s (wall) | img/s (first→last) | decode / model / encode | peak RSS per process |');
console.log('| --- | --- | --- | --- | --- |');
for (const { name, summary, steady, memory } of results) {
  const { shares } = summary.throughput;
  const mem = memory.map((m) => `${m.mb.toFixed(0)} MB (${m.role})`).join(', ');
  console.log(`| ${name} | ${summary.throughput.imagesPerSecond.toFixed(2)} | ${steady.toFixed(2)} | ${pct(shares.decode)} / ${pct(shares.segment)} / ${pct(shares.encode)} | ${mem} |`);
}
const [one, two, oneOnnx, twoOnnx, queue] = results;
const perImageMs = (rate, n) => (1000 * n) / rate;
console.log(`\n2 local workers / 1: ${(two.steady / one.steady).toFixed(2)}× (target ≥ 1.8×)`);
if (queue) console.log(`2 queue workers / 2 local: ${(queue.steady / two.steady).toFixed(2)}× (target ≥ 0.9×)`);
console.log(`ONNX: 2 local workers / 1: ${(twoOnnx.steady / oneOnnx.steady).toFixed(2)}×; ONNX / tfjs with 2 workers: ${(twoOnnx.steady / two.steady).toFixed(2)}×`);
if (queue) console.log(`queue overhead per image and worker: ${(perImageMs(queue.steady, 2) - perImageMs(two.steady, 2)).toFixed(1)} ms`);
