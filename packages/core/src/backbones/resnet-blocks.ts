import * as tfl from '@tensorflow/tfjs-layers';
import { atrousConv2d } from '../layers/atrous-conv2d.js';
import { batchNormAct } from '../layers/batch-norm-act.js';

type Sym = tfl.SymbolicTensor;

/**
 * torchvision's ResNet initialisation (kaiming normal, fan-out, ReLU gain),
 * so a ResNet trained from scratch starts where the PyTorch one would.
 */
export const kernelInitializer = () => tfl.initializers.varianceScaling({ scale: 2, mode: 'fanOut', distribution: 'normal' });

/**
 * BatchNorm with torch's epsilon and momentum, followed by a ReLU inside the
 * same layer when `activation` is `'relu'` (torchvision's `bn` + in-place
 * `relu`): a training step then keeps only the BN input, as PyTorch's does.
 */
export function batchNorm(x: Sym, name: string, activation: 'relu' | 'linear' = 'linear'): Sym {
  return batchNormAct({ activation, name }).apply(x) as Sym;
}

/** ReLU as a named layer. */
export function relu(x: Sym, name: string): Sym {
  return tfl.layers.reLU({ name }).apply(x) as Sym;
}

/**
 * The input and padding mode of a `k×k` conv laid out like torch's
 * `nn.Conv2d(..., stride, padding=dilation·(k-1)/2, dilation)`.
 *
 * Strided convs get explicit symmetric zero padding (layer `${name}.pad`)
 * plus `'valid'`: tfjs `'same'` pads the extra row/column at the
 * bottom/right only, which would shift every feature by one input pixel
 * against torchvision. At stride 1 `'same'` is symmetric and equals torch's
 * padding.
 */
export function torchPadding(x: Sym, name: string, kernelSize: number, stride: number, dilation: number): { x: Sym; padding: 'same' | 'valid' } {
  if (stride > 1 && dilation > 1) {
    throw new Error(`conv '${name}' cannot have both stride ${stride} and dilation ${dilation}`);
  }
  const pad = (dilation * (kernelSize - 1)) / 2;
  if (stride > 1 && pad > 0) return { x: tfl.layers.zeroPadding2d({ padding: pad, name: `${name}.pad` }).apply(x) as Sym, padding: 'valid' };
  return { x, padding: stride > 1 ? 'valid' : 'same' };
}

/**
 * A bias-free `k×k` convolution laid out like torch's
 * `nn.Conv2d(cin, filters, k, stride, padding=dilation·(k-1)/2, dilation)`
 * (see {@link torchPadding}). Every conv is an {@link atrousConv2d}: its
 * gradient supports dilation, and on wasm it trains about 5× faster than
 * `tf.layers.conv2d`, whose fused op falls back to wasm's slow
 * `Conv2DBackpropInput` (bench/README.md).
 */
export function convBN(
  x: Sym,
  name: string,
  filters: number,
  kernelSize: number,
  stride = 1,
  dilation = 1,
): Sym {
  const padded = torchPadding(x, name, kernelSize, stride, dilation);
  return atrousConv2d({
    filters,
    kernelSize,
    strides: stride,
    dilationRate: dilation,
    padding: padded.padding,
    useBias: false,
    kernelInitializer: kernelInitializer(),
    name,
  }).apply(padded.x) as Sym;
}

/** Where a block sits and how it convolves. */
export interface BlockSpec {
  /** torchvision module path of the block, e.g. `layer3.0`. */
  prefix: string;
  /** torchvision's `planes`: the block's base width. */
  planes: number;
  /** Stride of the block (only the first block of a stage strides). */
  stride: number;
  /** Dilation of the block's 3×3 conv(s). */
  dilation: number;
  /** Whether the shortcut is a 1×1 conv + BN (`downsample.0` / `downsample.1`). */
  downsample: boolean;
  /** Bottleneck inner width (`planes · widthPerGroup / 64`); unused by basic blocks. */
  width: number;
}

function shortcut(x: Sym, spec: BlockSpec, outChannels: number): Sym {
  if (!spec.downsample) return x;
  // A 1×1 conv needs no padding, so 'valid' at stride 2 samples the same pixels as torch.
  const y = convBN(x, `${spec.prefix}.downsample.0`, outChannels, 1, spec.stride);
  return batchNorm(y, `${spec.prefix}.downsample.1`);
}

/**
 * torchvision's `BasicBlock` (ResNet-18/34): 3×3 → BN → ReLU → 3×3 → BN, plus
 * shortcut, ReLU. Both 3×3 convs use the block's dilation (torchvision
 * refuses dilated basic blocks; this is @seg/core's definition).
 */
export function basicBlock(x: Sym, spec: BlockSpec): Sym {
  const p = spec.prefix;
  let y = convBN(x, `${p}.conv1`, spec.planes, 3, spec.stride, spec.dilation);
  y = batchNorm(y, `${p}.bn1`, 'relu');
  y = batchNorm(convBN(y, `${p}.conv2`, spec.planes, 3, 1, spec.dilation), `${p}.bn2`);
  const sum = tfl.layers.add({ name: `${p}.add` }).apply([y, shortcut(x, spec, spec.planes)]) as Sym;
  return relu(sum, `${p}.relu`);
}

/**
 * torchvision's `Bottleneck` (ResNet-50/101, "ResNet v1.5"): 1×1 → 3×3 (stride
 * and dilation here) → 1×1 expanding ×4, each with BN, plus shortcut, ReLU.
 */
export function bottleneckBlock(x: Sym, spec: BlockSpec): Sym {
  const p = spec.prefix;
  let y = batchNorm(convBN(x, `${p}.conv1`, spec.width, 1), `${p}.bn1`, 'relu');
  y = batchNorm(convBN(y, `${p}.conv2`, spec.width, 3, spec.stride, spec.dilation), `${p}.bn2`, 'relu');
  y = batchNorm(convBN(y, `${p}.conv3`, spec.planes * 4, 1), `${p}.bn3`);
  const sum = tfl.layers.add({ name: `${p}.add` }).apply([y, shortcut(x, spec, spec.planes * 4)]) as Sym;
  return relu(sum, `${p}.relu`);
}
