import { aspp, type BackboneName, getBackbone, resizeBilinear, withSeededRandom } from '@seg/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { type DeepLabV3PlusConfig, MIN_INPUT_SIZE, type ResolvedDeepLabV3PlusConfig, resolveConfig } from './config.js';
import { DeepLabV3PlusModel } from './deeplab-model.js';
import { deeplabV3PlusDecoder } from './decoder.js';
import { inputSizeGuard } from './input-size-guard.js';

/**
 * Builds DeepLabV3+ (Chen et al., "Encoder-Decoder with Atrous Separable
 * Convolution for Semantic Image Segmentation", 2018) as a `tf.LayersModel`
 * mapping ImageNet-normalised images `[N, H, W, 3]` (see `preprocess`) to
 * class logits `[N, H, W, numClasses]` at input resolution.
 *
 * Layout: an atrous ResNet trunk (nested sub-model named after the backbone,
 * e.g. `resnet101`, whose layers carry torchvision's module names) gives the
 * stride-`outputStride` high-level and stride-4 low-level features; ASPP
 * (nested sub-model `aspp`) runs on the high-level ones; the decoder (layers
 * `decoder.*`, see {@link deeplabV3PlusDecoder}) fuses both; the `classifier`
 * logits are resized bilinearly (`upsample`) to the input's size. Any input of
 * at least 32 px per side works, including sizes that are not a multiple of
 * the output stride.
 *
 * The model is a {@link DeepLabV3PlusModel}: its `predict()` runs the trunk
 * once, although the trunk feeds both ASPP and the decoder.
 *
 * @example
 * ```ts
 * const model = deeplabV3Plus({ numClasses: 21, backbone: 'resnet101', outputStride: 8 });
 * const logits = model.predict(preprocess(image)) as tf.Tensor4D;
 * ```
 * @throws If a config field is invalid, naming it and its valid values.
 */
export function deeplabV3Plus<B extends BackboneName = 'resnet101'>(config: DeepLabV3PlusConfig<B>): DeepLabV3PlusModel {
  const c = resolveConfig(config);
  return c.seed === null ? build(c) : withSeededRandom(c.seed, () => build(c));
}

function build(c: ResolvedDeepLabV3PlusConfig): DeepLabV3PlusModel {
  const input = tfl.input({ shape: c.inputShape, name: 'image' });
  const image = inputSizeGuard({ minSize: MIN_INPUT_SIZE, name: 'input_size_guard' }).apply(input) as tfl.SymbolicTensor;
  const backbone = getBackbone(c.backbone, {
    ...c.backboneOptions,
    outputStride: c.outputStride,
    inputShape: c.inputShape,
    name: c.backbone,
  });
  const [high, low] = backbone.model.apply(image) as tfl.SymbolicTensor[];
  const context = aspp({
    inputChannels: backbone.outChannels[0],
    outputStride: c.outputStride,
    ...c.aspp,
    name: 'aspp',
  }).apply(high) as tfl.SymbolicTensor;
  const logits = deeplabV3PlusDecoder(context, low, {
    numClasses: c.numClasses,
    lowLevelChannels: c.lowLevelChannels,
    filters: c.aspp.filters,
    dropout: c.decoderDropout,
  });
  // Resized to the input tensor's size, not by 4: 4·ceil(H/4) overshoots odd sizes such as 65x77.
  const output = resizeBilinear({ name: 'upsample' }).apply([logits, image]) as tfl.SymbolicTensor;
  return new DeepLabV3PlusModel({ inputs: input, outputs: output, name: `deeplabv3plus_${c.backbone}_os${c.outputStride}` });
}
