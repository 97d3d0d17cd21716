/**
 * The heads of torchvision's segmentation models
 * (`torchvision.models.segmentation`), built from `@seg/core`'s blocks and
 * named after their modules so the state dicts map mechanically:
 *
 * | head | layers |
 * | --- | --- |
 * | `DeepLabHead` | `classifier.0` (ASPP, rates 12/24/36, nested), `classifier.1` (3×3 conv), `classifier.2` (BN + ReLU), `classifier.4` (1×1 conv → classes) |
 * | `FCNHead` | `{prefix}.0` (3×3 conv to in/4), `{prefix}.1` (BN + ReLU), `{prefix}.3` (dropout 0.1), `{prefix}.4` (1×1 conv → classes) |
 * | `LRASPPHead` | `classifier.cbr.{0,1}` (1×1 conv, BN + ReLU), `classifier.scale.{0,1,2}` (pool, 1×1 conv, sigmoid), `classifier.low_classifier`, `classifier.high_classifier` |
 *
 * torchvision's ReLU modules (`classifier.3` of `DeepLabHead`, `.2` of
 * `FCNHead`, `cbr.2`) live inside the preceding `BatchNormAct` layer.
 *
 * @module
 */
import { aspp, atrousConv2d, batchNormAct, resizeBilinear } from '@seg/core';
import * as tfl from '@tensorflow/tfjs-layers';
import { torchConvInitializers } from '../model/torch-conv-init.js';

type Sym = tfl.SymbolicTensor;

/** torchvision's `DeepLabHead` ASPP rates, at output stride 8 (ResNets) and 16 (MobileNetV3) alike. */
export const TORCHVISION_ASPP_RATES: readonly [number, number, number] = [12, 24, 36];
/** Channels of torchvision's ASPP and of the DeepLab head's 3×3 conv. */
const DEEPLAB_HEAD_CHANNELS = 256;
/** torchvision's `LRASPP` `inter_channels`. */
const LRASPP_CHANNELS = 128;

const conv = (x: Sym, name: string, filters: number, kernelSize: number, useBias: boolean, activation?: 'sigmoid') =>
  atrousConv2d({ filters, kernelSize, padding: 'same', useBias, activation, kernelInitializer: 'heNormal', name }).apply(x) as Sym;
/**
 * A 1×1 conv to the classes, initialised as torch's `nn.Conv2d` (so a head
 * built for new classes starts as torchvision's fine-tuning recipe's fresh conv).
 */
const classifierConv = (x: Sym, name: string, inChannels: number, numClasses: number) =>
  atrousConv2d({ filters: numClasses, kernelSize: 1, useBias: true, ...torchConvInitializers(inChannels), name }).apply(x) as Sym;
const bnRelu = (x: Sym, name: string) => batchNormAct({ activation: 'relu', name }).apply(x) as Sym;

/** torchvision's `DeepLabHead(in_channels, num_classes)`. */
export function deeplabHead(x: Sym, inChannels: number, numClasses: number): Sym {
  const context = aspp({
    inputChannels: inChannels,
    rates: [...TORCHVISION_ASPP_RATES],
    filters: DEEPLAB_HEAD_CHANNELS,
    dropout: 0.5,
    name: 'classifier.0',
  }).apply(x) as Sym;
  const y = bnRelu(conv(context, 'classifier.1', DEEPLAB_HEAD_CHANNELS, 3, false), 'classifier.2');
  return classifierConv(y, 'classifier.4', DEEPLAB_HEAD_CHANNELS, numClasses);
}

/** torchvision's `FCNHead(in_channels, channels)` under `prefix` (`classifier`, or `aux_classifier`). */
export function fcnHead(x: Sym, inChannels: number, numClasses: number, prefix: string): Sym {
  let y = bnRelu(conv(x, `${prefix}.0`, Math.floor(inChannels / 4), 3, false), `${prefix}.1`);
  y = tfl.layers.dropout({ rate: 0.1, name: `${prefix}.3` }).apply(y) as Sym;
  return classifierConv(y, `${prefix}.4`, Math.floor(inChannels / 4), numClasses);
}

/**
 * torchvision's `LRASPPHead` (Howard et al. 2019, Fig. 10): the high-level
 * features projected and gated by their pooled sigmoid scale, resized to the
 * low-level features' size, each classified and summed.
 */
export function lrasppHead(high: Sym, low: Sym, highChannels: number, numClasses: number): Sym {
  const cbr = bnRelu(conv(high, 'classifier.cbr.0', LRASPP_CHANNELS, 1, false), 'classifier.cbr.1');
  let scale = tfl.layers.globalAveragePooling2d({ name: 'classifier.scale.0' }).apply(high) as Sym;
  scale = tfl.layers.reshape({ targetShape: [1, 1, highChannels], name: 'classifier.scale.0.reshape' }).apply(scale) as Sym;
  scale = conv(scale, 'classifier.scale.1', LRASPP_CHANNELS, 1, false, 'sigmoid');
  let x = tfl.layers.multiply({ name: 'classifier.mul' }).apply([cbr, scale]) as Sym;
  x = resizeBilinear({ name: 'classifier.upsample' }).apply([x, low]) as Sym;
  const fromLow = classifierConv(low, 'classifier.low_classifier', low.shape[3]!, numClasses);
  const fromHigh = classifierConv(x, 'classifier.high_classifier', LRASPP_CHANNELS, numClasses);
  return tfl.layers.add({ name: 'classifier.add' }).apply([fromLow, fromHigh]) as Sym;
}
