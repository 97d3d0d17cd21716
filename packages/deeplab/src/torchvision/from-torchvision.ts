import { readWeightFile, type SafetensorsFile } from '@seg/core';
import { assignTorchWeights, findKeyPrefix, nestedModules, torchWeightSpecs } from '@seg/core/internals';
import type * as tfl from '@tensorflow/tfjs-layers';
import { TORCHVISION_NUM_CLASSES, type TorchvisionModelName, type TorchvisionModelOptions, torchvisionModel } from './torchvision-models.js';

/** What {@link fromTorchvision} replaced to change a checkpoint's class count. */
export interface HeadReplacement {
  /** The file's keys (without its prefix) not loaded, whose convs start fresh, e.g. `['classifier.4.weight', 'classifier.4.bias']`. */
  keys: string[];
  /** Classes of the file's head. */
  fileClasses: number;
  /** Classes of the new head. */
  numClasses: number;
}

/** Options of {@link fromTorchvision}. */
export interface FromTorchvisionOptions extends TorchvisionModelOptions {
  /**
   * Prefix of the model's keys in the file (`'model.'` for a
   * `{'model': state_dict}` checkpoint). Default: the prefix under which the
   * file holds most of the model's keys (`''` for torchvision's own files).
   */
  keyPrefix?: string;
  /**
   * Classes the model predicts. Default: the file's (21 for torchvision's
   * published weights). When it differs from the file's, the classifier convs
   * are replaced as torchvision's fine-tuning recipe does: DeepLabV3's and
   * FCN's last conv (`classifier.4`, and `aux_classifier.4` with `aux`),
   * LR-ASPP's `low_classifier` and `high_classifier`; they start as a fresh
   * torch `nn.Conv2d`, and everything else is loaded and checked as usual.
   */
  numClasses?: number;
  /** Called with the replaced keys when the head is replaced (for the caller to print). Default none. */
  onHeadReplaced?: (replacement: HeadReplacement) => void;
}

/** The final convs of each head: what a new class count replaces. */
function classifierModules(name: TorchvisionModelName, aux: boolean): string[] {
  if (name.startsWith('lraspp')) return ['classifier.low_classifier', 'classifier.high_classifier'];
  return aux ? ['classifier.4', 'aux_classifier.4'] : ['classifier.4'];
}

/** The class count of the file's head, or undefined when the file lacks it (the load then lists it as missing). */
function fileClassCount(file: SafetensorsFile, keyPrefix: string, name: TorchvisionModelName): number | undefined {
  return file.tensors.get(`${keyPrefix}${classifierModules(name, false)[0]}.weight`)?.shape[0];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Builds torchvision's segmentation model `name` (`deeplabv3_resnet50`,
 * `deeplabv3_resnet101`, `deeplabv3_mobilenet_v3_large`, `fcn_resnet50`,
 * `fcn_resnet101` or `lraspp_mobilenet_v3_large`) as a tfjs `LayersModel`
 * and loads a state dict into it: torchvision's published COCO weights
 * (`deeplabv3_mobilenet_v3_large-fc3c493d.pth`, …) or a fine-tuned
 * checkpoint of the same architecture, as `.pth` (read without running any
 * of its code) or `.safetensors`.
 *
 * The model maps ImageNet-normalised images `[N, H, W, 3]` (see
 * `preprocess`) to logits `[N, H, W, 21]` at the input's size, equal to
 * torchvision's `out` (class names: {@link VOC_CLASSES}); it works with
 * `segment()`, the `Trainer` and `saveModel` like any `LayersModel`. The
 * auxiliary classifier is built and loaded only with `options.aux` (a second
 * output, torchvision's `aux`); otherwise the file's `aux_classifier.*` keys
 * are ignored. Every key, shape and dtype is checked before the first weight
 * is assigned. With `options.numClasses` other than the file's, the
 * classifier convs start fresh (fine-tuning to new classes; see the option).
 *
 * @param source A file path (Node.js) or the file's bytes.
 * @throws On an unknown name, a malformed file, or keys and shapes that do
 *   not fit the architecture (every one listed).
 *
 * @example
 * ```ts
 * const model = await fromTorchvision('lraspp_mobilenet_v3_large', 'lraspp_mobilenet_v3_large-d234d4ea.pth');
 * const { labels } = await segment(model, image);
 * console.log(VOC_CLASSES[labels[0]]);
 * // Fine-tuning to 4 classes: the classifier convs start fresh, the rest is torchvision's.
 * const fresh = await fromTorchvision('lraspp_mobilenet_v3_large', 'lraspp_mobilenet_v3_large-d234d4ea.pth', {
 *   numClasses: 4,
 *   onHeadReplaced: ({ keys }) => console.log(`new head: ${keys.join(', ')}`),
 * });
 * ```
 */
export async function fromTorchvision(
  name: TorchvisionModelName,
  source: string | Uint8Array,
  options: FromTorchvisionOptions = {},
): Promise<tfl.LayersModel> {
  let model = torchvisionModel(name, options);
  try {
    const { name: fileName, file } = await readWeightFile(source);
    let specs = torchWeightSpecs(nestedModules(model));
    const anchor = name.includes('mobilenet') ? 'backbone.0.0.weight' : 'backbone.conv1.weight';
    const keyPrefix = options.keyPrefix ?? findKeyPrefix(specs, file, anchor, fileName);
    const fileClasses = fileClassCount(file, keyPrefix, name) ?? TORCHVISION_NUM_CLASSES;
    const numClasses = options.numClasses ?? fileClasses;
    if (numClasses !== (options.numClasses ?? TORCHVISION_NUM_CLASSES)) {
      model.dispose();
      model = torchvisionModel(name, { ...options, numClasses });
      specs = torchWeightSpecs(nestedModules(model));
    }
    const ignored = options.aux ? [] : ['aux_classifier.'];
    const replaced = numClasses === fileClasses ? [] : classifierModules(name, options.aux ?? false).flatMap((m) => [`${m}.weight`, `${m}.bias`]);
    for (const key of replaced) specs.delete(key);
    ignored.push(...replaced);
    assignTorchWeights(specs, file, fileName, {
      ignore: ignored.length > 0 ? new RegExp(`^(${ignored.map(escapeRegExp).join('|')})`) : undefined,
      keyPrefix,
      hint: `missing/unexpected keys usually mean a file of another model than ${name}`,
    });
    if (replaced.length > 0) options.onHeadReplaced?.({ keys: replaced, fileClasses, numClasses });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
