import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import { BACKEND_PACKAGES, type BackendSelection } from '@seg/core';
import { builtEntry, type TrainerWorkers, visibleGpus } from '@seg/core/internals';
import type { SegmentationReplicaOptions } from './segmentation-replica.js';

/** Where the build puts the replica module (`segmentation-replica.ts`), relative to @seg/deeplab's package.json. */
const REPLICA_ENTRY = 'dist/run/segmentation-replica.js';

/** The built module every replica builds the run's model with (see `builtEntry`). */
export async function segmentationReplicaModule(): Promise<URL> {
  // The CommonJS build has no import.meta; it has __filename.
  const from = typeof __filename === 'string' ? __filename : import.meta.url;
  return pathToFileURL(await builtEntry('@seg/deeplab', REPLICA_ENTRY, from, 'the training replica module'));
}

/** How many replicas a run asks for. */
export interface ReplicaCountOptions {
  /** A replica per visible GPU (at least two). */
  multiGPU: boolean;
  /** CPU replicas; `null`: one per core on the single-threaded backends. */
  workers: number | null;
  batchSize: number;
}

/**
 * The run's data-parallel replicas: with `--multiGPU` one per visible GPU;
 * on a backend computing in one CPU thread `--workers N`, by default one per
 * core, never more than the batch has images (a replica without an image
 * would only hold memory). `undefined`: one thread trains.
 */
export async function replicaWorkers(
  options: ReplicaCountOptions,
  backend: BackendSelection,
  args: SegmentationReplicaOptions,
  warn: (line: string) => void = console.warn,
): Promise<TrainerWorkers | undefined> {
  const replica = { replica: await segmentationReplicaModule(), args: args as unknown as TrainerWorkers['args'], backends: [backend.name] };
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
