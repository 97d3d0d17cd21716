import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, roundTripInMemory, useBackend } from '../../../../test-utils/backends.js';
import { maxAbsDiff, relativeError, scalarOf } from '../../../../test-utils/compare.js';
import { parseSafetensors, safetensorsToFloat32 } from '../io/safetensors.js';
import type { OutputStride } from '../layers/output-stride.js';
import { type ResNetDepth, resnet, resnetStageSchedule } from './resnet.js';
import { loadTorchvisionWeights, torchvisionWeightSpecs } from './torchvision-weights.js';

// Fixtures written by scripts/fixtures/resnet_parity.py (torchvision 0.14, eval mode).
const FIXTURES = new URL('../../fixtures/resnet-parity/', import.meta.url);
const fixturePath = (name: string) => fileURLToPath(new URL(name, FIXTURES));
const fixtureConfig = JSON.parse(readFileSync(fixturePath('config.json'), 'utf8'));
const reference = parseSafetensors(readFileSync(fixturePath('reference.safetensors')));
const refTensor = (key: string) => {
  const t = reference.tensors.get(key);
  if (!t) throw new Error(`fixture key ${key} missing`);
  return tf.tensor(safetensorsToFloat32(t), t.shape);
};

/** The reduced ResNet the fixture was made with. */
function fixtureResnet(depth: 18 | 50, outputStride: OutputStride = 32) {
  const { blocks, baseWidth, widthPerGroup } = fixtureConfig[`resnet${depth}`];
  return resnet({ depth, outputStride, blocks, baseWidth, widthPerGroup });
}

describe('resnetStageSchedule', () => {
  it("is torchvision's replace_stride_with_dilation schedule", () => {
    expect(resnetStageSchedule(32).map((s) => [s.stride, s.firstDilation, s.dilation])).toEqual([
      [1, 1, 1],
      [2, 1, 1],
      [2, 1, 1],
      [2, 1, 1],
    ]);
    expect(resnetStageSchedule(16).map((s) => [s.stride, s.firstDilation, s.dilation]).slice(2)).toEqual([
      [2, 1, 1],
      [1, 1, 2],
    ]);
    expect(resnetStageSchedule(8).map((s) => [s.stride, s.firstDilation, s.dilation]).slice(2)).toEqual([
      [1, 1, 2],
      [1, 2, 4],
    ]);
  });

  it('dilates first blocks too with dilateFirstBlock (DeepLab, the reference MSRC trunk)', () => {
    expect(resnetStageSchedule(8, true).map((s) => [s.stride, s.firstDilation, s.dilation]).slice(2)).toEqual([
      [1, 2, 2],
      [1, 4, 4],
    ]);
  });
});

describeEachBackend('resnet vs torchvision (reduced widths, 1×67×75 input)', () => {
  for (const depth of [18, 50] as const) {
    for (const os of [8, 16, 32] as const) {
      it(`resnet${depth} at output stride ${os}: high and low within 1e-3 of torch`, async () => {
        const model = fixtureResnet(depth, os);
        const report = await loadTorchvisionWeights(model, fixturePath(`resnet${depth}.safetensors`));
        expect(report.ignored).toContain('fc.weight');
        expect(report.ignored).toContain('bn1.num_batches_tracked');
        expect(report.loaded).toContain('layer4.1.bn2.running_var');
        const x = refTensor('input');
        await expectNoTensorLeak(async () => {
          const [high, low] = model.predict(x) as tf.Tensor[];
          const [refHigh, refLow] = [refTensor(`resnet${depth}.os${os}.high`), refTensor(`resnet${depth}.os${os}.low`)];
          expect(high.shape).toEqual(refHigh.shape);
          expect(low.shape).toEqual(refLow.shape);
          expect(high.shape.slice(1, 3)).toEqual(os === 32 ? [3, 3] : os === 16 ? [5, 5] : [9, 10]);
          expect(await relativeError(high, refHigh)).toBeLessThanOrEqual(1e-3);
          expect(await relativeError(low, refLow)).toBeLessThanOrEqual(1e-3);
          tf.dispose([high, low, refHigh, refLow]);
        });
        x.dispose();
        model.dispose();
      });
    }
  }

  it('converts F16 and BF16 files (same weights, rounded) and stays close to torch', async () => {
    const f32 = fixtureResnet(18);
    await loadTorchvisionWeights(f32, readFileSync(fixturePath('resnet18.safetensors')));
    const exact = f32.getLayer('layer3.1.conv2').getWeights()[0];
    for (const [file, ulp] of [
      ['resnet18-f16.safetensors', 2 ** -11],
      ['resnet18-bf16.safetensors', 2 ** -8],
    ] as const) {
      const model = fixtureResnet(18);
      await loadTorchvisionWeights(model, fixturePath(file));
      const rounded = model.getLayer('layer3.1.conv2').getWeights()[0];
      const relTensor = tf.tidy(() => tf.max(tf.div(tf.abs(tf.sub(rounded, exact)), tf.add(tf.abs(exact), 1e-6))));
      const rel = await scalarOf(relTensor);
      relTensor.dispose();
      expect(rel).toBeLessThanOrEqual(ulp);
      expect(rel).toBeGreaterThan(0);
      const x = refTensor('input');
      const [high] = model.predict(x) as tf.Tensor[];
      const refHigh = refTensor('resnet18.os32.high');
      expect(await relativeError(high, refHigh)).toBeLessThan(ulp * 40);
      tf.dispose([x, high, refHigh, ...model.predict(tf.zeros([1, 8, 8, 3])) as tf.Tensor[]]);
      model.dispose();
    }
    f32.dispose();
  });

  it('loads into a model that nests the ResNet as a sub-model', async () => {
    const trunk = fixtureResnet(50, 16);
    const input = tfl.input({ shape: [null, null, 3] });
    const [high] = trunk.apply(input) as tfl.SymbolicTensor[];
    const head = tfl.layers.conv2d({ filters: 2, kernelSize: 1, name: 'head' }).apply(high) as tfl.SymbolicTensor;
    const outer = tfl.model({ inputs: input, outputs: [head, high] });
    const report = await expectNoTensorLeak(() => loadTorchvisionWeights(outer, fixturePath('resnet50.safetensors')));
    expect(report.loaded).toHaveLength(torchvisionWeightSpecs(trunk).size);
    const x = refTensor('input');
    const [, out] = outer.predict(x) as tf.Tensor[];
    const ref = refTensor('resnet50.os16.high');
    expect(await relativeError(out, ref)).toBeLessThanOrEqual(1e-3);
    tf.dispose([x, out, ref]);
    outer.dispose();
  });

  it('round-trips model.save → loadLayersModel with identical outputs (dilated, OS 8)', async () => {
    const model = fixtureResnet(18, 8);
    await loadTorchvisionWeights(model, fixturePath('resnet18.safetensors'));
    const loaded = await roundTripInMemory(model);
    expect(loaded.getLayer('layer4.1.conv1').getClassName()).toBe('AtrousConv2D');
    const x = refTensor('input');
    const a = model.predict(x) as tf.Tensor[];
    const b = loaded.predict(x) as tf.Tensor[];
    for (let i = 0; i < 2; i++) expect(await maxAbsDiff(a[i], b[i])).toBe(0);
    tf.dispose([x, ...a, ...b]);
    model.dispose();
    loaded.dispose();
  });
});

