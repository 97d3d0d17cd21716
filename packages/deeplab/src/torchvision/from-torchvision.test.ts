import { readFileSync } from 'node:fs';
import { parseSafetensors, safetensorsToFloat32 } from '@seg/core';
import { assignTorchWeights, nestedModules, torchWeightSpecs } from '@seg/core/internals';
import type * as tfl from '@tensorflow/tfjs-layers';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, TEST_BACKENDS, useBackend } from '../../../../test-utils/backends.js';
import { relativeError } from '../../../../test-utils/compare.js';
import { formulaArray, formulaStateDict, type StateDictEntry } from '../../../../test-utils/formula-weights.js';
import { getModelClasses } from '../classes/model-classes.js';
import { VOC_CLASSES } from '../classes/voc-classes.js';
import { fromTorchvision } from './from-torchvision.js';
import { TORCHVISION_MODELS, type TorchvisionModelName, torchvisionModel } from './torchvision-models.js';

// torchvision's outputs with formula weights and its full-size key layouts: scripts/fixtures/torchvision_models.py.
const fixture = (name: string) => new URL(`../../fixtures/torchvision/${name}`, import.meta.url);
const config = JSON.parse(readFileSync(fixture('config.json'), 'utf8'));
const stateDicts: Record<TorchvisionModelName, { full: Record<string, number[]>; test: StateDictEntry[] }> = JSON.parse(
  readFileSync(fixture('state-dicts.json'), 'utf8'),
);
const outputs = parseSafetensors(readFileSync(fixture('outputs.safetensors')));
const [, H, W] = config.image as number[];

/** The test model's blocks: torchvision's ResNet(Bottleneck, blocks) with fewer blocks; MobileNetV3 models are full size. */
const blocksOf = (name: TorchvisionModelName) => config.blocks[name.replace(/^(deeplabv3|fcn)_/, '')] as [number, number, number, number] | undefined;
const weightCache = new Map<string, Uint8Array>();
/** The formula weights of the test model, as a safetensors file (made once, shared by the backends). */
function weightsOf(name: TorchvisionModelName, keyPrefix = ''): Uint8Array {
  const id = `${keyPrefix}${name}`;
  if (!weightCache.has(id)) weightCache.set(id, formulaStateDict(stateDicts[name].test.map(([k, s]) => [`${keyPrefix}${k}`, s])));
  return weightCache.get(id)!;
}
const image = () => tf.tensor4d(formulaArray(config.imageSeed, H * W * 3), [1, H, W, 3]);
const expected = (key: string) => tf.tensor(safetensorsToFloat32(outputs.tensors.get(key)!), outputs.tensors.get(key)!.shape);

// The MobileNetV3 models are cheap enough for webgpu's software adapter; the ResNet ones (2048-channel heads) run on cpu and wasm.
const BACKENDS: Record<'mobilenet' | 'resnet', typeof TEST_BACKENDS> = { mobilenet: TEST_BACKENDS, resnet: TEST_BACKENDS.filter((b) => b !== 'webgpu') };

for (const family of ['mobilenet', 'resnet'] as const) {
  describeEachBackend(
    `fromTorchvision vs torchvision (${family} models, formula weights, 1×${H}×${W})`,
    () => {
      for (const name of TORCHVISION_MODELS.filter((n) => n.includes('mobilenet') === (family === 'mobilenet'))) {
        const aux = (config.aux as string[]).includes(name);
        it(`${name}: out${aux ? ' and aux' : ''} within 1e-3 of torchvision's`, async () => {
          const model = await fromTorchvision(name, weightsOf(name), { aux, blocks: blocksOf(name) });
          await expectNoTensorLeak(async () => {
            const x = image();
            const ys = [model.predict(x) as tf.Tensor | tf.Tensor[]].flat();
            const keys = aux ? [`${name}.out`, `${name}.aux`] : [`${name}.out`];
            expect(ys).toHaveLength(keys.length);
            for (const [i, key] of keys.entries()) {
              const want = expected(key);
              expect(await relativeError(ys[i], want), key).toBeLessThan(1e-3);
              want.dispose();
            }
            tf.dispose([x, ...ys]);
          });
          model.dispose();
        });
      }
    },
    BACKENDS[family],
  );
}

