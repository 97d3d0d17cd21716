import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { type BackendSelection, listWebGpuAdapters, softwareGpuAllowed, type TrainerWorkers } from '@seg/core';
import type { MsrcReplicaArgs } from './msrc-replica.mjs';
import type { TrainMsrcOptions } from './options.js';

/** The module every replica builds the run's model with. */
const REPLICA_MODULE = new URL('./msrc-replica.mjs', import.meta.url);

/** Backends computing on the CPU in one thread, which replicas multiply; tfjs-node's own threads already use every core. */
const SINGLE_THREADED = new Set(['wasm', 'cpu']);

/** The GPUs this process can see for `backend`, by name, and how they were found (for the error when too few). */
export async function visibleGpus(backend: BackendSelection): Promise<{ gpus: string[]; how: string }> {
  if (backend.name === 'tensorflow-gpu') {
    const listed = process.env.CUDA_VISIBLE_DEVICES;
    if (listed !== undefined && listed.trim() !== '') {
      const ids = listed.split(',').map((d) => d.trim()).filter((d) => d !== '' && d !== '-1');
      return { gpus: ids.map((d) => `CUDA device ${d}`), how: `CUDA_VISIBLE_DEVICES="${listed}"` };
    }
    const smi = spawnSync('nvidia-smi', ['-L'], { encoding: 'utf8' });
    if (smi.status !== 0) return { gpus: [], how: 'nvidia-smi -L failed or is not installed, and CUDA_VISIBLE_DEVICES is unset' };
    return { gpus: smi.stdout.split('\n').filter((l) => l.startsWith('GPU ')), how: 'nvidia-smi -L' };
  }
  if (backend.name === 'webgpu') {
    const allowSoftware = softwareGpuAllowed();
    const adapters = (await listWebGpuAdapters()).filter((a) => allowSoftware || !a.software);
    return { gpus: adapters.map((a) => a.description), how: `WebGPU adapters${allowSoftware ? '' : ' (hardware)'}` };
  }
  return { gpus: [], how: `the ${backend.name} backend, which computes on the CPU` };
}

/**
 * The run's data-parallel replicas: with `--multiGPU` one per visible GPU;
 * on a single-threaded CPU backend `--workers N`, by default one per core
 * when the batch has that many images. `undefined`: one thread trains.
 */
export async function replicaWorkers(
  options: Pick<TrainMsrcOptions, 'multiGPU' | 'workers' | 'batchSize'>,
  backend: BackendSelection,
  args: MsrcReplicaArgs,
): Promise<TrainerWorkers | undefined> {
  const replica = { replica: REPLICA_MODULE, args: args as unknown as TrainerWorkers['args'], backends: [backend.name] };
  if (options.multiGPU) {
    const { gpus, how } = await visibleGpus(backend);
    if (gpus.length < 2) {
      throw new Error(
        `--multiGPU: needs at least two GPUs, found ${gpus.length === 0 ? 'none' : gpus.join(', ')} (${how}); ` +
          'run without --multiGPU to train on one (tfjs-node-gpu: pick it with CUDA_VISIBLE_DEVICES; WebGPU: SEG_GPU_ADAPTER)',
      );
    }
    return { ...replica, count: gpus.length, devices: 'gpu' };
  }
  const count = options.workers ?? (SINGLE_THREADED.has(backend.name) ? Math.min(availableParallelism(), options.batchSize) : 1);
  return count > 1 ? { ...replica, count, devices: 'cpu' } : undefined;
}
