import { importAtRuntime } from '../../runtime-import.js';

/** Where the build puts the pool's worker process entry, relative to @seg/deeplab's package.json. */
const WORKER_ENTRY = 'dist/batch/pool/pool-worker.js';

/**
 * The built worker entry in @seg/deeplab's dist: a child process needs
 * loadable JavaScript that imports the same tfjs and @seg packages as
 * everything else, also when the pool itself runs from TypeScript sources
 * (tests). Found through the package's own package.json.
 *
 * @throws If the package has not been built.
 */
export async function poolWorkerEntry(): Promise<string> {
  const { createRequire } = (await importAtRuntime('node:module')) as typeof import('node:module');
  const { dirname, join } = (await importAtRuntime('node:path')) as typeof import('node:path');
  const { existsSync } = (await importAtRuntime('node:fs')) as typeof import('node:fs');
  // The CommonJS build has no import.meta; it has __filename.
  const here = typeof __filename === 'string' ? __filename : import.meta.url;
  let packageJson: string;
  try {
    packageJson = createRequire(here).resolve('@seg/deeplab/package.json');
  } catch {
    try {
      packageJson = createRequire(`${process.cwd()}/`).resolve('@seg/deeplab/package.json');
    } catch (e) {
      throw new Error(`cannot find @seg/deeplab's package.json for its segmentation worker (${(e as Error).message.split('\n')[0]})`);
    }
  }
  const entry = join(dirname(packageJson), WORKER_ENTRY);
  if (!existsSync(entry)) throw new Error(`the segmentation worker ${entry} is missing; run \`pnpm build\` in packages/deeplab`);
  return entry;
}
