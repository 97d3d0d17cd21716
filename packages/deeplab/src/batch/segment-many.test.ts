/**
 * Batch segmentation on this machine, end to end: a saved model, a nested
 * folder of images with a corrupt one, worker processes (the built package:
 * run `pnpm build` first), and every output checked against labels computed
 * by hand.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Transformer } from '@napi-rs/image';
import { SeededRng } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_BACKENDS, useBackend } from '../../../../test-utils/backends.js';
import { spawnNode } from '../../../../test-utils/child-process.js';
import { setModelClasses } from '../classes/model-classes.js';
import { saveModel } from '../model/model-files.js';
import { exportOnnx } from '../onnx/export-onnx.js';
import { IMAGENET_MEAN, IMAGENET_STD } from '../inference/preprocess.js';
import { tfjsSegmenter } from '../inference/tfjs-segmenter.js';
import { loadBatchSegmenter } from './segmenter-loader.js';
import { segmentMany } from './segment-many.js';
import type { ImageResult } from './summary.js';

const BIN = fileURLToPath(new URL('../../bin/seg-deeplab.js', import.meta.url));
const CLASSES = [
  { name: 'red', color: [230, 25, 75] as const },
  { name: 'green', color: [60, 180, 75] as const },
  { name: 'blue', color: [0, 130, 200] as const },
];

/** A 1×1 convolution passing the normalised RGB through: each pixel's class is its largest normalised channel. */
function channelModel(): tfl.LayersModel {
  const input = tfl.input({ shape: [null, null, 3] });
  const conv = tfl.layers.conv2d({ filters: 3, kernelSize: 1 });
  const model = tfl.model({ inputs: input, outputs: conv.apply(input) as tfl.SymbolicTensor });
  tf.tidy(() => conv.setWeights([tf.reshape(tf.eye(3), [1, 1, 3, 3]), tf.zeros([3])]));
  setModelClasses(model, CLASSES);
  return model;
}

/** The class of an RGB pixel by hand: the largest (x / 255 - mean) / std. */
function expectedClass(r: number, g: number, b: number): number {
  const n = [r, g, b].map((x, c) => (x / 255 - IMAGENET_MEAN[c]) / IMAGENET_STD[c]);
  return n.indexOf(Math.max(...n));
}

/** RGBA pixels whose winning channel is clear (≥ 200 against ≤ 90), seeded. */
function pixels(width: number, height: number, seed: number): Uint8Array {
  const rgba = new Uint8Array(width * height * 4);
  const rng = new SeededRng(seed);
  const next = () => rng.int(256);
  for (let p = 0; p < width * height; p++) {
    const winner = (next() + Math.floor(p / 7)) % 3;
    for (let c = 0; c < 3; c++) rgba[4 * p + c] = c === winner ? 200 + (next() % 56) : next() % 91;
    rgba[4 * p + 3] = 255;
  }
  return rgba;
}

async function decode(file: string) {
  const t = new Transformer(readFileSync(file));
  const { width, height } = await t.metadata();
  const raw = new Uint8Array(await t.rawPixels());
  return { width, height, channels: raw.length / (width * height), raw };
}

