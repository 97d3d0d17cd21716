import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_PACKAGES, NODE_BACKEND_ORDER, type SegBackendName, selectBackend } from '../backend.js';
import { importAtRuntime } from '../runtime-import.js';
import { listWebGpuAdapters, NODE_WEBGPU_PACKAGE, type WebGpuAdapter } from './webgpu-adapters.js';

/** What {@link diagnoseBackends} found out about one backend. */
export interface BackendDiagnosis {
  name: SegBackendName;
  /** The npm package(s) it needs. */
  packages: string[];
  /** Whether those packages are installed (resolvable from `@seg/core`). */
  installed: boolean;
  /** Whether the backend initialised and ran an op here. */
  works: boolean;
  /** Whether `selectBackend()` would pick it by default (a software GPU works but is not picked). */
  selectedByDefault: boolean;
  /** The GPU adapter or CPU it runs on, when it works. */
  device?: string;
  /** What went wrong, if anything (one line). */
  problem?: string;
  /** The concrete fix for `problem`. */
  fix?: string;
  /** WebGPU only: every adapter Dawn offered, hardware first (indices for `gpuAdapter`). */
  adapters?: WebGpuAdapter[];
}

/** The state of every Node backend, best first, as `seg-doctor` prints it. */
export interface BackendDiagnosisReport {
  backends: BackendDiagnosis[];
  /** What `selectBackend()` would choose here. */
  selected?: SegBackendName;
  environment: { platform: string; node: string; ldLibraryPath?: string; nvidiaDriverCapabilities?: string; cudaVisibleDevices?: string };
}

const TFJS_NODE_GPU = 'tensorflow-gpu';
const CUDA_NEEDS =
  '@tensorflow/tfjs-node-gpu 4.22 runs libtensorflow 2.9.1, built for CUDA 11.2 and cuDNN 8.1 (CUDA 12 libraries do not satisfy it)';
const CUDA_FIX =
  'install the CUDA 11.x runtime libraries (cudart, cublas, cublasLt, cufft, curand, cusolver, cusparse) and cuDNN 8.1 into a folder of their own ' +
  'and put it on LD_LIBRARY_PATH; a CUDA 12 driver runs CUDA 11 libraries (docs/guides/gpu.md)';
const LIBTENSORFLOW_FIX =
  "its install script did not fetch libtensorflow: run `npm rebuild @tensorflow/tfjs-node-gpu` with network access, or offline set TFJS_NODE_CDN_STORAGE to a mirror or put a custom-binary.json in the package's scripts/ folder (docs/guides/gpu.md)";

/** A missing shared library named in a dynamic-loader error, e.g. `libcudart.so.11.0`. */
export function missingSharedLibrary(message: string): string | undefined {
  return /([\w.+-]+\.(?:so[\w.]*|dll|dylib)): cannot open shared object file/.exec(message)?.[1] ?? /Library not loaded: .*?([\w.+-]+\.dylib)/.exec(message)?.[1];
}

/** The explanation and fix for a libtensorflow package that failed to load. */
export function explainTfjsNodeFailure(pkg: string, message: string): { problem: string; fix: string } {
  const lib = missingSharedLibrary(message);
  if (lib && /cu|nv/i.test(lib)) {
    return { problem: `${pkg} cannot load ${lib}: ${CUDA_NEEDS}`, fix: CUDA_FIX };
  }
  if (lib || /tfjs_binding\.node|libtensorflow/.test(message)) {
    return { problem: `${pkg} is installed without its native library${lib ? ` (${lib} is missing)` : ''}`, fix: LIBTENSORFLOW_FIX };
  }
  return { problem: `${pkg} failed to load: ${message.split('\n')[0]}`, fix: `reinstall ${pkg} and check its install log` };
}

function isNotFound(e: unknown): boolean {
  const err = e as { code?: string; message?: string };
  return err.code === 'ERR_MODULE_NOT_FOUND' || err.code === 'MODULE_NOT_FOUND' || /Cannot find (package|module)|Could not resolve/.test(err.message ?? '');
}

