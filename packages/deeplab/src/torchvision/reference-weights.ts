/**
 * Checkpoints of the reference MSRC project (github.com/prakharsingh95/
 * Image-Segmentation) into a {@link deeplabV3Plus} model, so a PyTorch run of
 * it moves to tfjs. The project trains three modules and saves each as
 * `torch.save({'model': state_dict, 'optimizer': …})` in
 * `weights/resNetTrunk.weights` (only with `--trainTrunk`),
 * `weights/asppModel.weights` and `weights/decoder.weights`.
 *
 * | reference module (`models/`) | layer of `deeplabV3Plus` |
 * | --- | --- |
 * | `ResNetTrunk`: `conv1`, `bn1`, `layer{1-4}.*` | the trunk sub-model (`resnet101`), same names |
 * | `ASPP`: `aspp{1-4}.{0,1}` | `aspp` › `convs.{0-3}.{0,1}` |
 * | `ASPP`: `pool.{1,2}`, `postProcess.{0,1}` | `aspp` › `convs.4.{1,2}`, `project.{0,1}` |
 * | `Decoder`: `lowLevelProcessor.{0,1}` | `decoder.project.{0,1}` |
 * | `Decoder`: `postProcessor.{0,1,4,5}`, `postProcessor.8` | `decoder.fuse.{0,1,3,4}`, `classifier` |
 *
 * Two conversions keep the function the same: a conv bias followed by batch
 * norm, where the model's conv has none (`lowLevelProcessor.0`), is folded
 * into the BN's running mean (exact: the BN subtracts it again), and the
 * first fusion conv's input channels are reordered, because the project
 * concatenates `[low-level, ASPP]` and `deeplabV3Plus` `[ASPP, low-level]`.
 *
 * @module
 */
import { BACKBONE_NAMES, readWeightFile, type SafetensorsFile, type SafetensorsTensor, safetensorsToFloat32, type TorchvisionWeightsReport } from '@seg/core';
import { assignTorchWeights, NUM_BATCHES_TRACKED, nestedModules, torchWeightSpecs } from '@seg/core/internals';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DeepLabV3PlusConfig } from '../model/config.js';

/**
 * The reference project's architecture in `deeplabV3Plus` terms (its
 * `models/ResNetTrunk.py`, `ASPP.py`, `Decoder.py`): ResNet-101 at output
 * stride 8 with every block of layer3/layer4 dilated, ASPP rates 4/8/14
 * with conv biases, `Dropout2d` 0.5 in the ASPP branches and projection,
 * 0.5/0.5/0.15 in the decoder. Spread it into the config with `numClasses`.
 */
export const REFERENCE_MSRC_ARCHITECTURE: Readonly<Omit<DeepLabV3PlusConfig, 'numClasses'>> = Object.freeze<Omit<DeepLabV3PlusConfig, 'numClasses'>>({
  backbone: 'resnet101',
  outputStride: 8,
  aspp: { rates: [4, 8, 14], useBias: true, branchDropout: 0.5, dropout: 0.5, spatialDropout: true },
  decoderDropout: [0.5, 0.5, 0.15],
  backboneOptions: { dilateFirstBlock: true },
});

/** The files {@link loadReferenceMsrcWeights} reads: the project's `weights/<name>.weights`, paths or bytes. */
export interface ReferenceMsrcFiles {
  /** `weights/resNetTrunk.weights`; without it the trunk keeps its weights (say, torchvision's ImageNet ones, as the project starts from). */
  resNetTrunk?: string | Uint8Array;
  /** `weights/asppModel.weights`. */
  asppModel?: string | Uint8Array;
  /** `weights/decoder.weights`. */
  decoder?: string | Uint8Array;
}

type Part = keyof ReferenceMsrcFiles;

