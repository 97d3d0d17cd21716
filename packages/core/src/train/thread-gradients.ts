import * as tf from '@tensorflow/tfjs-core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { untilGpuDeviceLost } from '../backends/webgpu/device-lost.js';
import type { SegmentationLoss, SegmentationMetrics } from '../losses/segmentation-loss.js';
import type { GradientSource, StepGradients, TrainBatch } from './gradient-source.js';
import { type StepSeed, stepGradients, stepRandom } from './step-gradients.js';

/** The gradients of a step computed in this thread, on the active tfjs backend. */
export class ThreadGradients implements GradientSource {
  constructor(
    private readonly model: LayersModel,
    private readonly loss: SegmentationLoss,
    private readonly metrics: SegmentationMetrics,
    /** The variables to differentiate: fixed, or read at each step (a group trained after its first updates). */
    private readonly variables: readonly tf.Variable[] | (() => readonly tf.Variable[]),
  ) {}

  async start(): Promise<void> {}

  async gradients(batch: TrainBatch, seed?: StepSeed): Promise<StepGradients> {
    const random = seed ? stepRandom(seed) : undefined;
    const { value, grads, scores } = stepGradients(this.model, this.loss, this.metrics, batch.images, batch.labels, [...(typeof this.variables === 'function' ? this.variables() : this.variables)], random);
    const names = Object.keys(scores);
    try {
      // One round trip for the loss and every metric: each read waits for the GPU.
      const read = await untilGpuDeviceLost(Promise.all([value, ...names.map((n) => scores[n])].map((t) => t.data())));
      const metrics = Object.fromEntries(names.map((n, i) => [n, read[i + 1][0]]));
      return { loss: read[0][0], metrics, grads, commit: () => {} };
    } catch (e) {
      tf.dispose(Object.values(grads));
      throw e;
    } finally {
      tf.dispose([value, ...Object.values(scores)]);
    }
  }

  async dispose(): Promise<void> {}
}
