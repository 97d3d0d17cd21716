// Browser side of torchvision-inference.bench.mjs: bundled by it with
// esbuild and opened in Chromium. window.benchInference(model, backend, size, runs)
// builds the model (random weights) and returns its median predict time.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import '@tensorflow/tfjs-layers';
import { deeplabV3Plus, torchvisionModel } from '@seg/deeplab';

// The .wasm binaries are copied next to the bundle.
setWasmPaths(new URL('./', import.meta.url).href);

/** The models compared, by the name the bench prints. */
const MODELS = {
  deeplabv3_mobilenet_v3_large: () => torchvisionModel('deeplabv3_mobilenet_v3_large'),
  lraspp_mobilenet_v3_large: () => torchvisionModel('lraspp_mobilenet_v3_large'),
  'deeplabV3Plus resnet50 OS16': () => deeplabV3Plus({ backbone: 'resnet50', outputStride: 16, numClasses: 21 }),
};

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
  // The first run compiles the backend's kernels (WebGL shaders): untimed.
  await once();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  x.dispose();
  model.dispose();
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)];
};
document.title = 'ready';
