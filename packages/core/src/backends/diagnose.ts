import * as tf from '@tensorflow/tfjs-core';
import { backendPackages, type SegBackendName } from './packages.js';
import { type BackendSelection, NODE_BACKEND_ORDER, type SelectBackendOptions, selectBackend } from './select.js';
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
  /** WebGPU only: what Dawn and its drivers printed while looking for adapters (kept off the terminal), one per line. */
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

/** Runs one op on the active backend, so "works" means it computed, not just registered. */
async function computes(): Promise<void> {
  const t = tf.tidy(() => tf.sum(tf.mul(tf.range(0, 4), 2)));
  const [v] = await t.data();
  t.dispose();
  if (v !== 12) throw new Error(`computed ${v} for sum([0,2,4,6]); expected 12`);
}

/** `selectBackend`'s choice, or its structured reasons when nothing could be used. */
async function trySelect(order: readonly SegBackendName[], options: SelectBackendOptions = {}): Promise<BackendSelection | NoUsableBackendError> {
  try {
    return await selectBackend(order, options);
  } catch (e) {
    if (e instanceof NoUsableBackendError) return e;
    throw e;
  }
}

function withSkip(diagnosis: BackendDiagnosis, skip: BackendSkip): BackendDiagnosis {
  return { ...diagnosis, problem: describeBackendSkip(skip), ...(skip.fix ? { fix: skip.fix } : {}), skip };
}

async function diagnose(name: SegBackendName): Promise<BackendDiagnosis> {
  const base: BackendDiagnosis = { name, packages: backendPackages(name, true).map((p) => p.name), installed: true, works: false, selectedByDefault: false };
  let options: SelectBackendOptions = {};
  let adapters: WebGpuAdapter[] | undefined;
  if (name === 'webgpu') {
    const found = await findWebGpuAdapters();
    if (isBackendSkip(found)) return withSkip({ ...base, installed: found.reason !== 'not-installed' }, found);
    adapters = found.adapters;
    if (found.log.length > 0) base.probeLog = found.log;
    if (adapters.length === 0) return withSkip({ ...base, adapters }, skipBackend('webgpu', 'no-adapter'));
    // A software adapter is tried too: the report says whether it works, and separately whether it is picked.
    options = { allowSoftwareGpu: true, gpuAdapter: 0 };
  }
  const tried = { ...base, ...(adapters ? { adapters } : {}) };
  const chosen = await trySelect([name], options);
  if (chosen instanceof NoUsableBackendError) {
    const skip = chosen.skipped[0];
    return withSkip({ ...tried, installed: skip.reason !== 'not-installed' && skip.reason !== 'unavailable-here' }, skip);
  }
  try {
    await computes();
  } catch (e) {
    return { ...tried, problem: `initialised but does not compute: ${(e as Error).message.split('\n')[0]}`, fix: `reinstall ${base.packages.join(' ')}` };
  }
  return { ...tried, works: true, ...(chosen.device ? { device: chosen.device } : {}) };
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

/** Dawn's messages while probing, in one line: how many, and the first (`--json` has them all). */
function probeLogSummary(log: readonly string[]): string {
  const more = log.length > 1 ? ` (and ${log.length - 1} more line${log.length > 2 ? 's' : ''}; seg-doctor --json lists them)` : '';
  return `Dawn said while probing: ${log[0].trim()}${more}`;
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