describe('fromTorchvision [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  // The MobileNetV3 models of the parity tests are full size already, and deeplabv3_resnet101 / fcn_resnet50
  // are these trunks and heads recombined: two full-size ResNet models cover every layout.
  it("builds torchvision's full-size state-dict keys and shapes (ResNet-50 and -101 trunks, both heads, auxiliary classifier)", () => {
    for (const name of ['deeplabv3_resnet50', 'fcn_resnet101'] as const) {
      const model = torchvisionModel(name, { aux: true });
      const specs = torchWeightSpecs(nestedModules(model));
      const ours = Object.fromEntries([...specs].map(([k, s]) => [k, s.shape]));
      const theirs = Object.fromEntries(Object.entries(stateDicts[name].full).filter(([k]) => !k.endsWith('num_batches_tracked')));
      expect(ours, name).toEqual(theirs);
      model.dispose();
    }
  });

  it('finds the weights under a checkpoint prefix and ignores the auxiliary classifier unless asked', async () => {
    const name = 'deeplabv3_mobilenet_v3_large';
    const model = await fromTorchvision(name, weightsOf(name, 'model.'));
    expect(model.outputs).toHaveLength(1);
    const x = image();
    const want = expected(`${name}.out`);
    const y = model.predict(x) as tf.Tensor;
    expect(await relativeError(y, want)).toBeLessThan(1e-3);
    tf.dispose([x, y, want]);
    model.dispose();
  });

  it('names what does not fit, and refuses unknown names and an LR-ASPP auxiliary classifier', async () => {
    await expect(fromTorchvision('deeplabv3_resnet101', weightsOf('deeplabv3_resnet50'), { blocks: [1, 1, 3, 1] })).rejects.toThrow(
      /torch weights <bytes>: \d+ problem\(s\), no weight was assigned \(missing\/unexpected keys usually mean a file of another model than deeplabv3_resnet101\):\n {2}missing key "backbone\.layer3\.2\.conv1\.weight": the model expects shape \[256, 1024, 1, 1\]/,
    );
    await expect(fromTorchvision('deeplabv3_resnet50', weightsOf('fcn_resnet50'), { blocks: [1, 1, 2, 1] })).rejects.toThrow(
      /unexpected key "classifier\.0\.weight" \(file shape \[512, 2048, 3, 3\]\)/,
    );
    await expect(fromTorchvision('deeplabv3' as never, new Uint8Array(8))).rejects.toThrow(/unknown model "deeplabv3"; valid names are deeplabv3_resnet50, /);
    expect(() => torchvisionModel('lraspp_mobilenet_v3_large', { aux: true })).toThrow(/has no auxiliary classifier/);
    expect(() => torchvisionModel('deeplabv3_mobilenet_v3_large', { blocks: [1, 1, 1, 1] })).toThrow(/options\.blocks is for the ResNet models/);
  });
});

// Fine-tuning to new classes: torchvision built with num_classes=4 (scripts/fixtures/torchvision_models.py). A formula
// tensor's values depend on its index and fan-in, so the 4-class state dict is the 21-class one with the classifier
// convs' output channels cut to 4: the same values everywhere else.
const finetune = config.finetune as { numClasses: number; models: TorchvisionModelName[] };
const CLASSIFIER_KEY = /^(aux_)?classifier\.(4|low_classifier|high_classifier)\.(weight|bias)$/;
const entriesWithClasses = (name: TorchvisionModelName, classes: number): StateDictEntry[] =>
  stateDicts[name].test.map(([k, s]) => [k, CLASSIFIER_KEY.test(k) ? [classes, ...s.slice(1)] : s]);
const REPLACED: Record<string, string[]> = {
  deeplabv3_mobilenet_v3_large: ['classifier.4', 'aux_classifier.4'],
  lraspp_mobilenet_v3_large: ['classifier.low_classifier', 'classifier.high_classifier'],
};
const weightAndBias = (modules: string[]) => modules.flatMap((m) => [`${m}.weight`, `${m}.bias`]);

/** Runs `model` on the fixture image and compares every output with torch's `<name>.c4.<out|aux>`. */
async function expectTorch4Class(model: tfl.LayersModel, name: TorchvisionModelName, aux: boolean) {
  await expectNoTensorLeak(async () => {
    const x = image();
    const ys = [model.predict(x) as tf.Tensor | tf.Tensor[]].flat();
    const keys = (aux ? ['out', 'aux'] : ['out']).map((o) => `${name}.c${finetune.numClasses}.${o}`);
    expect(ys).toHaveLength(keys.length);
    for (const [i, key] of keys.entries()) {
      const want = expected(key);
      expect(ys[i].shape).toEqual([1, H, W, finetune.numClasses]);
      expect(await relativeError(ys[i], want), key).toBeLessThan(1e-3);
      want.dispose();
    }
    tf.dispose([x, ...ys]);
  });
}

