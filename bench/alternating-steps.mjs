// Training steps of several trainers timed side by side (train-step.bench.mjs,
// finetune.bench.mjs): one step of each per round, alternating, so that all see
// the same load from other jobs, with the process's RSS sampled meanwhile.
import * as tf from '@tensorflow/tfjs-core';

/**
 * Times `steps` rounds of one step of each trainer (`[trainer, label, batch?]`,
 * `data` by default); `sync` waits until a step's results can be read (GPU
 * queues). Returns [ms per step] per trainer and the peak RSS in MB.
 */
export async function timeAlternatingSteps({ trainers, steps, data, sync, log }) {
  const times = trainers.map(() => []);
  let peakRss = 0;
  const sample = () => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const sampler = setInterval(sample, 100);
  try {
    for (let i = 0; i < steps; i++) {
      for (const [k, [t, label, stepData = data]] of trainers.entries()) {
        const t0 = performance.now();
        const { loss } = await t.trainStep(stepData);
        await sync();
        times[k].push(performance.now() - t0);
        sample();
        const n = stepData.images.shape[0];
        log(`  ${label} step ${i + 1}: ${(times[k][i] / n).toFixed(0)} ms/img, loss ${loss.toFixed(4)}, ${tf.memory().numTensors} tensors`);
      }
    }
  } finally {
    clearInterval(sampler);
  }
  return { times, rssMb: Math.round(peakRss / 2 ** 20) };
}
