import { availableParallelism } from 'node:os';
import { BACKEND_PACKAGES, type BackendSelection, type TrainerWorkers, visibleGpus } from '@seg/core';
import type { MsrcReplicaArgs } from './msrc-replica.mjs';
import type { TrainMsrcOptions } from './options.js';

/** The module every replica builds the run's model with. */
const REPLICA_MODULE = new URL('./msrc-replica.mjs', import.meta.url);

/**
 * The run's data-parallel replicas: with `--multiGPU` one per visible GPU;
 * on a backend computing in one CPU thread `--workers N`, by default one per
 * core, never more than the batch has images (a replica without an image
 * would only hold memory). `undefined`: one thread trains.
 */
export async function replicaWorkers(
  options: Pick<TrainMsrcOptions, 'multiGPU' | 'workers' | 'batchSize'>,
  backend: BackendSelection,
  args: MsrcReplicaArgs,
  warn: (line: string) => void = console.warn,
): Promise<TrainerWorkers | undefined> {
  const replica = { replica: REPLICA_MODULE, args: args as unknown as TrainerWorkers['args'], backends: [backend.name] };
  if (options.multiGPU) {
    const { gpus, how } = await visibleGpus(backend.name);
    if (gpus.length < 2) {
      throw new Error(
        `--multiGPU: needs at least two GPUs, found ${gpus.length === 0 ? 'none' : gpus.join(', ')} (${how}); ` +
          'run without --multiGPU to train on one (tfjs-node-gpu: pick it with CUDA_VISIBLE_DEVICES; WebGPU: SEG_GPU_ADAPTER)',
      );
    }
    return { ...replica, count: gpus.length, devices: 'gpu' };
  }
  const oneThread = BACKEND_PACKAGES[backend.name].computesOn === 'one-cpu-thread';
  let count = options.workers ?? (oneThread ? availableParallelism() : 1);
  if (count > options.batchSize) {
    if (options.workers !== null) {
      warn(`--workers ${options.workers}: a batch of ${options.batchSize} images feeds only ${options.batchSize} replicas; starting ${options.batchSize}`);
    }
    count = options.batchSize;
  }
  return count > 1 ? { ...replica, count, devices: 'cpu' } : undefined;
}
