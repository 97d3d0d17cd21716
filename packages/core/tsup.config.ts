import { packageConfig } from '../../tsup.package.js';

// The replica worker is an entry of its own: worker threads and child processes load it by path.
export default packageConfig(['src/index.ts', 'src/train/replicas/replica-worker.ts']);
