// Public exports of src/backends; each module adds its own line.
export { diagnoseBackends, formatDiagnosis, type BackendDiagnosis, type BackendDiagnosisReport } from './diagnose.js';
export { ALLOW_SOFTWARE_GPU_ENV, GPU_ADAPTER_ENV, gpuAdapterIndex, softwareGpuAllowed } from './environment.js';
export {
  BACKEND_NAMES,
  BACKEND_PACKAGES,
  type BackendPackage,
  DAWN_PACKAGE,
  installCommand,
  isSegBackendName,
  LIBTENSORFLOW,
  type PackagePin,
  type SegBackendName,
  TFJS_VERSION,
} from './packages.js';
export {
  type BackendSelection,
  BROWSER_BACKEND_ORDER,
  DEFAULT_BACKEND_ORDER,
  NODE_BACKEND_ORDER,
  type SelectBackendOptions,
  selectBackend,
} from './select.js';
export { type BackendSkip, type BackendSkipReason, describeBackendSkip, formatBackendSkip, NoUsableBackendError } from './skip.js';
export { isSoftwareAdapter, listWebGpuAdapters, type GpuAdapterInfoLike, type WebGpuAdapter } from './webgpu/adapters.js';
export { assertGpuDeviceAlive, untilGpuDeviceLost } from './webgpu/device-lost.js';
