import { packageConfig } from '../../tsup.package.js';

// The main entry and its subpaths (@seg/core/kernels, @seg/core/internals); then the seg-doctor command, the
// replica worker and seg-doctor's WebGPU trial, entries of their own because bin/seg-doctor.js, worker threads
// and child processes load them by path.
export default packageConfig([
  'src/index.ts',
  'src/kernels/index.ts',
  'src/internals.ts',
  'src/cli/program.ts',
  'src/train/replicas/replica-worker.ts',
  'src/backends/doctor/webgpu-child.ts',
]);