/** The @seg module path of a reference module, or null if the reference has no such module. */
function targetModule(part: Part, module: string, trunk: string): string | null {
  if (part === 'resNetTrunk') return `${trunk}.${module}`;
  const rename: Array<[RegExp, (m: RegExpMatchArray) => string]> =
    part === 'asppModel'
      ? [
          [/^aspp([1-4])\.([01])$/, (m) => `aspp.convs.${Number(m[1]) - 1}.${m[2]}`],
          [/^pool\.([12])$/, (m) => `aspp.convs.4.${m[1]}`],
          [/^postProcess\.([01])$/, (m) => `aspp.project.${m[1]}`],
        ]
      : [
          [/^lowLevelProcessor\.([01])$/, (m) => `decoder.project.${m[1]}`],
          [/^postProcessor\.([0145])$/, (m) => `decoder.fuse.${Number(m[1]) > 1 ? Number(m[1]) - 1 : m[1]}`],
          [/^postProcessor\.8$/, () => 'classifier'],
        ];
  for (const [pattern, to] of rename) {
    const m = module.match(pattern);
    if (m) return to(m);
  }
  return null;
}

const f32 = (name: string, shape: number[], values: Float32Array): SafetensorsTensor => ({
  name,
  dtype: 'F32',
  shape,
  data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
});

/** `[o, i, h, w]` kernel with input channels `[a | b]` (a of them first) reordered to `[b | a]`. */
function swapInputBlocks(t: SafetensorsTensor, a: number): Float32Array {
  const [o, i, h, w] = t.shape;
  const values = safetensorsToFloat32(t);
  const out = new Float32Array(values.length);
  const hw = h * w;
  for (let oo = 0; oo < o; oo++) {
    for (let ii = 0; ii < i; ii++) {
      const to = ii < a ? i - a + ii : ii - a;
      out.set(values.subarray((oo * i + ii) * hw, (oo * i + ii + 1) * hw), (oo * i + to) * hw);
    }
  }
  return out;
}

/** The name of the model's ResNet-101 trunk sub-model. */
function trunkName(model: tfl.LayersModel): string {
  const trunks = model.layers.filter((l) => (BACKBONE_NAMES as readonly string[]).includes(l.name));
  if (trunks.length !== 1 || trunks[0].name !== 'resnet101') {
    throw new Error(
      `loadReferenceMsrcWeights: model "${model.name}" has no resnet101 trunk; build it with deeplabV3Plus({ ...REFERENCE_MSRC_ARCHITECTURE, numClasses })`,
    );
  }
  return trunks[0].name;
}

function checkArchitecture(model: tfl.LayersModel, trunk: string): void {
  const dilation = (layer: tfl.layers.Layer) => (layer as unknown as { dilationRate: number[] }).dilationRate[0];
  const sub = (name: string) => model.getLayer(name) as unknown as tfl.LayersModel;
  const rates = [1, 2, 3].map((i) => dilation(sub('aspp').getLayer(`convs.${i}.0`)));
  const trunkDilations = [dilation(sub(trunk).getLayer('layer3.0.conv2')), dilation(sub(trunk).getLayer('layer4.0.conv2'))];
  if (rates.join() !== REFERENCE_MSRC_ARCHITECTURE.aspp?.rates?.join() || trunkDilations.join() !== '2,4') {
    throw new Error(
      `loadReferenceMsrcWeights: model "${model.name}" has ASPP rates ${rates.join('/')} and first-block dilations ${trunkDilations.join('/')} ` +
        'in layer3/layer4; the reference project runs rates 4/8/14 and 2/4: build it with deeplabV3Plus({ ...REFERENCE_MSRC_ARCHITECTURE, numClasses })',
    );
  }
}

/**
 * Loads the reference MSRC project's checkpoints into a {@link deeplabV3Plus}
 * model built with {@link REFERENCE_MSRC_ARCHITECTURE} (see the module notes
 * for the mapping). Each file is the project's `{'model': …, 'optimizer': …}`
 * checkpoint or a bare state dict, read without running any of its code;
 * optimizer state is ignored. Every key and shape of every given file is
 * checked before the first weight is assigned.
 *
 * Outputs match the project's up to its bilinear resizes, which use
 * `align_corners=True` where `@seg` uses half-pixel centres, and its resizing
 * of inputs to a multiple of 8, which `@seg` does not need.
 *
 * @returns The file keys loaded and ignored (optimizer state, `num_batches_tracked`), as `<part>:<key>`.
 * @throws If the model is not the reference architecture, a file does not
 *   hold its part, or a key or shape does not fit; nothing is assigned then.
 *
 * @example
 * ```ts
 * const model = deeplabV3Plus({ ...REFERENCE_MSRC_ARCHITECTURE, numClasses: 22 });
 * await loadTrunkWeights(model, 'resnet101-63fe2227.pth'); // the project's ImageNet trunk, unless it trained its own
 * await loadReferenceMsrcWeights(model, { asppModel: 'weights/asppModel.weights', decoder: 'weights/decoder.weights' });
 * ```
 */
