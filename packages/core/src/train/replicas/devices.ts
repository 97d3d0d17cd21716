/**
 * Which device each data-parallel replica computes on. One GPU per replica
 * process: tfjs-node-gpu sees only the GPU `CUDA_VISIBLE_DEVICES` gives it,
 * WebGPU picks the adapter `SEG_GPU_ADAPTER` names.
 *
 * @module
 */
import { GPU_ADAPTER_ENV, softwareGpuAllowed } from '../../backends/environment.js';
import { listWebGpuAdapters } from '../../backends/webgpu/adapters.js';
import { importAtRuntime } from '../../io/runtime-import.js';

/**
 * The CUDA devices `CUDA_VISIBLE_DEVICES` lists, in order; `undefined` when
 * it is unset or empty (every GPU is visible). CUDA stops at the first
 * invalid id, so `-1` (a common way to hide all GPUs) ends the list.
 */
export function visibleCudaDevices(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const listed = env.CUDA_VISIBLE_DEVICES;
  if (listed === undefined || listed.trim() === '') return undefined;
  const ids: string[] = [];
  for (const d of listed.split(',').map((s) => s.trim())) {
    if (d === '' || d.startsWith('-')) break;
    ids.push(d);
  }
  return ids;
}

/**
 * The environment of replica `index` on GPU `index`: `CUDA_VISIBLE_DEVICES`
 * set to the `index`-th GPU this process may see, `SEG_GPU_ADAPTER` to
 * adapter `index`.
 *
 * @throws If `CUDA_VISIBLE_DEVICES` lists fewer GPUs than `count` replicas need.
 */
export function replicaDeviceEnvironment(index: number, count: number, env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const cuda = visibleCudaDevices(env);
  if (cuda !== undefined && cuda[index] === undefined) {
    throw new Error(
      `Trainer: workers.count is ${count}, but CUDA_VISIBLE_DEVICES="${env.CUDA_VISIBLE_DEVICES}" lists ${cuda.length} usable GPU(s); lower the count or list more GPUs`,
    );
  }
  return { ...env, CUDA_VISIBLE_DEVICES: cuda ? cuda[index] : String(index), [GPU_ADAPTER_ENV]: String(index) };
}

/** The GPUs a backend can give replicas here, by name, and how they were found (for the error when too few). */
export interface VisibleGpus {
  gpus: string[];
  how: string;
}

/**
 * The GPUs this process can see for `backend`: CUDA devices for
 * `tensorflow-gpu` (`CUDA_VISIBLE_DEVICES`, else `nvidia-smi -L`), WebGPU
 * adapters for `webgpu` (hardware ones unless software GPUs are allowed:
 * `allowSoftwareGpu`, default `SEG_ALLOW_SOFTWARE_GPU`), none for
 * backends that compute on the CPU. Node only.
 */
export async function visibleGpus(backend: string, allowSoftwareGpu?: boolean): Promise<VisibleGpus> {
  if (backend === 'tensorflow-gpu') {
    const cuda = visibleCudaDevices();
    if (cuda !== undefined) return { gpus: cuda.map((d) => `CUDA device ${d}`), how: `CUDA_VISIBLE_DEVICES="${process.env.CUDA_VISIBLE_DEVICES}"` };
    const { spawnSync } = (await importAtRuntime('node:child_process')) as typeof import('node:child_process');
    const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
    if (smi.status !== 0) return { gpus: [], how: 'nvidia-smi -L failed or is not installed, and CUDA_VISIBLE_DEVICES is unset' };
    return { gpus: smi.stdout.split('\n').filter((l) => l.startsWith('GPU ')), how: 'nvidia-smi -L' };
  }
  if (backend === 'webgpu') {
    const software = softwareGpuAllowed(allowSoftwareGpu);
    const adapters = (await listWebGpuAdapters()).filter((a) => software || !a.software);
    return { gpus: adapters.map((a) => a.description), how: `WebGPU adapters${software ? '' : ' (hardware)'}` };
  }
  return { gpus: [], how: `the ${backend} backend, which computes on the CPU` };
}
