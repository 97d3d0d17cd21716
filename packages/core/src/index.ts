/**
 * @seg/core: TensorFlow.js building blocks for semantic segmentation.
 *
 * Importing this module registers the dilation-aware convolution gradients and
 * the kernels the wasm backend lacks (see {@link registerSegKernels}), the
 * layer-by-layer training steps of the layers it covers (see
 * {@link modelGradients}), and the library's layer classes for model
 * (de)serialisation.
 *
 * @packageDocumentation
 */
import './registration.js';
export * from './kernels/index.js';
export * from './layers/index.js';
export * from './backbones/index.js';
export * from './data/index.js';
export * from './losses/index.js';
export * from './metrics/index.js';
export * from './run-state/index.js';
export * from './train/index.js';
export * from './graph/index.js';
export * from './backprop/index.js';
export * from './backends/index.js';
export {
  encodeSafetensors,
  MAX_SAFETENSORS_HEADER_BYTES,
  parseSafetensors,
  SAFETENSORS_DTYPE_BYTES,
  safetensorsToFloat32,
} from './io/safetensors.js';
export type {
  SafetensorsDtype,
  SafetensorsFile,
  SafetensorsInput,
  SafetensorsTensor,
} from './io/safetensors.js';
export {
  isTorchSaveFile,
  parseTorchCheckpoint,
  readTorchCheckpoint,
  TORCH_RESAVE_COMMAND,
  type TorchCheckpoint,
} from './io/torch-checkpoint.js';
export { TORCH_STORAGE_DTYPES } from './io/torch-pickle.js';
export { parseWeightFile, readWeightFile } from './io/tensor-files.js';
export * from './io/model-files.js';
export { builtEntry } from './io/built-entry.js';
export { openProcess } from './io/child-channel.js';
export type { Channel, ChannelEnd, ChannelEvents, ProcessChannelOptions } from './io/child-channel.js';
export { readRegularFile } from './io/node-files.js';
export {
  COMPLETE_MARKER,
  findAtomicDirectory,
  REPLACED_DIRECTORY_INFIX,
  TEMPORARY_DIRECTORY_INFIX,
  writeDirectoryAtomic,
  writeFileAtomic,
} from './io/atomic-files.js';