export async function loadReferenceMsrcWeights(model: tfl.LayersModel, files: ReferenceMsrcFiles): Promise<TorchvisionWeightsReport> {
  const trunk = trunkName(model);
  checkArchitecture(model, trunk);
  const parts = (['resNetTrunk', 'asppModel', 'decoder'] as const).filter((p) => files[p] !== undefined);
  if (parts.length === 0) throw new Error('loadReferenceMsrcWeights: give at least one of resNetTrunk, asppModel, decoder');
  const tensors = new Map<string, SafetensorsTensor>();
  const report: TorchvisionWeightsReport = { loaded: [], ignored: [] };
  const names: string[] = [];
  for (const part of parts) {
    const { name, file } = await readWeightFile(files[part]!);
    const keys = [...file.tensors.keys()];
    // The project saves {'model': …, 'optimizer': …}; nn.DataParallel adds `module.` when saved unwrapped.
    const state = ['model.module.', 'model.', 'module.', ''].find((p) => keys.some((k) => k.startsWith(p)))!;
    for (const [key, tensor] of file.tensors) {
      if (!key.startsWith(state) || NUM_BATCHES_TRACKED.test(key)) {
        report.ignored.push(`${part}:${key}`);
        continue;
      }
      const local = key.slice(state.length);
      const module = local.slice(0, local.lastIndexOf('.'));
      // A module the reference does not have keeps its own name: the check below lists it as unexpected.
      const at = `${targetModule(part, module, trunk) ?? `${part}:${module}`}${local.slice(module.length)}`;
      tensors.set(at, { ...tensor, name: at });
      report.loaded.push(`${part}:${key}`);
    }
    names.push(name);
  }
  foldAndReorder(model, tensors);
  const wanted = nestedModules(model).filter(({ module }) =>
    module.startsWith(`${trunk}.`) ? parts.includes('resNetTrunk') : module.startsWith('aspp.') ? parts.includes('asppModel') : parts.includes('decoder'),
  );
  const renamed: SafetensorsFile = { metadata: {}, tensors };
  assignTorchWeights(torchWeightSpecs(wanted), renamed, names.join(', '), {
    hint: 'keys are named after the layers of deeplabV3Plus; the reference modules are renamed first',
  });
  return report;
}

/** Folds conv biases the model's convs lack into the next BN, and reorders the first fusion conv's inputs. */
function foldAndReorder(model: tfl.LayersModel, tensors: Map<string, SafetensorsTensor>): void {
  const hasBias = (module: string) => {
    const [top, rest] = module.startsWith('aspp.') ? ['aspp', module.slice(5)] : [module, null];
    const layer = rest === null ? model.getLayer(top) : (model.getLayer(top) as unknown as tfl.LayersModel).getLayer(rest);
    return (layer as unknown as { useBias?: boolean }).useBias === true;
  };
  for (const key of [...tensors.keys()]) {
    const module = key.slice(0, -'.bias'.length);
    if (!key.endsWith('.bias') || !/^(aspp\.|decoder\.)/.test(key) || !tensors.has(`${module}.weight`)) continue;
    if (tensors.get(`${module}.weight`)!.shape.length !== 4 || hasBias(module)) continue;
    const bn = module.replace(/\d+$/, (i) => String(Number(i) + 1));
    const mean = tensors.get(`${bn}.running_mean`);
    if (!mean) continue;
    const bias = safetensorsToFloat32(tensors.get(key)!);
    const folded = safetensorsToFloat32(mean).map((m, c) => m - bias[c]);
    tensors.set(`${bn}.running_mean`, f32(`${bn}.running_mean`, mean.shape, folded));
    tensors.delete(key);
  }
  const fuse = tensors.get('decoder.fuse.0.weight');
  const project = tensors.get('decoder.project.0.weight');
  if (fuse && project) tensors.set('decoder.fuse.0.weight', f32('decoder.fuse.0.weight', fuse.shape, swapInputBlocks(fuse, project.shape[0])));
}
