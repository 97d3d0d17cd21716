// tfjs-layers registers tfjs-core's stock gradients when it loads (its Node
// bundle carries its own copy of them); loading it first keeps it from
// replacing ours afterwards.
import '@tensorflow/tfjs-layers';
import {
  getGradient,
  getKernel,
  type KernelConfig,
  type KernelFunc,
  registerGradient,
  registerKernel,
  Slice,
  SplitV,
  unregisterKernel,
} from '@tensorflow/tfjs-core';
import { conv2dGradConfig } from './conv2d-grad.js';
import { depthwiseConv2dGradConfig } from './depthwise-conv2d-grad.js';
import { wasmSliceConfig, wasmSplitVConfig } from './wasm-slice.js';
import {
  wasmConv2dBackpropFilterConfig,
  wasmDepthwiseConv2dBackpropFilterConfig,
  wasmDepthwiseConv2dBackpropInputConfig,
} from './wasm-kernels.js';

/**
 * Registers the dilation-aware `Conv2D` / `DepthwiseConv2dNative` gradients
 * and the convolution backprop kernels the wasm backend lacks.
 *
 * Runs on `import '@seg/core'` (`registration.ts`), when `selectBackend`
 * activates a backend (whose package may have loaded after @seg/core), and
 * at the start of each `modelGradients` step, so a stock gradient registered
 * later (say, by a second copy of tfjs) is replaced again. Idempotent and
 * cheap: it registers what is missing, and replaces only wasm's `Slice` and
 * `SplitV` (with versions that do not copy their whole input per call), once.
 */
export function registerSegKernels(): void {
  // tfjs-core's own gradients assert dilation 1 ("not yet supported in
  // gradients"), which leaves atrous convolutions untrainable.
  for (const config of [conv2dGradConfig, depthwiseConv2dGradConfig]) {
    if (getGradient(config.kernelName) !== config) registerGradient(config);
  }
  // tfjs-backend-wasm 4.22 has no backprop-filter kernels (nor a depthwise
  // backprop-input one), so nothing with a conv trains on wasm without them.
  for (const config of [
    wasmConv2dBackpropFilterConfig,
    wasmDepthwiseConv2dBackpropFilterConfig,
    wasmDepthwiseConv2dBackpropInputConfig,
  ]) {
    if (getKernel(config.kernelName, config.backendName) == null) registerKernel(config);
  }
  // Replaced, not added: wasm's own Slice and SplitV copy their whole input per slice (see wasm-slice.ts).
  replaceWasmKernel(Slice, wasmSliceConfig);
  replaceWasmKernel(SplitV, wasmSplitVConfig);
}

const replaced = new Set<KernelFunc>();

/**
 * Puts `make(theirs)` in place of wasm's `kernelName` kernel, once, when the
 * wasm backend has registered it (a later `registerSegKernels()` call does it
 * if @seg/core loaded first); `theirs` stays as the fallback for strings.
 */
function replaceWasmKernel(kernelName: string, make: (theirs: KernelFunc) => KernelConfig): void {
  const current = getKernel(kernelName, 'wasm');
  if (current == null || replaced.has(current.kernelFunc)) return;
  const ours = make(current.kernelFunc);
  unregisterKernel(kernelName, 'wasm');
  registerKernel(ours);
  replaced.add(ours.kernelFunc);
}
