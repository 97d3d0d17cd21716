// Browser side of torchvision-inference.bench.mjs: bundled by it with
// esbuild and opened in Chromium. window.benchInference(model, backend, size, runs)
// builds the model (random weights) and returns its median predict time.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { medianMs } from './timing.mjs';
import { MODELS } from './torchvision-models.mjs';

// The .wasm binaries are copied next to the bundle.
setWasmPaths(new URL('./', import.meta.url).href);

window.benchInference = async (name, backend, size, runs) => {
  if (!(await tf.setBackend(backend))) return null;
  await tf.ready();
  const model = MODELS[name]();
  const x = tf.randomNormal([1, size, size, 3], 0, 1, 'float32', 1);
  const once = async () => {
    const y = model.predict(x);
    await y.data();
    y.dispose();
  };
  // The untimed first run compiles the backend's kernels (WebGL shaders).
  const ms = await medianMs(once, runs);
  x.dispose();
  model.dispose();
  return ms;
};
document.title = 'ready';
