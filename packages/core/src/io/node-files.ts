import { loadNodeFs } from './node-modules.js';

/**
 * Reads a whole file under Node.js.
 *
 * Node's `fs` is loaded on first use, so `@seg/core` still bundles for
 * browsers; there, pass bytes instead of a path.
 *
 * @param path File path.
 * @param purpose What the file is for, used in the error message.
 * @throws An error naming the path if the file cannot be read or the runtime
 *   has no `node:fs`.
 */
export async function readFileBytes(path: string, purpose = 'file'): Promise<Uint8Array> {
  const { fs } = await loadNodeFs(`cannot read ${purpose} "${path}"`);
  try {
    const buffer = await fs.readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    throw new Error(`cannot read ${purpose} "${path}": ${(e as Error).message}`);
  }
}
