// Public exports of src/kernels; each module adds its own line.
export { registerSegKernels } from './register.js';
export type { ConvAttrs, ConvGeometry, ConvPad } from './conv-geometry.js';
export { convGeometry } from './conv-geometry.js';
export { conv2dInputGrad } from './conv2d-input-grad.js';
export { conv2dFilterGrad, conv2dFilterGradByTaps } from './conv2d-filter-grad.js';
export { conv2dFilterGradAsConv } from './conv2d-filter-grad-as-conv.js';
export { depthwiseConv2dInputGrad } from './depthwise-input-grad.js';
export { depthwiseConv2dFilterGrad } from './depthwise-filter-grad.js';
export { conv2dGradConfig, NATIVE_CONV_GRAD_BACKENDS } from './conv2d-grad.js';
export { depthwiseConv2dGradConfig } from './depthwise-conv2d-grad.js';
export {
  WASM_BACKEND,
  wasmConv2dBackpropFilterConfig,
  wasmDepthwiseConv2dBackpropFilterConfig,
  wasmDepthwiseConv2dBackpropInputConfig,
} from './wasm-kernels.js';
export { bilinearInterpolationMatrix, bilinearTaps, resizeBilinearGradHalfPixel } from './resize-bilinear-grad.js';
export { type BatchNormTrainingOptions, batchNormTraining } from './batch-norm-training.js';
export { wasmSliceConfig, wasmSplitVConfig } from './wasm-slice.js';
