/**
 * Reads a whole file under Node.js.
 *
 * `node:fs` is imported on first use, so bundling `@seg/core` for a browser
 * never pulls it in; there, pass bytes instead of a path.
 *
 * @param path File path.
 * @param purpose What the file is for, used in the error message.
 * @throws An error naming the path if the file cannot be read or the runtime
 *   has no `node:fs`.
 */
export async function readFileBytes(path: string, purpose = 'file'): Promise<Uint8Array> {
  let fs: typeof import('node:fs/promises');
  try {
    fs = await import('node:fs/promises');
  } catch {
    throw new Error(`cannot read ${purpose} "${path}": node:fs is not available here; pass the file's bytes as a Uint8Array`);
  }
  try {
    const buffer = await fs.readFile(path);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  } catch (e) {
    throw new Error(`cannot read ${purpose} "${path}": ${(e as Error).message}`);
  }
}
