import * as tfl from '@tensorflow/tfjs-layers';
import { atrousConv2d, batchNormAct, resizeBilinear } from '@seg/core';
import { spatialDropout2d } from '@seg/core/internals';

/** Options of {@link deeplabV3PlusDecoder}. */
export interface DecoderOptions {
  /** Classes of the output logits. Required. */
  numClasses: number;
  /** Channels of the 1x1 low-level projection. Required. */
  lowLevelChannels: number;
  /** Channels of the two 3x3 fusion convolutions: the ASPP's `filters`. Required. */
  filters?: number;
  /** @deprecated Use `filters`; accepted until the next major release. */
  decoderChannels?: number;
  /**
   * Spatial dropout rates (as `Dropout2d`) after the low-level projection and
   * after each fusion convolution; 0 adds no layer. Default `[0, 0, 0]`.
   */
  dropout?: readonly [number, number, number];
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
 * inside the BN layers) and `classifier`;
 * with `dropout`, `decoder.project.dropout`, `decoder.fuse.0.dropout` and
 * `decoder.fuse.3.dropout` follow the projection and the two fusions.
 *
 * @param aspp ASPP output `[N, h, w, C]` at the output stride.
 * @param low Low-level trunk features `[N, H/4, W/4, C_low]`.
 * @returns Logits `[N, H/4, W/4, numClasses]`.
 */
export function deeplabV3PlusDecoder(aspp: tfl.SymbolicTensor, low: tfl.SymbolicTensor, options: DecoderOptions): tfl.SymbolicTensor {
  const name = options.name ?? 'decoder';
  const filters = options.filters ?? options.decoderChannels;
  if (filters === undefined || (options.decoderChannels !== undefined && options.decoderChannels !== filters)) {
    throw new Error(`deeplabV3PlusDecoder: options.filters is ${JSON.stringify(options.filters)} (deprecated decoderChannels: ${JSON.stringify(options.decoderChannels)}); give only filters, the channels of the fusion convolutions`);
  }
  const up = resizeBilinear({ name: `${name}.upsample` }).apply([aspp, low]) as tfl.SymbolicTensor;
  // 48 channels: fewer would lose the boundary detail, more would let low-level features outweigh the ASPP's 256 (paper, Table 1).
  const [dropLow, dropFuse1, dropFuse2] = options.dropout ?? [0, 0, 0];
  const drop = (x: tfl.SymbolicTensor, rate: number, layer: string) =>
    rate > 0 ? (spatialDropout2d(rate, `${name}.${layer}`).apply(x) as tfl.SymbolicTensor) : x;
  const projected = drop(convBnRelu(low, options.lowLevelChannels, 1, `${name}.project`, 0), dropLow, 'project.dropout');
  const merged = tfl.layers.concatenate({ axis: -1, name: `${name}.concat` }).apply([up, projected]) as tfl.SymbolicTensor;
  const fuse1 = drop(convBnRelu(merged, filters, 3, `${name}.fuse`, 0), dropFuse1, 'fuse.0.dropout');
  const fused = drop(convBnRelu(fuse1, filters, 3, `${name}.fuse`, 3), dropFuse2, 'fuse.3.dropout');
  return atrousConv2d({ filters: options.numClasses, kernelSize: 1, name: 'classifier' }).apply(fused) as tfl.SymbolicTensor;
}