/** Imports `pkg`: `true` if it loaded, `false` if it is not installed, the error if it is installed but failed. */
async function tryImport(pkg: string): Promise<true | false | Error> {
  try {
    await importAtRuntime(pkg);
    return true;
  } catch (e) {
    return isNotFound(e) ? false : (e as Error);
  }
}

/** Runs one op on the active backend, so "works" means it computed, not just registered. */
async function computes(): Promise<void> {
  const t = tf.tidy(() => tf.sum(tf.mul(tf.range(0, 4), 2)));
  const [v] = await t.data();
  t.dispose();
  if (v !== 12) throw new Error(`computed ${v} for sum([0,2,4,6]); expected 12`);
}

async function diagnoseTfjsNode(name: 'tensorflow' | 'tensorflow-gpu'): Promise<BackendDiagnosis> {
  const pkg = BACKEND_PACKAGES[name].package;
  const base: BackendDiagnosis = { name, packages: [pkg], installed: false, works: false, selectedByDefault: false };
  const loaded = await tryImport(pkg);
  if (loaded === false) {
    return {
      ...base,
      problem: `${pkg} is not installed`,
      fix:
        name === TFJS_NODE_GPU
          ? `npm install ${pkg}@4.22.0 on a Linux x64 machine with an NVIDIA GPU, CUDA 11.2 and cuDNN 8.1 libraries (or use webgpu)`
          : `npm install ${pkg}@4.22.0 (downloads libtensorflow 2.9.1 at install time)`,
    };
  }
  if (loaded instanceof Error) return { ...base, installed: true, ...explainTfjsNodeFailure(pkg, loaded.message) };
  try {
    const chosen = await selectBackend([name]);
    await computes();
    return { ...base, installed: true, works: true, device: chosen.device };
  } catch (e) {
    const message = (e as Error).message;
    if (name === TFJS_NODE_GPU && /opened no CUDA GPU/.test(message)) {
      return {
        ...base,
        installed: true,
        problem: `libtensorflow loaded but found no usable GPU: ${CUDA_NEEDS}; GPUs newer than its CUDA 11.2 build (e.g. Hopper) are not known to work`,
        fix: `check nvidia-smi and CUDA_VISIBLE_DEVICES; ${CUDA_FIX}`,
      };
    }
    return { ...base, installed: true, ...explainTfjsNodeFailure(pkg, message) };
  }
}

async function diagnoseWebGpu(): Promise<BackendDiagnosis> {
  const pkgs = [NODE_WEBGPU_PACKAGE, BACKEND_PACKAGES.webgpu.package];
  const base: BackendDiagnosis = { name: 'webgpu', packages: pkgs, installed: false, works: false, selectedByDefault: false };
  const install = `npm install ${NODE_WEBGPU_PACKAGE}@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0`;
  // Only Dawn's package is imported here: tfjs's webgpu package must not load
  // before selectBackend has installed navigator.gpu, or it registers nothing.
  const dawn = await tryImport(NODE_WEBGPU_PACKAGE);
  if (dawn === false) return { ...base, problem: `${NODE_WEBGPU_PACKAGE} is not installed`, fix: install };
  if (dawn instanceof Error) {
    return { ...base, problem: `${NODE_WEBGPU_PACKAGE} failed to load: ${dawn.message.split('\n')[0]}`, fix: `reinstall ${NODE_WEBGPU_PACKAGE}@0.6.2 (it ships dawn.node for linux-x64, win32 and darwin)` };
  }
  const adapters = await listWebGpuAdapters();
  const installed = { ...base, installed: true, adapters };
  if (adapters.length === 0) {
    return {
      ...installed,
      problem: 'no adapter',
      fix:
        "install the GPU vendor's Vulkan driver; in containers NVIDIA_DRIVER_CAPABILITIES must include graphics " +
        '(tests only: Mesa llvmpipe via libegl-mesa0 + libgl1-mesa-dri gives a software adapter)',
    };
  }
  let device: string | undefined;
  try {
    device = (await selectBackend(['webgpu'], { allowSoftwareGpu: true, gpuAdapter: 0 })).device;
    await computes();
  } catch (e) {
    // selectBackend's message is a header line, then one line per backend tried.
    const lines = (e as Error).message.split('\n');
    const reason = (lines[1] ?? lines[0]).replace(/^\s*webgpu: /, '');
    if (reason.startsWith(`${BACKEND_PACKAGES.webgpu.package} is not installed`)) {
      return { ...base, problem: reason, fix: install };
    }
    return {
      ...installed,
      problem: `adapter 0 (${adapters[0].description}) did not initialise: ${reason}`,
      fix: 'update the GPU driver, or pick another adapter with SEG_GPU_ADAPTER',
    };
  }
  if (adapters.every((a) => a.software)) {
    return {
      ...installed,
      works: true,
      device,
      problem: `only a software adapter (${adapters[0].description}): correct but slower than the wasm backend, so selectBackend passes it over unless allowSoftwareGpu (SEG_ALLOW_SOFTWARE_GPU=1)`,
      fix: "for GPU speed install the GPU vendor's Vulkan driver; in containers NVIDIA_DRIVER_CAPABILITIES must include graphics",
    };
  }
  return { ...installed, works: true, device };
}

