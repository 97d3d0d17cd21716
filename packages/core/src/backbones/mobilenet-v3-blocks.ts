/**
 * MobileNetV3's building blocks as tfjs layers named after torchvision's
 * modules (`torchvision.models.mobilenetv3`, `torchvision.ops.misc`): conv
 * + BN + activation (`Conv2dNormActivation`), squeeze-excitation
 * (`SqueezeExcitation` with a hardsigmoid gate) and the inverted residual.
 *
 * @module
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { atrousConv2d } from '../layers/atrous-conv2d.js';
import { atrousDepthwiseConv2d } from '../layers/atrous-depthwise-conv2d.js';
import { batchNormAct } from '../layers/batch-norm-act.js';
import { hardSigmoid, hardSwish } from '../layers/hard-activations.js';
import { convBN, kernelInitializer, torchPadding } from './resnet-blocks.js';

type Sym = tfl.SymbolicTensor;

/** torchvision's MobileNetV3 BatchNorm: `eps=0.001`. */
export const MOBILENET_V3_BN_EPSILON = 0.001;
/** torchvision's MobileNetV3 BatchNorm `momentum=0.01`, in tfjs's convention (weight of the old running value). */
export const MOBILENET_V3_BN_MOMENTUM = 0.99;

/** An activation of MobileNetV3: `'relu'` (RE in the paper's table) or `'hardswish'` (HS). */
export type MobileNetActivation = 'relu' | 'hardswish';

/**
 * BN (`${name}.1`) and the activation: a ReLU inside the BN layer (it keeps
 * only the BN input in a training step), or a separate `HardSwish` layer
 * (`${name}.2`, torchvision's module index).
 */
function bnAct(x: Sym, name: string, activation: MobileNetActivation | 'linear'): Sym {
  const bn = batchNormAct({
    activation: activation === 'relu' ? 'relu' : 'linear',
    epsilon: MOBILENET_V3_BN_EPSILON,
    momentum: MOBILENET_V3_BN_MOMENTUM,
    name: `${name}.1`,
  }).apply(x) as Sym;
  return activation === 'hardswish' ? (hardSwish({ name: `${name}.2` }).apply(bn) as Sym) : bn;
}

/** torchvision's `Conv2dNormActivation`: bias-free conv `${name}.0`, BN `${name}.1`, activation. */
export function convBNAct(x: Sym, name: string, filters: number, kernelSize: number, stride: number, activation: MobileNetActivation | 'linear'): Sym {
  return bnAct(convBN(x, `${name}.0`, filters, kernelSize, stride), name, activation);
}

/** The same with a depthwise conv (`groups = channels`), dilated at stride 1. */
function depthwiseBNAct(x: Sym, name: string, kernelSize: number, stride: number, dilation: number, activation: MobileNetActivation): Sym {
  const padded = torchPadding(x, `${name}.0`, kernelSize, stride, dilation);
  const conv = atrousDepthwiseConv2d({
    kernelSize,
    strides: stride,
    dilationRate: dilation,
    padding: padded.padding,
    useBias: false,
    depthwiseInitializer: kernelInitializer(),
    name: `${name}.0`,
  }).apply(padded.x) as Sym;
  return bnAct(conv, name, activation);
}

/**
 * Squeeze-excitation (Hu et al. 2018) as MobileNetV3 uses it: global average
 * pool, 1×1 conv + ReLU (`fc1`), 1×1 conv (`fc2`), hardsigmoid gate
 * (`scale_activation`), channel-wise product with the input (`mul`).
 */
function squeezeExcitation(x: Sym, name: string, channels: number, squeeze: number): Sym {
  let s = tfl.layers.globalAveragePooling2d({ name: `${name}.avgpool` }).apply(x) as Sym;
  s = tfl.layers.reshape({ targetShape: [1, 1, channels], name: `${name}.avgpool.reshape` }).apply(s) as Sym;
  const fc = (filters: number, suffix: string, activation: 'relu' | 'linear') =>
    atrousConv2d({ filters, kernelSize: 1, activation, kernelInitializer: kernelInitializer(), name: `${name}.${suffix}` });
  s = fc(squeeze, 'fc1', 'relu').apply(s) as Sym;
  s = fc(channels, 'fc2', 'linear').apply(s) as Sym;
  s = hardSigmoid({ name: `${name}.scale_activation` }).apply(s) as Sym;
  return tfl.layers.multiply({ name: `${name}.mul` }).apply([x, s]) as Sym;
}

/** One row of MobileNetV3's table with its place in the network. */
export interface InvertedResidualSpec {
  /** Index in torchvision's `features`, the layer-name prefix. */
  index: number;
  /** Input channels. */
  input: number;
  /** Depthwise kernel size. */
  kernel: number;
  /** Channels of the expansion (equal to `input`: no expansion conv). */
  expanded: number;
  /** Output channels. */
  out: number;
  /** Squeeze channels of the squeeze-excitation, or 0 for none. */
  squeeze: number;
  /** Activation of the expansion and depthwise convs. */
  activation: MobileNetActivation;
  /** Depthwise stride (1 once the stage is dilated). */
  stride: number;
  /** Depthwise dilation. */
  dilation: number;
  /** Whether the input is added to the output: the table's stride is 1 and channels are kept. */
  residual: boolean;
}

/**
 * torchvision's `InvertedResidual` (MobileNetV3 paper §5): 1×1 expansion
 * (`block.0`, when `expanded ≠ input`), depthwise conv, squeeze-excitation,
 * 1×1 linear projection, and the residual sum (`add`).
 */
export function invertedResidual(x: Sym, spec: InvertedResidualSpec): Sym {
  const p = `${spec.index}.block`;
  let j = 0;
  let y = x;
  if (spec.expanded !== spec.input) y = convBNAct(y, `${p}.${j++}`, spec.expanded, 1, 1, spec.activation);
  y = depthwiseBNAct(y, `${p}.${j++}`, spec.kernel, spec.stride, spec.dilation, spec.activation);
  if (spec.squeeze > 0) y = squeezeExcitation(y, `${p}.${j++}`, spec.expanded, spec.squeeze);
  y = convBNAct(y, `${p}.${j}`, spec.out, 1, 1, 'linear');
  if (spec.residual) y = tfl.layers.add({ name: `${spec.index}.add` }).apply([y, x]) as Sym;
  return y;
}
