// @seg/datasets feeding a training loop at real image sizes: how long the loop
// waits for its next batch, against a representative step time.
//
//   cityscapes   2048×1024 RGB PNGs (leftImg8bit) + 8-bit grey _gtFine_labelIds.png
//   voc          500×375 JPEGs + palette PNGs (SegmentationClass), the VOC 2012 sizes
//
// Both copies are generated first (noisy photos, so the PNGs weigh what real
// ones do, ~2-3 MB; block label maps), in the real layouts. Then, per dataset:
//   decode       split.get(i) one after the other: wall time, and the main
//                thread's share of it (event-loop utilisation): what is not on
//                the main thread runs on libuv's pool (@napi-rs/image's async
//                decode, node:zlib's inflate for the label PNG)
//   loop         segmentationBatches(split, { prefetch: 2 }) consumed by a loop
//                whose "training step" blocks the main thread for STEP ms, as a
//                synchronous tfjs step does; `waited` is the time the loop spent
//                blocked on the next batch, per step (the first batch left out).
//                Side by side in the same run: samples read on the main thread
//                (`workers: 0`, the decoders still on libuv's pool) and by the
//                decode workers (`workers`, default), and as a control the same
//                samples already decoded in memory: what batching alone (float
//                conversion and normalisation on the main thread, in @seg/core's
//                segmentationBatches) costs the loop.
//
// Run after `pnpm build`:
//   node bench/datasets-pipeline.bench.mjs [cityscapesImages=12] [vocImages=32] [cityscapesStepMs=1000] [vocStepMs=300]
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { inMemoryDataset, SeededRng, segmentationBatches } from '../packages/core/dist/index.js';
import { vocPalette } from '../packages/datasets/dist/classes.js';
import { encodeIndexPng, encodeRgbPng, openDataset } from '../packages/datasets/dist/index.js';

// @napi-rs/image (only to write the JPEGs) is a dependency of @seg/datasets, not of the root.
const { Transformer } = createRequire(new URL('../packages/datasets/package.json', import.meta.url))('@napi-rs/image');

const CITY_IMAGES = Number(process.argv[2] ?? 12);
const VOC_IMAGES = Number(process.argv[3] ?? 32);
const CITY_STEP_MS = Number(process.argv[4] ?? 1000);
const VOC_STEP_MS = Number(process.argv[5] ?? 300);

await tf.setBackend('cpu');

/** A photo-like RGBA image: gradients plus noise of a few levels, which PNG compresses about as badly as a real photo. */
function photo(width, height, rng) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const p = (y * width + x) * 4;
      rgba[p] = ((x >> 3) + rng.int(12)) & 255;
      rgba[p + 1] = ((y >> 2) + rng.int(12)) & 255;
      rgba[p + 2] = ((x + y) >> 4) + rng.int(12);
      rgba[p + 3] = 255;
    }
  }
  return rgba;
}

/** A label map of `blocks`×`blocks` rectangles of random values from `values`. */
function labelMap(width, height, values, rng, blocks = 12) {
  const ids = Array.from({ length: blocks * blocks }, () => values[rng.int(values.length)]);
  const out = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) out[y * width + x] = ids[Math.floor((y * blocks) / height) * blocks + Math.floor((x * blocks) / width)];
  }
  return out;
}

async function makeCityscapes(root, n, rng) {
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const id = `aachen_000000_${String(i).padStart(6, '0')}`;
    const png = await encodeRgbPng(photo(2048, 1024, rng), 2048, 1024);
    const labels = await encodeIndexPng(labelMap(2048, 1024, [1, 7, 8, 11, 21, 23, 24, 26], rng), 2048, 1024);
    await mkdir(join(root, 'leftImg8bit/train/aachen'), { recursive: true });
    await mkdir(join(root, 'gtFine/train/aachen'), { recursive: true });
    await writeFile(join(root, 'leftImg8bit/train/aachen', `${id}_leftImg8bit.png`), png);
    await writeFile(join(root, 'gtFine/train/aachen', `${id}_gtFine_labelIds.png`), labels);
    bytes += png.length + labels.length;
  }
  return bytes / n;
}

