import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { expectNoTensorLeak, useBackend } from '../../../../test-utils/backends.js';
import { parseSafetensors } from '../io/safetensors.js';
import { parseTorchCheckpoint } from '../io/torch-checkpoint.js';
import { resnet } from './resnet.js';
import { applyTorchvisionWeights, loadTorchvisionWeights } from './torchvision-weights.js';

// resnet18.safetensors: scripts/fixtures/resnet_parity.py; the .pth files: scripts/fixtures/torch_checkpoints.py (same weights).
const path = (dir: string, name: string) => fileURLToPath(new URL(`../../fixtures/${dir}/${name}`, import.meta.url));
const config = JSON.parse(readFileSync(path('resnet-parity', 'config.json'), 'utf8')).resnet18;
const trunk = () => resnet({ depth: 18, outputStride: 16, blocks: config.blocks, baseWidth: config.baseWidth });
const weightsOf = (model: ReturnType<typeof trunk>) => model.getWeights().map((w) => w.dataSync());

describe('loadTorchvisionWeights with .pth files [cpu]', () => {
  beforeAll(() => useBackend('cpu'));

  it('loads the same weights from a torch.save file as from the .safetensors file', async () => {
    const [fromSafetensors, fromPth] = [trunk(), trunk()];
    const a = await loadTorchvisionWeights(fromSafetensors, path('resnet-parity', 'resnet18.safetensors'));
    const b = await expectNoTensorLeak(() => loadTorchvisionWeights(fromPth, path('torch-checkpoints', 'resnet18.pth')));
    expect(b).toEqual(a);
    expect(weightsOf(fromPth)).toEqual(weightsOf(fromSafetensors));
    fromSafetensors.dispose();
    fromPth.dispose();
  });

  it("finds the backbone under a checkpoint's prefix ({'model': state_dict}), ignoring the rest", async () => {
    const [reference, model] = [trunk(), trunk()];
    await loadTorchvisionWeights(reference, path('torch-checkpoints', 'resnet18.pth'));
    const report = await loadTorchvisionWeights(model, readFileSync(path('torch-checkpoints', 'resnet18-checkpoint.pth')));
    expect(report.loaded).toContain('model.layer4.1.bn2.running_var');
    expect(report.ignored).toEqual(expect.arrayContaining(['model.fc.weight', 'model.bn1.num_batches_tracked']));
    // The file holds float16: the weights are the float32 ones rounded to half precision.
    const [got, want] = [weightsOf(model), weightsOf(reference)];
    got.forEach((w, i) => {
      w.forEach((v, j) => {
        expect(Math.abs(v - want[i][j])).toBeLessThanOrEqual(Math.abs(want[i][j]) * 2 ** -11 + 2 ** -24);
      });
    });
    reference.dispose();
    model.dispose();
  });

  it('takes a segmentation checkpoint (backbone.* keys) and refuses a file holding the backbone twice', () => {
    const file = parseSafetensors(readFileSync(path('resnet-parity', 'resnet18.safetensors')));
    const renamed = (...prefixes: string[]) => ({
      metadata: {},
      tensors: new Map(prefixes.flatMap((p) => [...file.tensors].map(([k, t]) => [`${p}${k}`, { ...t, name: `${p}${k}` }] as const))),
    });
    const model = trunk();
    const report = applyTorchvisionWeights(model, renamed('backbone.'), 'seg.pth');
    expect(report.loaded[0]).toBe('backbone.conv1.weight');
    expect(() => applyTorchvisionWeights(model, renamed('backbone.', 'aux.'), 'two.pth')).toThrow(
      /two\.pth: the file holds the model.s keys under several prefixes \("backbone\.", "aux\."\); pass options\.keyPrefix/,
    );
    expect(applyTorchvisionWeights(model, renamed('backbone.', 'aux.'), 'two.pth', { keyPrefix: 'aux.' }).loaded[0]).toBe('aux.conv1.weight');
    model.dispose();
  });

  it('names a .pth file that does not fit, assigning nothing', async () => {
    const model = resnet({ depth: 18, outputStride: 16, blocks: config.blocks, baseWidth: 2 * config.baseWidth });
    const before = weightsOf(model);
    const checkpoint = parseTorchCheckpoint(readFileSync(path('torch-checkpoints', 'resnet18.pth')));
    expect(() => applyTorchvisionWeights(model, checkpoint, 'resnet18.pth')).toThrow(
      /torch weights resnet18\.pth: \d+ problem\(s\), no weight was assigned:\n {2}key "conv1\.weight": file shape \[4, 3, 7, 7\] but the model expects \[8, 3, 7, 7\]/,
    );
    expect(weightsOf(model)).toEqual(before);
    model.dispose();
  });
});
