/**
 * Entry point of the child process in which `seg-doctor` tries WebGPU: Dawn
 * writes to file descriptor 2 from native code while it opens an adapter and
 * a device, which only the parent's capture of this process's stderr keeps
 * off the user's terminal. argv[2] holds the `SelectBackendOptions` and
 * argv[3] the parent's `WebGpuAdapterList`, as JSON; the `BackendTrial` is
 * the last line of stdout, as JSON.
 *
 * @module
 */
import '@tensorflow/tfjs-layers';
import '../../registration.js';
import { rememberWebGpuAdapterList } from '../webgpu/adapters.js';
import { tryBackend } from './try-backend.js';

// The parent has probed the adapters already (in a child of its own): no second probe.
rememberWebGpuAdapterList(JSON.parse(process.argv[3]));
// No top-level await: the CommonJS build of this entry cannot have one.
void tryBackend('webgpu', JSON.parse(process.argv[2])).then((trial) => {
  // The last line: anything a library prints to stdout comes before it.
  process.stdout.write(`\n${JSON.stringify(trial)}\n`);
  // Dawn's instance may keep the event loop alive.
  process.exit(0);
});