async function makeVoc(root, n, rng) {
  const base = join(root, 'VOCdevkit/VOC2012');
  for (const d of ['JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation']) await mkdir(join(base, d), { recursive: true });
  const ids = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const id = `2007_${String(i).padStart(6, '0')}`;
    const jpeg = await Transformer.fromRgbaPixels(photo(500, 375, rng), 500, 375).jpeg(90);
    const png = await encodeIndexPng(labelMap(500, 375, [0, 0, 15, 12, 255], rng, 6), 500, 375, vocPalette(256));
    await writeFile(join(base, 'JPEGImages', `${id}.jpg`), jpeg);
    await writeFile(join(base, 'SegmentationClass', `${id}.png`), png);
    ids.push(id);
    bytes += jpeg.length + png.length;
  }
  await writeFile(join(base, 'ImageSets/Segmentation/train.txt'), `${ids.join('\n')}\n`);
  return bytes / n;
}

/** Sequential reads: wall ms per sample and the main thread's busy share of it. */
async function decodeCost(split) {
  await split.get(0); // warm-up: native module load, first-call costs
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  for (let i = 0; i < split.size; i++) await split.get(i);
  const wall = performance.now() - t0;
  const elu = performance.eventLoopUtilization(elu0);
  return { wallMs: wall / split.size, mainMs: elu.active / split.size };
}

/** A training loop whose step blocks the main thread for `stepMs`; returns ms waited per step for the next batch. */
async function loopWait(split, batchSize, prefetch, stepMs) {
  const stream = segmentationBatches(split, { batchSize, prefetch, seed: 1, shuffle: true });
  const it = stream.epoch(0);
  let waited = 0;
  let steps = 0;
  let first = 0;
  for (;;) {
    const t = performance.now();
    const { value: b, done } = await it.next();
    const w = performance.now() - t;
    if (done) break;
    // The first batch is always a cold start; the steady state is what a long run sees.
    if (steps === 0) first = w;
    else waited += w;
    steps++;
    tf.dispose([b.images, b.labels]);
    const end = performance.now() + stepMs;
    while (performance.now() < end) {
      // busy: a synchronous tfjs step holds the main thread
    }
  }
  return { perStep: waited / Math.max(1, steps - 1), first, steps };
}

const dir = await mkdtemp(join(os.tmpdir(), 'seg-datasets-bench-'));
try {
  const rng = new SeededRng(27);
  const cityBytes = CITY_IMAGES > 0 ? await makeCityscapes(join(dir, 'cityscapes'), CITY_IMAGES, rng) : 0;
  const vocBytes = VOC_IMAGES > 0 ? await makeVoc(join(dir, 'voc'), VOC_IMAGES, rng) : 0;
  console.log(`UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, ${os.cpus().length} CPUs, load ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const rows = [];
  for (const [name, format, root, batch, stepMs, bytes] of [
    ['cityscapes 2048×1024 PNG', 'cityscapes', join(dir, 'cityscapes'), 2, CITY_STEP_MS, cityBytes],
    ['voc 500×375 JPEG', 'voc', join(dir, 'voc'), 8, VOC_STEP_MS, vocBytes],
  ]) {
    // A count of 0 leaves that dataset out.
    if ((format === 'voc' ? VOC_IMAGES : CITY_IMAGES) === 0) continue;
    for (const workers of [0, undefined]) {
      const split = (await openDataset(root, { format, workers })).split('train');
      const decode = await decodeCost(split);
      const loop = await loopWait(split, batch, 2, stepMs);
      rows.push({
        dataset: name,
        workers: workers ?? 'default',
        'files/sample': `${(bytes / 2 ** 20).toFixed(2)} MB`,
        'read ms/sample': decode.wallMs.toFixed(1),
        'main thread ms/sample': decode.mainMs.toFixed(1),
        batch,
        'step ms': stepMs,
        'wait/step': `${loop.perStep.toFixed(1)} ms (${((100 * loop.perStep) / stepMs).toFixed(1)} %)`,
        'first batch': `${loop.first.toFixed(0)} ms`,
      });
    }
    const split = (await openDataset(root, { format })).split('train');
    const samples = [];
    for (let i = 0; i < split.size; i++) samples.push(await split.get(i));
    const loop = await loopWait(inMemoryDataset(samples), batch, 2, stepMs);
    rows.push({ dataset: name, workers: 'in memory', batch, 'step ms': stepMs, 'wait/step': `${loop.perStep.toFixed(1)} ms (${((100 * loop.perStep) / stepMs).toFixed(1)} %)` });
  }
  console.table(rows);
} finally {
  await rm(dir, { recursive: true, force: true });
}