describe('resnet at full size (no weights) [cpu]', () => {
  beforeAll(() => useBackend('cpu'));
  const realShapes: Record<string, Record<string, number[]>> = JSON.parse(readFileSync(fixturePath('real-shapes.json'), 'utf8'));
  for (const depth of [18, 34, 50, 101] as ResNetDepth[]) {
    it(`resnet${depth}: layer names and weight shapes are torchvision's state dict`, () => {
      const model = resnet({ depth, outputStride: 8, inputShape: [65, 65, 3] });
      const expected = Object.entries(realShapes[`resnet${depth}`]).filter(
        ([k]) => !k.startsWith('fc.') && !k.endsWith('num_batches_tracked'),
      );
      const specs = torchvisionWeightSpecs(model);
      expect([...specs.keys()].sort()).toEqual(expected.map(([k]) => k).sort());
      for (const [key, shape] of expected) expect(specs.get(key)!.shape).toEqual(shape);
      const [high, low] = model.outputs;
      const c = depth >= 50 ? 4 : 1;
      expect(high.shape).toEqual([null, 9, 9, 512 * c]);
      expect(low.shape).toEqual([null, 17, 17, 64 * c]);
      model.dispose();
    });
  }
});

describe('resnet / loadTorchvisionWeights errors [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  it('rejects unsupported depths, output strides and shapes', () => {
    expect(() => resnet({ depth: 42 as ResNetDepth })).toThrow(/depth 42 is not supported; use one of 18, 34, 50, 101/);
    expect(() => resnet({ depth: 18, outputStride: 4 as OutputStride })).toThrow('resnet: outputStride is 4; expected one of 8, 16, 32');
    expect(() => resnet({ depth: 18, inputShape: [32, 32, 1] as never })).toThrow(/must be \[height, width, 3\]/);
    expect(() => resnet({ depth: 50, blocks: [1, 1, 1] as never })).toThrow(/blocks \[1,1,1\] must be four positive integers/);
  });

  it('refuses a truncated file, naming it, and leaves the model untouched', async () => {
    const model = fixtureResnet(18);
    const before = model.getWeights().map((w) => w.dataSync().slice());
    const bytes = readFileSync(fixturePath('resnet18.safetensors'));
    await expect(loadTorchvisionWeights(model, bytes.subarray(0, bytes.length - 100))).rejects.toThrow(
      /safetensors <bytes>: .*run past the .* data bytes \(truncated\?\)/,
    );
    await expect(loadTorchvisionWeights(model, bytes.subarray(0, 20))).rejects.toThrow(/header length \d+ runs past the end/);
    await expect(loadTorchvisionWeights(model, '/nonexistent/r18.safetensors')).rejects.toThrow(
      /cannot read weight file "\/nonexistent\/r18.safetensors"/,
    );
    model.getWeights().forEach((w, i) => {
      expect(w.dataSync()).toEqual(before[i]);
    });
    model.dispose();
  });

  it('names missing and unexpected keys for a wrong key layout, assigning nothing', async () => {
    const r18 = fixtureResnet(18);
    const r50 = fixtureResnet(50);
    const before = r18.getWeights().map((w) => w.dataSync().slice());
    const message = async (model: tfl.LayersModel, file: string) =>
      (await loadTorchvisionWeights(model, fixturePath(file)).then(() => new Error('loaded'), (e: Error) => e)).message;
    const extra = await message(r18, 'resnet50.safetensors');
    expect(extra).toContain('resnet50.safetensors');
    expect(extra).toMatch(/no weight was assigned \(missing\/unexpected keys usually mean a file for another architecture, depth/);
    expect(extra).toMatch(/unexpected key "layer1\.0\.conv3\.weight" \(file shape \[32, 4, 1, 1\]\)/);
    const missing = await message(r50, 'resnet18.safetensors');
    expect(missing).toMatch(/missing key "layer1\.0\.conv3\.weight": the model expects shape \[32, 4, 1, 1\]/);
    r18.getWeights().forEach((w, i) => {
      expect(w.dataSync()).toEqual(before[i]);
    });
    r18.dispose();
    r50.dispose();
  });

  it('names the key and both shapes on a shape mismatch', async () => {
    const wider = resnet({ depth: 18, blocks: fixtureConfig.resnet18.blocks, baseWidth: 8, outputStride: 32 });
    await expect(loadTorchvisionWeights(wider, fixturePath('resnet18.safetensors'))).rejects.toThrow(
      /key "conv1\.weight": file shape \[4, 3, 7, 7\] but the model expects \[8, 3, 7, 7\]/,
    );
    wider.dispose();
  });

  it('refuses integer weights and models without a ResNet', async () => {
    const model = fixtureResnet(18);
    const file = parseSafetensors(readFileSync(fixturePath('resnet18.safetensors')));
    const { encodeSafetensors } = await import('../io/safetensors.js');
    const tensors = Object.fromEntries(
      [...file.tensors].map(([k, t]) => [
        k,
        k === 'bn1.running_var'
          ? { dtype: 'I32' as const, shape: t.shape, data: new Int32Array(t.shape[0]) }
          : { dtype: t.dtype, shape: t.shape, data: t.data },
      ]),
    );
    await expect(loadTorchvisionWeights(model, encodeSafetensors(tensors))).rejects.toThrow(
      /key "bn1\.running_var": dtype I32 is not a weight type; expected F32, F16, BF16 or F64/,
    );
    const input = tfl.input({ shape: [4] });
    const mlp = tfl.model({ inputs: input, outputs: tfl.layers.dense({ units: 2 }).apply(input) as tfl.SymbolicTensor });
    await expect(loadTorchvisionWeights(mlp, fixturePath('resnet18.safetensors'))).rejects.toThrow(
      /no layer named "conv1" or "0\.0"; expected a model built by resnet\(\) or mobileNetV3Large\(\)/,
    );
    model.dispose();
    mlp.dispose();
  });
});

