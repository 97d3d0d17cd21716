import { readRegularFile } from '@seg/core/internals';

/** Where a model comes from: a file path (Node), an `http(s):`/`file:` URL, or its bytes. */
export type ModelSource = string | URL | Uint8Array | ArrayBuffer;

/** The bytes of `source` and a name for it in messages. */
export async function readModelSource(where: string, source: ModelSource): Promise<{ bytes: Uint8Array; name: string }> {
  if (source instanceof Uint8Array) return { bytes: source, name: 'the given bytes' };
  if (source instanceof ArrayBuffer) return { bytes: new Uint8Array(source), name: 'the given bytes' };
  const inNode = typeof process !== 'undefined' && !!process.versions?.node;
  const url = source instanceof URL ? source : typeof source === 'string' && (/^(https?|file):/.test(source) || !inNode) ? new URL(source, globalThis.location?.href) : undefined;
  if (typeof source !== 'string' && !(source instanceof URL)) {
    throw new Error(`${where}: source is ${source === null ? 'null' : typeof source}; expected a file path, a URL, or the model's bytes (Uint8Array)`);
  }
  if (url && url.protocol !== 'file:') {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`${where}: ${url.href} answered ${response.status} ${response.statusText}; expected the .onnx file`);
    return { bytes: new Uint8Array(await response.arrayBuffer()), name: url.href };
  }
  const name = url ? decodeURIComponent(url.pathname) : (source as string);
  try {
    // Only regular files: a FIFO named as the model would block the read for good.
    return { bytes: await readRegularFile(url ?? (source as string)), name };
  } catch (e) {
    throw new Error(`${where}: cannot read ${name}: ${(e as Error).message}`);
  }
}
