import { packageConfig } from '../../tsup.package.js';

// The replica worker and seg-doctor's WebGPU trial are entries of their own: worker threads and child processes load them by path.
export default packageConfig(['src/index.ts', 'src/train/replicas/replica-worker.ts', 'src/backends/doctor/webgpu-child.ts']);
