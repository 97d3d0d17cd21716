// Public exports of src/layers; each module adds its own line.
export { AtrousConv2D, type AtrousConv2DArgs, atrousConv2d } from './atrous-conv2d.js';
export { AtrousSeparableConv2D, type AtrousSeparableConv2DArgs, atrousSeparableConv2d } from './atrous-separable-conv2d.js';
export { interpolateBilinear, ResizeBilinear, type ResizeBilinearArgs, resizeBilinear } from './resize-bilinear.js';
export {
  ASPP_RATES_OS16,
  type ASPPConfig,
  type ASPPHeadOptions,
  type ASPPOptions,
  aspp,
  asppRatesFor,
  DEFAULT_ASPP_DROPOUT,
  DEFAULT_ASPP_FILTERS,
  resolveAsppOptions,
  spatialDropout2d,
} from './aspp.js';
export { checkOutputStride, DEFAULT_OUTPUT_STRIDE, OUTPUT_STRIDES, type OutputStride } from './output-stride.js';
export { BatchNormAct, type BatchNormActArgs, batchNormAct, TORCH_BN_EPSILON, TORCH_BN_MOMENTUM } from './batch-norm-act.js';
export { AtrousDepthwiseConv2D, type AtrousDepthwiseConv2DArgs, atrousDepthwiseConv2d } from './atrous-depthwise-conv2d.js';
export { ElementwiseActivation, HardSigmoid, hardSigmoid, HardSwish, hardSwish } from './hard-activations.js';
