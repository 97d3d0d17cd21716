/**
 * @seg/core: TensorFlow.js building blocks for semantic segmentation.
 *
 * @packageDocumentation
 */
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
