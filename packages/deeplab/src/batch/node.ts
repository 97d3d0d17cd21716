import { importAtRuntime } from '../runtime-import.js';

/** The Node modules batch segmentation uses. */
export interface NodeModules {
  fs: typeof import('node:fs/promises');
  path: typeof import('node:path');
  os: typeof import('node:os');
  zlib: typeof import('node:zlib');
  crypto: typeof import('node:crypto');
  /** `@seg/datasets`, the image I/O of `@seg` (native decoders, Node only). */
  datasets: typeof import('@seg/datasets');
}

let loaded: Promise<NodeModules> | undefined;

/**
 * Node's modules and `@seg/datasets`, loaded on first use: `@seg/deeplab` exports batch
 * segmentation next to `segment()`, and browser bundles of the package must
 * not pull in Node built-ins.
 *
 * @throws Outside Node, saying that batch segmentation needs it.
 */
export function node(): Promise<NodeModules> {
  loaded ??= Promise.all(['node:fs/promises', 'node:path', 'node:os', 'node:zlib', 'node:crypto', '@seg/datasets'].map(importAtRuntime))
    .then(([fs, path, os, zlib, crypto, datasets]) => ({ fs, path, os, zlib, crypto, datasets }) as NodeModules)
    .catch((e: Error) => {
      loaded = undefined;
      throw new Error(`batch segmentation needs Node.js (${e.message}); in a browser call segment() per image`);
    });
  return loaded;
}