describe('segmentMany', () => {
  let dir: string;
  const images: Record<string, { width: number; height: number; rgba: Uint8Array }> = {};
  const model = () => join(dir, 'model');
  /** Pixels per class over the readable images, by hand. */
  const expectedPixels = () => {
    const counts = [0, 0, 0];
    for (const { width, height, rgba } of Object.values(images)) {
      for (let p = 0; p < width * height; p++) counts[expectedClass(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2])]++;
    }
    return counts;
  };

  beforeAll(async () => {
    await useBackend('wasm');
    dir = mkdtempSync(join(tmpdir(), 'seg-batch-'));
    const m = channelModel();
    await saveModel(m, model());
    m.dispose();
    const sizes: Record<string, [number, number]> = { 'a.png': [40, 33], 'sub/b.png': [37, 41], 'sub/deeper/c.bmp': [33, 32] };
    for (const [i, [rel, [width, height]]] of Object.entries(sizes).entries()) {
      const rgba = pixels(width, height, i + 1);
      const t = Transformer.fromRgbaPixels(rgba, width, height);
      mkdirSync(join(dir, 'in', rel, '..'), { recursive: true });
      writeFileSync(join(dir, 'in', rel), rel.endsWith('.bmp') ? await t.bmp() : await t.png());
      images[rel] = { width, height, rgba };
    }
    writeFileSync(join(dir, 'in/sub/broken.jpg'), 'not a JPEG at all');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = async (options: Parameters<typeof segmentMany>[2], target: string | ReturnType<typeof tfjsSegmenter> = model()) => {
    const batch = segmentMany(target, [join(dir, 'in')], options);
    const progress: number[] = [];
    batch.on('progress', (p) => progress.push(p.done));
    const results: ImageResult[] = [];
    for await (const r of batch) results.push(r);
    const summary = await batch.summary();
    expect(progress).toEqual(results.map((_, i) => i + 1));
    expect(JSON.parse(readFileSync(join(options.out, 'summary.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(summary)));
    return { results, summary };
  };

  it('writes exactly one labels PNG per readable image (classes as computed by hand, palette embedded), the extras, and a summary listing the corrupt one', async () => {
    const out = join(dir, 'out');
    const { results, summary } = await run({ out, workers: 2, backend: 'wasm', save: ['color', 'overlay', 'scores'], attempts: 2, backoffMs: 10 });
    expect(results.map((r) => `${r.rel}:${r.status}`).sort()).toEqual(['a.png:segmented', 'sub/b.png:segmented', 'sub/broken.jpg:failed', 'sub/deeper/c.bmp:segmented']);
    for (const [rel, { width, height, rgba }] of Object.entries(images)) {
      const labels = await decode(join(out, `${rel}.png`));
      const color = await decode(join(out, `${rel}.color.png`));
      const blended = await decode(join(out, `${rel}.overlay.png`));
      const scores = await decode(join(out, `${rel}.scores.png`));
      expect([labels.width, labels.height, scores.channels]).toEqual([width, height, 2]);
      for (let p = 0; p < width * height; p++) {
        const id = expectedClass(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2]);
        const colour = CLASSES[id].color;
        // An indexed PNG decodes to its palette colours: the class's colour means its id.
        expect([...labels.raw.subarray(p * labels.channels, p * labels.channels + 3)]).toEqual([...colour]);
        expect([...color.raw.subarray(3 * p, 3 * p + 3)]).toEqual([...colour]);
        expect([...blended.raw.subarray(3 * p, 3 * p + 3)]).toEqual([0, 1, 2].map((c) => Math.round(0.5 * rgba[4 * p + c] + 0.5 * colour[c])));
        // The winning softmax probability of three classes is above 1/3.
        expect(new Uint16Array(scores.raw.buffer)[p]).toBeGreaterThan(65535 / 3);
      }
    }
    const pixelsPerClass = expectedPixels();
    const total = pixelsPerClass.reduce((a, b) => a + b, 0);
    expect(summary).toMatchObject({ complete: true, counts: { inputs: 4, segmented: 3, skipped: 0, failed: 1, notRun: 0 } });
    expect([...summary.pixelShares].sort((a, b) => a.id - b.id)).toEqual(
      pixelsPerClass.map((n, id) => ({ id, name: CLASSES[id].name, pixels: n, share: n / total })),
    );
    expect(summary.failures).toEqual([
      { input: join(dir, 'in/sub/broken.jpg'), error: expect.stringMatching(/^ImageReadError: .*broken\.jpg: not a decodable image/), attempts: 2 },
    ]);
    expect(summary.throughput.imagesPerSecond).toBeGreaterThan(0);
    const files = readdirSync(out, { recursive: true }) as string[];
    expect(files.filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(files.filter((f) => f.endsWith('.png') && !/\.(color|overlay|scores)\.png$/.test(f)).sort()).toEqual(
      ['a.png.png', 'sub/b.png.png', 'sub/deeper/c.bmp.png'],
    );
  });

  it('skips images done by an earlier run, keeps its summary, and redoes them when asked', async () => {
    const out = join(dir, 'out');
    const again = await run({ out, workers: 1, backend: 'wasm', attempts: 1 });
    expect(again.summary.counts).toMatchObject({ segmented: 0, skipped: 3, failed: 1 });
    expect(readdirSync(out).filter((f) => /^summary-\d{8}T\d{6}Z\.json$/.test(f))).toHaveLength(1);
    const redo = await run({ out, workers: 1, backend: 'wasm', attempts: 1, redo: true });
    expect(redo.summary.counts).toMatchObject({ segmented: 3, skipped: 0, failed: 1 });
  });

  for (const backend of TEST_BACKENDS) {
    it(`runs a Segmenter in this process without leaking tensors, with the classes given [${backend}]`, async () => {
      await useBackend(backend);
      const m = channelModel();
      const out = join(dir, `in-process-${backend}`);
      const before = tf.memory().numTensors;
      const { summary } = await run({ out, attempts: 1, classes: CLASSES }, tfjsSegmenter(m));
      expect(tf.memory().numTensors).toBe(before);
      expect(summary.counts).toMatchObject({ segmented: 3, failed: 1 });
      const expected = expectedPixels();
      expect([...summary.pixelShares].sort((a, b) => a.id - b.id).map((c) => [c.name, c.pixels])).toEqual(expected.map((n, id) => [CLASSES[id].name, n]));
      await expect(segmentMany(tfjsSegmenter(m), [join(dir, 'in')], { out, workers: 2 }).summary()).rejects.toThrow(/a Segmenter object runs in this process/);
      m.dispose();
      await useBackend('wasm');
    });
  }

  it('fails every image with a ModelLoadError naming a model path it cannot read', async () => {
    const missing = join(dir, 'no-such-model');
    const { summary } = await run({ out: join(dir, 'no-model'), workers: 1, backend: 'wasm', attempts: 1 }, missing);
    expect(summary.counts).toMatchObject({ segmented: 0, failed: 4 });
    // The model loads before the image is read: the corrupt image fails on the model too.
    for (const f of summary.failures) expect(f.error).toMatch(new RegExp(`^ModelLoadError: cannot load model ${missing}: .*model\\.json`));
  });

  it('is what `seg-deeplab segment` runs', async () => {
    const out = join(dir, 'out-cli');
    const cli = spawnNode([BIN, 'segment', model(), join(dir, 'in'), '--out', out, '--workers', '1', '--backend', 'wasm', '--save', 'color', '--attempts', '1']);
    expect(await cli.exited).toBe(1);
    expect(cli.stdout()).toMatch(new RegExp(`^segmented 3, skipped 0, failed 1 of 4 images in [\\d.]+ s \\([\\d.]+ img/s\\); summary: ${out}/summary.json\\n$`));
    // No terminal: plain progress lines, the last one when every image has ended.
    expect(cli.lines.some((l) => /^progress: images 4\/4, [\d.]+ img\/s, 1 failed, ETA 0s$/.test(l))).toBe(true);
    expect(cli.lines.some((l) => /^failed: ImageReadError: .*broken\.jpg/.test(l))).toBe(true);
    expect((readdirSync(out, { recursive: true }) as string[]).filter((f) => f.endsWith('.color.png'))).toHaveLength(3);
  });

  it('runs an exported .onnx model on ONNX Runtime: the same labels, the classes from its metadata', async () => {
    const onnx = join(dir, 'model.onnx');
    const source = channelModel();
    writeFileSync(onnx, await exportOnnx(source));
    source.dispose();
    const loaded = await loadBatchSegmenter(onnx);
    expect(loaded.classes).toEqual(CLASSES);
    await loaded.segmenter.dispose();
    const out = join(dir, 'out-onnx');
    const { summary } = await run({ out, workers: 1, attempts: 1 }, onnx);
    expect(summary.counts).toMatchObject({ segmented: 3, failed: 1 });
    const pixelsPerClass = expectedPixels();
    const total = pixelsPerClass.reduce((a, b) => a + b, 0);
    expect([...summary.pixelShares].sort((a, b) => a.id - b.id)).toEqual(
      pixelsPerClass.map((n, id) => ({ id, name: CLASSES[id].name, pixels: n, share: n / total })),
    );
    for (const [rel, { width, height, rgba }] of Object.entries(images)) {
      const labels = await decode(join(out, `${rel}.png`));
      for (let p = 0; p < width * height; p++) {
        const colour = CLASSES[expectedClass(rgba[4 * p], rgba[4 * p + 1], rgba[4 * p + 2])].color;
        expect([...labels.raw.subarray(p * labels.channels, p * labels.channels + 3)]).toEqual([...colour]);
      }
    }
    await expect(segmentMany(onnx, [join(dir, 'in')], { out, backend: 'wasm' }).summary()).rejects.toThrow(/picks the tfjs backend of saved tfjs models, but .*model\.onnx runs on ONNX Runtime/);
  });
});
