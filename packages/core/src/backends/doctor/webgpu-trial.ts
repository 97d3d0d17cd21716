import { builtEntry } from '../../io/built-entry.js';
import { importAtRuntime } from '../../io/runtime-import.js';
import type { SelectBackendOptions } from '../select.js';
import type { WebGpuAdapterList } from '../webgpu/adapters.js';
import type { BackendTrial } from './try-backend.js';

/** Where the build puts the child's entry, relative to @seg/core's package.json. */
const CHILD_ENTRY = 'dist/backends/doctor/webgpu-child.js';

/**
 * WebGPU tried as `tryBackend` tries it, in a child process whose stderr is
 * captured: what Dawn prints while opening a device is returned as `log`
 * instead of reaching the terminal (and a Dawn crash ends only the child).
 */
export async function tryWebGpuInChild(options: SelectBackendOptions, found: WebGpuAdapterList): Promise<{ trial: BackendTrial; log: string[] }> {
  const { execFile } = (await importAtRuntime('node:child_process')) as typeof import('node:child_process');
  // The CommonJS build has no import.meta: builtEntry then resolves from the working directory.
  const from = typeof import.meta.url === 'string' ? import.meta.url : undefined;
  const entry = await builtEntry('@seg/core', CHILD_ENTRY, from, 'seg-doctor: the WebGPU trial');
  const { stdout, stderr, status } = await new Promise<{ stdout: string; stderr: string; status: string | null }>((done) =>
    execFile(process.execPath, [entry, JSON.stringify(options), JSON.stringify(found)], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) =>
      done({ stdout, stderr, status: error ? String((error as { signal?: string }).signal ?? (error as { code?: unknown }).code) : null }),
    ),
  );
  const log = stderr.split('\n').filter((l) => l.trim() !== '');
  if (status !== null) {
    return { trial: { works: false, problem: `the WebGPU trial process ended with ${status}${log.length ? `: ${log.at(-1)}` : ''}` }, log };
  }
  return { trial: JSON.parse(stdout.trim().split('\n').at(-1)!) as BackendTrial, log };
}
