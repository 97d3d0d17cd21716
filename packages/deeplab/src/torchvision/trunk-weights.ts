import { BACKBONE_NAMES, loadTorchvisionWeights, type TorchvisionWeightsReport } from '@seg/core';
import type * as tfl from '@tensorflow/tfjs-layers';

/**
 * Loads torchvision/timm ImageNet weights (e.g. `resnet101.tv_in1k`
 * `.safetensors`, torchvision's `resnet101-63fe2227.pth` or
 * `mobilenet_v3_large-8738ca79.pth`) into the trunk
 * of a model built by {@link deeplabV3Plus}, as the reference run does
 * before fine-tuning. ASPP and decoder keep their initialisation; the file's
 * ImageNet classifier (`fc.*`, `classifier.*`) is ignored. The trunk of a torchvision segmentation
 * checkpoint (`backbone.*` keys) or of a `{'model': state_dict}` checkpoint
 * is found under its prefix. A `.pth` file is read without running any of
 * its code (see `readTorchCheckpoint`).
 *
 * @param source A `.safetensors` or `.pth` file path (Node.js) or its bytes.
 * @returns The keys loaded and ignored.
 * @throws If the model has no trunk, or the file does not fit it
 *   (missing/unexpected keys, shape mismatches, naming key and shapes); the
 *   model is left untouched then.
 *
 * @example
 * ```ts
 * const model = deeplabV3Plus({ numClasses: 22, backbone: 'resnet101', outputStride: 8 });
 * const { loaded, ignored } = await loadTrunkWeights(model, 'resnet101.tv_in1k.safetensors');
 * ```
 */
export async function loadTrunkWeights(model: tfl.LayersModel, source: string | Uint8Array): Promise<TorchvisionWeightsReport> {
  const trunks = model.layers.filter((l) => (BACKBONE_NAMES as readonly string[]).includes(l.name));
  if (trunks.length !== 1) {
    throw new Error(
      `loadTrunkWeights: model "${model.name}" has ${trunks.length === 0 ? 'no' : trunks.length} trunk sub-model${trunks.length === 0 ? '' : 's'} named ${BACKBONE_NAMES.join(' | ')}; expected a model built by deeplabV3Plus()`,
    );
  }
  // Loading into the trunk alone keeps the ASPP's and decoder's layers out of the key matching.
  return loadTorchvisionWeights(trunks[0] as unknown as tfl.LayersModel, source);
}
