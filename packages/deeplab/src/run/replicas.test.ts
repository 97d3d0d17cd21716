import { availableParallelism } from 'node:os';
import type { BackendSelection } from '@seg/core';
import { describe, expect, it } from 'vitest';
import { replicaWorkers } from './replicas.js';

const on = (name: BackendSelection['name']): BackendSelection => ({ name, tfjsName: name, skipped: [] });
const args = { model: { kind: 'deeplabv3plus' as const, config: { numClasses: 22 } }, loss: { name: 'ce' as const, classWeights: null, ignoreIndex: null } };

describe('replicaWorkers', () => {
  it('defaults to one replica per core on the single-threaded backends, as far as the batch allows', async () => {
    const cores = availableParallelism();
    const wasm = await replicaWorkers({ multiGPU: false, workers: null, batchSize: 64 }, on('wasm'), args);
    expect(wasm?.count ?? 1).toBe(cores);
    expect(await replicaWorkers({ multiGPU: false, workers: null, batchSize: 1 }, on('wasm'), args)).toBeUndefined();
    // libtensorflow already computes on every core.
    expect(await replicaWorkers({ multiGPU: false, workers: null, batchSize: 64 }, on('tensorflow'), args)).toBeUndefined();
  });

  it('takes --workers N as given, building the run model in each replica on the run backend', async () => {
    const w = await replicaWorkers({ multiGPU: false, workers: 3, batchSize: 8 }, on('cpu'), args);
    expect(w).toMatchObject({ count: 3, devices: 'cpu', backends: ['cpu'], args });
    expect(String(w?.replica)).toMatch(/deeplab\/dist\/run\/segmentation-replica\.js$/);
  });

  it('--multiGPU refuses fewer than two GPUs, naming what it found', async () => {
    await expect(replicaWorkers({ multiGPU: true, workers: null, batchSize: 8 }, on('cpu'), args)).rejects.toThrow(
      '--multiGPU: needs at least two GPUs, found none (the cpu backend, which computes on the CPU)',
    );
    const saved = process.env.CUDA_VISIBLE_DEVICES;
    process.env.CUDA_VISIBLE_DEVICES = '3';
    try {
      await expect(replicaWorkers({ multiGPU: true, workers: null, batchSize: 8 }, on('tensorflow-gpu'), args)).rejects.toThrow(
        '--multiGPU: needs at least two GPUs, found CUDA device 3 (CUDA_VISIBLE_DEVICES="3")',
      );
      process.env.CUDA_VISIBLE_DEVICES = '2,3';
      expect(await replicaWorkers({ multiGPU: true, workers: null, batchSize: 8 }, on('tensorflow-gpu'), args)).toMatchObject({
        count: 2,
        devices: 'gpu',
        backends: ['tensorflow-gpu'],
      });
    } finally {
      if (saved === undefined) delete process.env.CUDA_VISIBLE_DEVICES;
      else process.env.CUDA_VISIBLE_DEVICES = saved;
    }
  });

  it('--workers above the batch size warns and starts only as many replicas as the batch feeds', async () => {
    const warnings: string[] = [];
    const w = await replicaWorkers({ multiGPU: false, workers: 8, batchSize: 2 }, on('wasm'), args, (l) => warnings.push(l));
    expect(w?.count).toBe(2);
    expect(warnings).toEqual(['--workers 8: a batch of 2 images feeds only 2 replicas; starting 2']);
  });
});
