import * as tf from '@tensorflow/tfjs-core';
import { backendPackages, type SegBackendName } from './packages.js';
import { type BackendTrial, tryBackend } from './doctor/try-backend.js';
import { tryWebGpuInChild } from './doctor/webgpu-trial.js';
import { NODE_BACKEND_ORDER, selectBackend } from './select.js';
import { type BackendSkip, describeBackendSkip, isBackendSkip, NoUsableBackendError, skipBackend } from './skip.js';
import type { WebGpuAdapter } from './webgpu/adapters.js';
import { findWebGpuAdapters } from './webgpu/node-webgpu.js';

/** What {@link diagnoseBackends} found out about one backend. */
export interface BackendDiagnosis {
  /** The backend. */
  name: SegBackendName;
  /** The npm package(s) it needs. */
  packages: string[];
  /** Whether those packages are installed (resolvable from `@seg/core`). */
  installed: boolean;
  /** Whether the backend initialised and ran an op here. */
  works: boolean;
  /** Whether `selectBackend()` picks it here (a software GPU works but is not picked). */
  selectedByDefault: boolean;
  /** The GPU adapter or CPU it runs on, when it works. */
  device?: string;
  /** Why it does not work, or why `selectBackend()` passes it over although it works; `skip` says it as data. */
  problem?: string;
  /** The concrete fix for `problem`. */
  fix?: string;
  /** The reason behind `problem`, as `selectBackend` reports it. */
  skip?: BackendSkip;
  /** WebGPU only: every adapter Dawn offered, hardware first (indices for `gpuAdapter`). */
  adapters?: WebGpuAdapter[];
  /** WebGPU only: what Dawn and its drivers printed while adapters were looked for and WebGPU was tried (in child processes, kept off the terminal), one per line. */
  probeLog?: string[];
}

/** The state of every Node backend, best first, as `seg-doctor` prints it. */
export interface BackendDiagnosisReport {
  /** One entry per backend of `NODE_BACKEND_ORDER`. */
  backends: BackendDiagnosis[];
  /** What `selectBackend()` chooses here. */
  selected?: SegBackendName;
  /** The error `selectBackend()` throws here on bad input, e.g. a malformed `SEG_GPU_ADAPTER`. */
  selectError?: string;
  /** What the backends depend on in the environment. */
  environment: { platform: string; node: string; ldLibraryPath?: string; nvidiaDriverCapabilities?: string; cudaVisibleDevices?: string };
}

function withSkip(diagnosis: BackendDiagnosis, skip: BackendSkip): BackendDiagnosis {
  return { ...diagnosis, problem: describeBackendSkip(skip), ...(skip.fix ? { fix: skip.fix } : {}), skip };
}

async function diagnose(name: SegBackendName): Promise<BackendDiagnosis> {
  const base: BackendDiagnosis = { name, packages: backendPackages(name, true).map((p) => p.name), installed: true, works: false, selectedByDefault: false };
  if (name !== 'webgpu') return fromTrial(base, await tryBackend(name, {}));
  const found = await findWebGpuAdapters();
  if (isBackendSkip(found)) return withSkip({ ...base, installed: found.reason !== 'not-installed' }, found);
  const tried = { ...base, adapters: found.adapters };
  if (found.adapters.length === 0) return withSkip({ ...tried, ...(found.log.length ? { probeLog: found.log } : {}) }, skipBackend('webgpu', 'no-adapter'));
  // A software adapter is tried too: the report says whether it works, and separately whether it is picked.
  // In a child process: Dawn prints from native code while it opens the device.
  const { trial, log } = await tryWebGpuInChild({ allowSoftwareGpu: true, gpuAdapter: 0 }, found);
  const probeLog = [...found.log, ...log];
  return fromTrial({ ...tried, ...(probeLog.length ? { probeLog } : {}) }, trial);
}

