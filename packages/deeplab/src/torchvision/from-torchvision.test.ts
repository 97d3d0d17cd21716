import { readFileSync } from 'node:fs';
import { parseSafetensors, safetensorsToFloat32 } from '@seg/core';
import { torchWeightSpecs, nestedModules } from '@seg/core/internals';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeEachBackend, expectNoTensorLeak, TEST_BACKENDS, useBackend } from '../../../../test-utils/backends.js';
import { relativeError } from '../../../../test-utils/compare.js';
import { formulaArray, formulaStateDict, type StateDictEntry } from '../../../../test-utils/formula-weights.js';
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
