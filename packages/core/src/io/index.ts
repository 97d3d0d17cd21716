// Public exports of src/io (through @seg/core/internals; the main entry picks the user-facing ones).
export {
  encodeSafetensors,
  MAX_SAFETENSORS_HEADER_BYTES,
  parseSafetensors,
  SAFETENSORS_DTYPE_BYTES,
  safetensorsToFloat32,
} from './safetensors.js';
export type { SafetensorsDtype, SafetensorsFile, SafetensorsInput, SafetensorsTensor } from './safetensors.js';
export { isTorchSaveFile, parseTorchCheckpoint, readTorchCheckpoint, TORCH_RESAVE_COMMAND, type TorchCheckpoint } from './torch-checkpoint.js';
export { TORCH_STORAGE_DTYPES } from './torch-pickle.js';
export { parseWeightFile, readWeightFile } from './tensor-files.js';
export * from './model-files.js';
export { builtEntry } from './built-entry.js';
export { openProcess } from './child-channel.js';
export type { Channel, ChannelEnd, ChannelEvents, ProcessChannelOptions } from './child-channel.js';
export { readRegularFile } from './node-files.js';
export {
  COMPLETE_MARKER,
  findAtomicDirectory,
  REPLACED_DIRECTORY_INFIX,
  TEMPORARY_DIRECTORY_INFIX,
  writeDirectoryAtomic,
  writeFileAtomic,
} from './atomic-files.js';
