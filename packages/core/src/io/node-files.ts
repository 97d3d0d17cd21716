import { loadNodeFs } from './node-modules.js';

/**
 * Reads a whole file under Node.js.
 *
 * Node's `fs` is loaded on first use, so `@seg/core` still bundles for
 * browsers; there, pass bytes instead of a path.
 *
 * @param path File path.
 * @param purpose What the file is for, used in the error message.
 * @throws An error naming the path if the file cannot be read, is not a
 *   regular file (a FIFO would hang the read), or the runtime
 *   has no `node:fs`.
 */
export async function readFileBytes(path: string, purpose = 'file'): Promise<Uint8Array> {
  const { fs } = await loadNodeFs(`cannot read ${purpose} "${path}"`);
  try {
    // A FIFO or device would block the read or never end it.
    const stat = await fs.stat(path);
    if (!stat.isFile()) throw new Error(`it is not a regular file (${stat.isDirectory() ? 'a directory' : 'a FIFO, socket or device'})`);
    const buffer = await fs.readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    throw new Error(`cannot read ${purpose} "${path}": ${(e as Error).message}`);
  }
}
