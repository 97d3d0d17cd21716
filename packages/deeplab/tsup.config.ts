import { packageConfig } from '../../tsup.package.js';

// The pool's worker process and the seg-deeplab command are entries of their own: they are loaded by path.
export default packageConfig(['src/index.ts', 'src/batch/pool/pool-worker.ts', 'src/cli/program.ts']);
