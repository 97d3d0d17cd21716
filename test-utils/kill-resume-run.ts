/**
 * Child process of the SIGKILL resume test: runs (or resumes) the tiny run,
 * with dropout and a seeded trainer, in the folder given as argv[2] for
 * argv[3] steps on the cpu backend,
 * printing one JSON line per step (`{"step":3,"loss":…}`) and per resume, and
 * sleeping a little after each step so the parent can kill it anywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { tinyRun } from './tiny-run.js';

const [dir, steps] = [process.argv[2], Number(process.argv[3])];
await tf.setBackend('cpu');
const { trainer, fit } = tinyRun({ dir, steps, modelSeed: 1, dropout: 0.5, seed: 1 });
const restored = await trainer.restore(fit.checkpointDir!, { allowConfigChanges: ['steps'] });
if (restored) console.log(JSON.stringify({ resumed: restored.step }));
await trainer.fit({
  ...fit,
  callbacks: [
    ...fit.callbacks,
    {
      onStepEnd: async ({ step, loss }) => {
        console.log(JSON.stringify({ step, loss }));
        await new Promise((r) => setTimeout(r, 5));
      },
    },
  ],
});
console.log(JSON.stringify({ done: trainer.step }));
