import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Pixels } from '@seg/core';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { useBackend } from '../../../../test-utils/backends.js';
import { randomRgbImage } from '../../../../test-utils/images.js';
import { randomizeWeights } from '../../../../test-utils/weights.js';
import { deeplabV3Plus } from '../model/deeplab-v3-plus.js';
import { segment } from '../inference/segment.js';
import { exportOnnx } from './export-onnx.js';
import { loadOnnxSegmenter } from './load-onnx-segmenter.js';
import { encodeOnnxModel, ONNX_DTYPE } from './onnx-proto.js';
import { importOrt } from './ort-runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'seg-onnx-segmenter-'));

describe('loadOnnxSegmenter', () => {
  let model: tfl.LayersModel;
  let bytes: Uint8Array;
  let file: string;
  beforeAll(async () => {
    await useBackend('cpu');
    model = deeplabV3Plus({ backbone: 'resnet18', numClasses: 5, lowLevelChannels: 4, decoderChannels: 8, backboneOptions: { baseWidth: 4, blocks: [1, 1, 1, 1] } });
    randomizeWeights(model, 11);
    bytes = await exportOnnx(model);
    file = join(dir, 'model.onnx');
    writeFileSync(file, bytes);
  });
  afterAll(() => {
    model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const runtime of ['node', 'web'] as const) {
    it(`onnxruntime-${runtime}: the labels and scores of tfjs's segment(), plain and with flip and scales`, async () => {
      const segmenter = await loadOnnxSegmenter(runtime === 'node' ? file : pathToFileURL(file), { runtime, threads: 1 });
      const image = randomRgbImage(77, 65, 3);
      for (const options of [{ returnScores: true }, { flip: true, scales: [1, 0.75], returnScores: true }]) {
        const [ours, theirs] = [await segmenter.segment(image, options), await segment(model, image, options)];
        expect([ours.width, ours.height]).toEqual([77, 65]);
        expect(ours.labels).toBeInstanceOf(Uint8Array);
        const same = ours.labels.filter((l, i) => l === theirs.labels[i]).length;
        expect(same / ours.labels.length).toBeGreaterThanOrEqual(0.999);
        const worst = Math.max(...ours.scores!.map((s, i) => Math.abs(s - theirs.scores![i])));
        expect(worst).toBeLessThan(1e-4);
      }
      await segmenter.dispose();
      await expect(segmenter.segment(image)).rejects.toThrow('segment: this ONNX segmenter was disposed; load the model again');
    });
  }

  it('refuses what is not ONNX, naming the file', async () => {
    const json = join(dir, 'model.json');
    writeFileSync(json, JSON.stringify({ modelTopology: {} }));
    await expect(loadOnnxSegmenter(json)).rejects.toThrow(`loadOnnxSegmenter: ${json} is not an ONNX model (`);
    await expect(loadOnnxSegmenter(json)).rejects.toThrow("expected a .onnx file written by exportOnnx() or `seg-deeplab export`");
    await expect(loadOnnxSegmenter(join(dir, 'missing.onnx'))).rejects.toThrow(`loadOnnxSegmenter: cannot read ${join(dir, 'missing.onnx')}: ENOENT`);
    await expect(loadOnnxSegmenter(null as never)).rejects.toThrow('loadOnnxSegmenter: source is null; expected a file path, a URL, or the model');
  });

  /** An identity graph on [n, 3, h, w] images written by another tool, with `metadata`. */
  const identityModel = (metadata: Record<string, string>) =>
    encodeOnnxModel({
      irVersion: 8,
      opset: 17,
      producerName: 'elsewhere',
      producerVersion: '1',
      docString: '',
      metadata,
      graph: {
        name: 'identity',
        nodes: [{ opType: 'Identity', name: 'id', inputs: ['x'], outputs: ['y'], attributes: [] }],
        initializers: [],
        inputs: [{ name: 'x', elemType: ONNX_DTYPE.FLOAT, dims: ['n', 3, 'h', 'w'] }],
        outputs: [{ name: 'y', elemType: ONNX_DTYPE.FLOAT, dims: ['n', 3, 'h', 'w'] }],
      },
    });

  it('refuses an ONNX model without the metadata it needs, naming the keys', async () => {
    await expect(loadOnnxSegmenter(identityModel({}))).rejects.toThrow(
      'loadOnnxSegmenter: the given bytes has no seg.format, seg.layout, seg.normalization, seg.num_classes, seg.min_input_size metadata; export the model with exportOnnx()',
    );
  });

  it('refuses metadata that would switch the memory check off, naming the key', async () => {
    const metadata = {
      'seg.format': '1',
      'seg.layout': 'NCHW',
      'seg.normalization': '{"scale":255,"mean":[0,0,0],"std":[1,1,1]}',
      'seg.num_classes': '3',
      'seg.min_input_size': '1',
      'seg.peak_bytes_per_pixel': '1e-300',
    };
    await expect(loadOnnxSegmenter(identityModel(metadata))).rejects.toThrow(
      'loadOnnxSegmenter: the given bytes has seg.peak_bytes_per_pixel="1e-300"; expected a number from 4 to 1048576',
    );
  });

  it('refuses a model for other than 3 channels, and images of the wrong channel count or with non-finite values', async () => {
    const gray = tfl.sequential({ layers: [tfl.layers.conv2d({ inputShape: [null, null, 1], filters: 2, kernelSize: 1 })] });
    await expect(loadOnnxSegmenter(await exportOnnx(gray))).rejects.toThrow(
      'loadOnnxSegmenter: the given bytes\'s input "image" has shape [batch, 1, height, width]; a segmenter feeds [N, 3, H, W] RGB images',
    );
    const segmenter = await loadOnnxSegmenter(bytes, { threads: 1 });
    await expect(segmenter.segment({ ...randomRgbImage(40, 40, 1), channels: 2 } as never)).rejects.toThrow('segment: image channels is 2; expected 3 (RGB) or 4 (RGBA)');
    const values = new Float32Array(40 * 40 * 3).fill(10);
    values[7] = Number.POSITIVE_INFINITY;
    const t = tf.tensor3d(values, [40, 40, 3]);
    await expect(segmenter.segment(t)).rejects.toThrow('segment: image value Infinity at x=2, y=0, channel G is not finite');
    await expect(segmenter.segment(randomRgbImage(40, 40, 1), { scales: [Number.NaN] })).rejects.toThrow('segment: options.scales[0] is NaN');
    await expect(segmenter.segment(randomRgbImage(40, 40, 1), { scale: 2 } as never)).rejects.toThrow('segment: unknown option(s) scale; the options are flip, scales, returnScores');
    t.dispose();
    await segmenter.dispose();
  });

  it('onnxruntime-web: an image larger than its 4 GiB wasm heap is refused before running, and the session still works', async () => {
    const segmenter = await loadOnnxSegmenter(bytes, { runtime: 'web', threads: 1 });
    const huge: Pixels = { data: new Uint8Array(8000 * 6000 * 3), width: 8000, height: 6000, channels: 3 };
    await expect(segmenter.segment(huge)).rejects.toThrow(
      /^segment: a 8000x6000 image needs about [\d.]+ GiB at its widest point on ONNX Runtime web, more than 4\.00 GiB, ONNX Runtime Web's 4 GiB wasm heap \(32-bit wasm\); scale it down to at most about \d+x\d+/,
    );
    expect((await segmenter.segment(randomRgbImage(48, 40, 2))).labels.length).toBe(48 * 40);
    await segmenter.dispose();
  });

  it("onnxruntime-node: an image larger than the memory available now is refused, though the machine's total would hold it", async () => {
    const segmenter = await loadOnnxSegmenter(bytes, { threads: 1 });
    const image = randomRgbImage(200, 150, 3);
    const available = vi.spyOn(process as unknown as { availableMemory(): number }, 'availableMemory').mockReturnValue(2 ** 20);
    try {
      await expect(segmenter.segment(image)).rejects.toThrow(
        /^segment: a 200x150 image needs about [\d.]+ GiB at its widest point on ONNX Runtime node, more than 0\.00 GiB, the memory available to this process now \(process\.availableMemory\(\)\); scale it down/,
      );
    } finally {
      available.mockRestore();
    }
    expect(totalmem()).toBeGreaterThan(2 ** 30);
    expect((await segmenter.segment(image)).labels.length).toBe(200 * 150);
    await segmenter.dispose();
  });

  it('refuses ONNX external data, which ONNX Runtime would read from the working directory', async () => {
    // scripts/fixtures/onnx_external_data.py: a 1x1 conv whose 2x3 weight is external data at location "secret.bin".
    const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/onnx-external-data/${name}`, import.meta.url));
    const cwd = process.cwd();
    const service = mkdtempSync(join(tmpdir(), 'seg-onnx-service-'));
    writeFileSync(join(service, 'secret.bin'), new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6]).buffer));
    process.chdir(service);
    try {
      // The hazard, shown with ONNX Runtime itself and the segmenter's session options: the secret becomes the weights.
      const ort = (await importOrt('node', 'test')) as unknown as typeof import('onnxruntime-node');
      const session = await ort.InferenceSession.create(readFileSync(fixture('constant.onnx')), { graphOptimizationLevel: 'all' });
      const { logits } = await session.run({ image: new ort.Tensor('float32', Float32Array.from([1, 10, 100]), [1, 3, 1, 1]) });
      expect([...(logits.data as Float32Array)]).toEqual([1 + 20 + 300, 4 + 50 + 600]);
      await session.release();
      for (const [file, tensor] of [
        ['constant.onnx', 'w_inner'],
        ['initializer.onnx', 'w'],
      ]) {
        for (const runtime of ['node', 'web'] as const) {
          await expect(loadOnnxSegmenter(fixture(file), { runtime })).rejects.toThrow(
            `loadOnnxSegmenter: ${fixture(file)} keeps tensor "${tensor}" in an external file (location "secret.bin"); ONNX external data is refused`,
          );
        }
      }
    } finally {
      process.chdir(cwd);
      rmSync(service, { recursive: true, force: true });
    }
  });
});
