import { builtEntry } from '@seg/core/internals';

/** Where the build puts the pool's worker process entry, relative to @seg/deeplab's package.json. */
const WORKER_ENTRY = 'dist/batch/pool/pool-worker.js';

/**
 * The built worker entry in @seg/deeplab's dist (see `builtEntry`): a child
 * process needs loadable JavaScript that imports the same tfjs and @seg
 * packages as everything else, also when the pool runs from TypeScript sources.
 *
 * @throws If the package has not been built.
 */
export function poolWorkerEntry(): Promise<string> {
  // The CommonJS build has no import.meta; it has __filename.
  const from = typeof __filename === 'string' ? __filename : import.meta.url;
  return builtEntry('@seg/deeplab', WORKER_ENTRY, from, 'the segmentation worker');
}
