import { packageConfig } from '../../tsup.package.js';

// `node` is the Node-only wing (`@seg/deeplab/node`); the pool's worker process, the training replica
// module and the seg-deeplab command are entries of their own: they are loaded by path.
export default packageConfig(['src/index.ts', 'src/node.ts', 'src/batch/pool/pool-worker.ts', 'src/run/segmentation-replica.ts', 'src/cli/program.ts']);