describeEachBackend(
  `fromTorchvision with new classes vs torchvision built with num_classes=${finetune.numClasses}`,
  () => {
    for (const name of finetune.models) {
      const aux = (config.aux as string[]).includes(name);
      const classes = finetune.numClasses;

      it(`${name}: a ${classes}-class checkpoint loads with its own class count and equals torch's`, async () => {
        const model = await fromTorchvision(name, formulaStateDict(entriesWithClasses(name, classes)), { aux });
        await expectTorch4Class(model, name, aux);
        model.dispose();
      });

      it(`${name}: numClasses ${classes} on the 21-class file replaces ${REPLACED[name].join(', ')} and loads the rest`, async () => {
        const replacements: unknown[] = [];
        const model = await fromTorchvision(name, weightsOf(name), { aux, numClasses: classes, onHeadReplaced: (r) => replacements.push(r) });
        const keys = weightAndBias(REPLACED[name].filter((m) => aux || !m.startsWith('aux_')));
        expect(replacements).toEqual([{ keys, fileClasses: config.numClasses, numClasses: classes }]);
        // Giving the fresh convs torch's 4-class values must reproduce torch's 4-class model: every other weight came from the file.
        const specs = new Map([...torchWeightSpecs(nestedModules(model))].filter(([k]) => keys.includes(k)));
        const only = new RegExp(`^(?!(${keys.map((k) => k.replaceAll('.', '\\.')).join('|')})$)`);
        assignTorchWeights(specs, parseSafetensors(formulaStateDict(entriesWithClasses(name, classes))), 'c4', { ignore: only });
        await expectTorch4Class(model, name, aux);
        model.dispose();
      });
    }
  },
  BACKENDS.mobilenet,
);

describe('fromTorchvision with new classes [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  it("starts the replaced convs as torch's nn.Conv2d: kernel and bias uniform in ±1/√fan_in", async () => {
    const model = await fromTorchvision('deeplabv3_mobilenet_v3_large', weightsOf('deeplabv3_mobilenet_v3_large'), { numClasses: 16 });
    const conv = model.getLayer('classifier.4');
    const [kernel, bias] = conv.getWeights().map((w) => w.dataSync() as Float32Array);
    const bound = 1 / Math.sqrt(256);
    for (const values of [kernel, bias]) expect(Math.max(...values.map(Math.abs))).toBeLessThanOrEqual(bound);
    // U(-b, b) has standard deviation b/√3; 4096 samples put the estimate within a few percent.
    const sd = Math.sqrt(kernel.reduce((s, v) => s + v * v, 0) / kernel.length);
    expect(sd / (bound / Math.sqrt(3))).toBeGreaterThan(0.9);
    expect(sd / (bound / Math.sqrt(3))).toBeLessThan(1.1);
    expect(getModelClasses(model)).toBeUndefined();
    model.dispose();
  });

  it('replaces both FCN classifiers of a ResNet model with the auxiliary one, and records VOC classes only for 21', async () => {
    const blocks = blocksOf('fcn_resnet50');
    let keys: string[] = [];
    const model = await fromTorchvision('fcn_resnet50', weightsOf('fcn_resnet50'), { aux: true, blocks, numClasses: 3, onHeadReplaced: (r) => (keys = r.keys) });
    expect(keys).toEqual(['classifier.4.weight', 'classifier.4.bias', 'aux_classifier.4.weight', 'aux_classifier.4.bias']);
    expect(model.outputs.map((o) => o.shape)).toEqual([
      [null, null, null, 3],
      [null, null, null, 3],
    ]);
    model.dispose();
    let called = false;
    const same = await fromTorchvision('fcn_resnet50', weightsOf('fcn_resnet50'), { blocks, numClasses: 21, onHeadReplaced: () => (called = true) });
    expect(called).toBe(false);
    expect(getModelClasses(same)?.map((c) => c.name)).toEqual(VOC_CLASSES);
    same.dispose();
  });
});