function fromTrial(tried: BackendDiagnosis, trial: BackendTrial): BackendDiagnosis {
  if (trial.works) return { ...tried, works: true, ...(trial.device ? { device: trial.device } : {}) };
  if ('problem' in trial) return { ...tried, problem: trial.problem, fix: `reinstall ${tried.packages.join(' ')}` };
  const { skip } = trial;
  return withSkip({ ...tried, installed: skip.reason !== 'not-installed' && skip.reason !== 'unavailable-here' }, skip);
}

/**
 * Tries every Node backend in {@link NODE_BACKEND_ORDER} and says, for each,
 * whether its packages are installed, whether it initialises and computes,
 * on which device, and what to do about each failure; then runs
 * `selectBackend()` as a program would, to say which it picks and why it
 * passes over backends that work (a software GPU). The backend that was
 * active before is restored. Node only.
 */
export async function diagnoseBackends(): Promise<BackendDiagnosisReport> {
  const previous = (tf.engine() as unknown as { backendName?: string }).backendName;
  const backends: BackendDiagnosis[] = [];
  for (const name of NODE_BACKEND_ORDER) backends.push(await diagnose(name));
  // The run a program makes: which backend it picks, and why it passes over those before it.
  let selected: SegBackendName | undefined;
  let passedOver: readonly BackendSkip[] = [];
  let selectError: string | undefined;
  try {
    const selection = await selectBackend(NODE_BACKEND_ORDER);
    [selected, passedOver] = [selection.name, selection.skipped];
  } catch (e) {
    if (e instanceof NoUsableBackendError) passedOver = e.skipped;
    else selectError = (e as Error).message;
  }
  const report = backends.map((b) => {
    const skip = passedOver.find((s) => s.backend === b.name);
    if (b.name === selected) return { ...b, selectedByDefault: true };
    return b.works && skip ? withSkip(b, skip) : b;
  });
  if (previous && previous !== tf.getBackend()) await tf.setBackend(previous);
  return {
    backends: report,
    selected,
    ...(selectError ? { selectError } : {}),
    environment: {
      platform: `${process.platform}-${process.arch}`,
      node: process.versions.node,
      ldLibraryPath: process.env.LD_LIBRARY_PATH,
      nvidiaDriverCapabilities: process.env.NVIDIA_DRIVER_CAPABILITIES,
      cudaVisibleDevices: process.env.CUDA_VISIBLE_DEVICES,
    },
  };
}

/** Dawn's messages, in one line: the first and how many more (`--json` has them all). */
function probeLogSummary(log: readonly string[]): string {
  const more = log.length > 1 ? ` (and ${log.length - 1} more line${log.length > 2 ? 's' : ''}; seg-doctor --json lists them)` : '';
  return `Dawn said (kept off the terminal): ${log[0].trim()}${more}`;
}

/** The report as the lines `seg-doctor` prints. */
export function formatDiagnosis(report: BackendDiagnosisReport): string {
  const lines = [`seg-doctor: ${report.environment.platform}, Node ${report.environment.node}`];
  for (const b of report.backends) {
    const state = b.works ? (b.selectedByDefault ? 'works, selected by default' : 'works') : b.installed ? 'installed, does not work' : 'not installed';
    lines.push(`${b.name.padEnd(15)} ${state}${b.device ? ` — ${b.device}` : ''}`);
    for (const a of b.adapters ?? []) lines.push(`${''.padEnd(17)}adapter ${a.index}: ${a.description}${a.software ? ' [software]' : ''}`);
    if (b.probeLog) lines.push(`${''.padEnd(17)}${probeLogSummary(b.probeLog)}`);
    if (b.problem) lines.push(`${''.padEnd(17)}problem: ${b.problem}`);
    if (b.fix) lines.push(`${''.padEnd(17)}fix: ${b.fix}`);
  }
  if (report.selectError) lines.push(`selectBackend() fails here: ${report.selectError}`);
  else lines.push(report.selected ? `selectBackend() picks: ${report.selected}` : 'no backend works here');
  return lines.join('\n');
}
