/**
 * One entry point for weight files: `.safetensors` and `torch.save` files
 * (`.pth`, `.pt`, `.bin`) are told apart by their first bytes, not their
 * names, and both come back as named tensors.
 *
 * @module
 */
import { readFileBytes } from './node-files.js';
import { parseSafetensors, type SafetensorsFile } from './safetensors.js';
import { isTorchSaveFile, parseTorchCheckpoint } from './torch-checkpoint.js';

/**
 * Parses a weight file held in memory: a `torch.save` file (see
 * `readTorchCheckpoint`) or a safetensors file.
 *
 * @param source A name for the file (its path), used in error messages.
 */
export function parseWeightFile(bytes: Uint8Array, source = '<bytes>'): SafetensorsFile {
  return isTorchSaveFile(bytes) ? parseTorchCheckpoint(bytes, source) : parseSafetensors(bytes, source);
}

/**
 * Reads a `.safetensors` or `torch.save` (`.pth`) weight file into named
 * tensors, whichever it is.
 *
 * @param source A file path (Node.js) or the file's bytes.
 * @returns The file's name for messages and its tensors.
 */
export async function readWeightFile(source: string | Uint8Array): Promise<{ name: string; file: SafetensorsFile }> {
  const name = typeof source === 'string' ? source : '<bytes>';
  const bytes = typeof source === 'string' ? await readFileBytes(source, 'weight file') : source;
  return { name, file: parseWeightFile(bytes, name) };
}
