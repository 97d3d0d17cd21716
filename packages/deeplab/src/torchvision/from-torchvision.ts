import { readWeightFile } from '@seg/core';
import { assignTorchWeights, findKeyPrefix, nestedModules, torchWeightSpecs } from '@seg/core/internals';
import type * as tfl from '@tensorflow/tfjs-layers';
import { type TorchvisionModelName, type TorchvisionModelOptions, torchvisionModel } from './torchvision-models.js';

/** Options of {@link fromTorchvision}. */
export interface FromTorchvisionOptions extends TorchvisionModelOptions {
  /**
   * Prefix of the model's keys in the file (`'model.'` for a
   * `{'model': state_dict}` checkpoint). Default: the prefix under which the
   * file holds most of the model's keys (`''` for torchvision's own files).
   */
  keyPrefix?: string;
}

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
 * is assigned.
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
 * ```
 */
export async function fromTorchvision(
  name: TorchvisionModelName,
  source: string | Uint8Array,
  options: FromTorchvisionOptions = {},
): Promise<tfl.LayersModel> {
  const model = torchvisionModel(name, options);
  try {
    const { name: fileName, file } = await readWeightFile(source);
    const specs = torchWeightSpecs(nestedModules(model));
    const anchor = name.includes('mobilenet') ? 'backbone.0.0.weight' : 'backbone.conv1.weight';
    assignTorchWeights(specs, file, fileName, {
      ignore: options.aux ? undefined : /^aux_classifier\./,
      keyPrefix: options.keyPrefix ?? findKeyPrefix(specs, file, anchor, fileName),
      hint: `missing/unexpected keys usually mean a file of another model than ${name}`,
    });
  } catch (e) {
    model.dispose();
    throw e;
  }
  return model;
}