async function diagnoseBundled(name: 'wasm' | 'cpu'): Promise<BackendDiagnosis> {
  const pkg = BACKEND_PACKAGES[name].package;
  const base: BackendDiagnosis = { name, packages: [pkg], installed: false, works: false, selectedByDefault: false };
  const loaded = await tryImport(pkg);
  if (loaded === false) return { ...base, problem: `${pkg} is not installed`, fix: `npm install ${pkg}@4.22.0` };
  try {
    const chosen = await selectBackend([name]);
    await computes();
    return { ...base, installed: true, works: true, device: chosen.device };
  } catch (e) {
    return { ...base, installed: true, problem: (e as Error).message.split('\n')[0], fix: `reinstall ${pkg}` };
  }
}

/**
 * Tries every Node backend in {@link NODE_BACKEND_ORDER} and says, for each,
 * whether its packages are installed, whether it initialises and computes,
 * on which device, and what to do about each failure. The backend that was
 * active before is restored. Node only.
 */
export async function diagnoseBackends(): Promise<BackendDiagnosisReport> {
  const previous = (tf.engine() as unknown as { backendName?: string }).backendName;
  const backends: BackendDiagnosis[] = [];
  for (const name of NODE_BACKEND_ORDER) {
    if (name === 'tensorflow' || name === 'tensorflow-gpu') backends.push(await diagnoseTfjsNode(name));
    else if (name === 'webgpu') backends.push(await diagnoseWebGpu());
    else if (name === 'wasm' || name === 'cpu') backends.push(await diagnoseBundled(name));
  }
  // selectBackend's own rule: the first that works, software GPUs excluded.
  const selected = backends.find((b) => b.works && !(b.name === 'webgpu' && b.adapters?.every((a) => a.software)));
  if (selected) selected.selectedByDefault = true;
  if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  return {
    backends,
    selected: selected?.name,
    environment: {
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
      ldLibraryPath: process.env.LD_LIBRARY_PATH,
      nvidiaDriverCapabilities: process.env.NVIDIA_DRIVER_CAPABILITIES,
      cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES,
    },
  };
}

/** The report as the lines `seg-doctor` prints. */
export function formatDiagnosis(report: BackendDiagnosisReport): string {
  const lines = [`seg-doctor: ${report.environment.platform}, Node ${report.environment.node}`];
  for (const b of report.backends) {
    const state = b.works ? (b.selectedByDefault ? 'works, selected by default' : 'works') : b.installed ? 'installed, does not work' : 'not installed';
    lines.push(`${b.name.padEnd(15)} ${state}${b.device ? ` — ${b.device}` : ''}`);
    for (const a of b.adapters ?? []) lines.push(`${''.padEnd(17)}adapter ${a.index}: ${a.description}${a.software ? ' [software]' : ''}`);
    if (b.problem) lines.push(`${''.padEnd(17)}problem: ${b.problem}`);
    if (b.fix) lines.push(`${''.padEnd(17)}fix: ${b.fix}`);
  }
  lines.push(report.selected ? `selectBackend() picks: ${report.selected}` : 'no backend works here');
  return lines.join('\n');
}
