import * as tfl from '@tensorflow/tfjs-layers';
import { atrousConv2d, batchNormAct, resizeBilinear } from '@seg/core';

/** Arguments of {@link deeplabV3PlusDecoder}. */
export interface DecoderArgs {
  /** Classes of the output logits. Required. */
  numClasses: number;
  /** Channels of the 1x1 low-level projection. Required. */
  lowLevelChannels: number;
  /** Channels of the two 3x3 fusion convolutions. Required. */
  decoderChannels: number;
  /** Prefix of every layer name. Default `'decoder'`. */
  name?: string;
}

function convBnRelu(x: tfl.SymbolicTensor, filters: number, kernelSize: number, prefix: string, index: number): tfl.SymbolicTensor {
  // No conv bias: the batch norm right after it has its own shift. atrousConv2d rather than
  // tf.layers.conv2d: same weights, but its gradient trains ~5x faster on wasm (bench/README.md).
  const conv = atrousConv2d({ filters, kernelSize, padding: 'same', useBias: false, kernelInitializer: 'heNormal', name: `${prefix}.${index}` }).apply(x);
  // torch's BN defaults, with the ReLU inside the BN layer: a training step keeps only the BN input.
  return batchNormAct({ activation: 'relu', name: `${prefix}.${index + 1}` }).apply(conv) as tfl.SymbolicTensor;
}

/**
 * The DeepLabV3+ decoder (Chen et al. 2018, Fig. 2): the ASPP output is
 * bilinearly upsampled to the low-level map's size, the low-level features
 * are projected to few channels, both are concatenated and fused by two 3x3
 * convolutions, and a 1x1 classifier gives logits at stride 4.
 *
 * Upsampling goes to the low-level tensor's actual size rather than by a fixed
 * factor of 4, so inputs whose size is not a multiple of the output stride
 * (e.g. 65x77) line up.
 *
 * Layer names follow a PyTorch module layout, so a state dict maps onto them
 * mechanically: `decoder.upsample`, `decoder.project.{0,1}` (1x1 conv, BN + ReLU),
 * `decoder.concat` (`[aspp, project]` in this order), `decoder.fuse.{0,1,3,4}`
 * (3x3 conv, BN + ReLU, twice; the ReLUs `.2`/`.5` of the PyTorch layout live
 * inside the BN layers) and `classifier`.
 *
 * @param aspp ASPP output `[N, h, w, C]` at the output stride.
 * @param low Low-level trunk features `[N, H/4, W/4, C_low]`.
 * @returns Logits `[N, H/4, W/4, numClasses]`.
 */
export function deeplabV3PlusDecoder(aspp: tfl.SymbolicTensor, low: tfl.SymbolicTensor, args: DecoderArgs): tfl.SymbolicTensor {
  const name = args.name ?? 'decoder';
  const up = resizeBilinear({ name: `${name}.upsample` }).apply([aspp, low]) as tfl.SymbolicTensor;
  // 48 channels: fewer would lose the boundary detail, more would let low-level features outweigh the ASPP's 256 (paper, Table 1).
  const projected = convBnRelu(low, args.lowLevelChannels, 1, `${name}.project`, 0);
  const merged = tfl.layers.concatenate({ axis: -1, name: `${name}.concat` }).apply([up, projected]) as tfl.SymbolicTensor;
  const fused = convBnRelu(convBnRelu(merged, args.decoderChannels, 3, `${name}.fuse`, 0), args.decoderChannels, 3, `${name}.fuse`, 3);
  return atrousConv2d({ filters: args.numClasses, kernelSize: 1, name: 'classifier' }).apply(fused) as tfl.SymbolicTensor;
}