describe('loadTorchvisionWeights on prefixed layers [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  it('maps OIHW → HWIO and BN tensors by hand-checked positions', async () => {
    const input = tfl.input({ shape: [4, 4, 1] });
    const conv = tfl.layers.conv2d({ filters: 2, kernelSize: 2, useBias: false, name: 'backbone.conv1' });
    const bn = tfl.layers.batchNormalization({ name: 'backbone.bn1' });
    const model = tfl.model({ inputs: input, outputs: bn.apply(conv.apply(input)) as tfl.SymbolicTensor });
    const { encodeSafetensors } = await import('../io/safetensors.js');
    const f32 = (...v: number[]) => ({ dtype: 'F32' as const, shape: [v.length], data: new Float32Array(v) });
    const file = encodeSafetensors({
      'conv1.weight': { dtype: 'F32', shape: [2, 1, 2, 2], data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]) },
      'bn1.weight': f32(1, 2),
      'bn1.bias': f32(3, 4),
      'bn1.running_mean': f32(5, 6),
      'bn1.running_var': f32(7, 8),
      'bn1.num_batches_tracked': { dtype: 'I64', shape: [], data: new BigInt64Array([3n]) },
      'fc.weight': f32(0),
    });
    const report = await loadTorchvisionWeights(model, file, { prefix: 'backbone.' });
    expect(report.ignored).toEqual(['bn1.num_batches_tracked', 'fc.weight']);
    expect(report.loaded).toHaveLength(5);
    // kernel[h][w][0][o] = torch[o][0][h][w] = 4·o + 2·h + w.
    expect(Array.from(conv.getWeights()[0].dataSync())).toEqual([0, 4, 1, 5, 2, 6, 3, 7]);
    expect(bn.getWeights().map((w) => Array.from(w.dataSync()))).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
      [7, 8],
    ]);
    await expect(loadTorchvisionWeights(model, file)).rejects.toThrow(/no layer named "conv1"/);
    model.dispose();
  });
});
