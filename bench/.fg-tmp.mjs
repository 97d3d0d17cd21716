import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-layers';
import '@tensorflow/tfjs-backend-wasm';
import { conv2dFilterGrad } from '@seg/core';
await tf.setBackend('wasm'); await tf.ready();
function trick(x, dy, fshape, stride, dil, pad) {
  return tf.tidy(() => {
    const [kh, kw] = fshape;
    const xp = tf.pad(x, [[0, 0], [pad, pad], [pad, pad], [0, 0]]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]); // [cin, Hp, Wp, n]
    const f = tf.transpose(dy, [1, 2, 0, 3]); // [ho, wo, n, cout]
    let out = stride > 1 ? tf.conv2d(xt, f, 1, 'valid', 'NHWC', stride) : tf.conv2d(xt, f, dil, 'valid', 'NHWC', 1);
    out = tf.slice(out, [0, 0, 0, 0], [-1, kh, kw, -1]);
    return tf.transpose(out, [1, 2, 0, 3]);
  });
}
for (const [n, h, c, co, k, s, d] of [[2, 64, 64, 64, 3, 1, 1], [2, 32, 256, 256, 3, 1, 2], [2, 16, 512, 512, 3, 1, 4], [2, 128, 3, 64, 7, 2, 1], [2, 64, 256, 48, 1, 1, 1]]) {
  const pad = (k === 1) ? 0 : (s > 1 ? (k - 1) / 2 : d * (k - 1) / 2);
  const x = tf.randomNormal([n, h, h, c]);
  const ho = Math.floor((h + 2 * pad - d * (k - 1) - 1) / s) + 1;
  const dy = tf.randomNormal([n, ho, ho, co]);
  const attrs = { strides: [s, s], pad: [[0, 0], [pad, pad], [pad, pad], [0, 0]], dilations: [d, d], dataFormat: 'NHWC' };
  const time = async (f) => { let r = f(); await r.data(); r.dispose(); const t0 = performance.now(); r = f(); const v = await r.data(); r.dispose(); return [performance.now() - t0, v]; };
  const p1 = await tf.profile(() => conv2dFilterGrad(x, dy, [k, k, c, co], attrs));
  const p2 = await tf.profile(() => trick(x, dy, [k, k, c, co], s, d, pad));
  const [t1, v1] = await time(() => conv2dFilterGrad(x, dy, [k, k, c, co], attrs));
  const [t2, v2] = await time(() => trick(x, dy, [k, k, c, co], s, d, pad));
  let err = 0, sc = 0; for (let i = 0; i < v1.length; i++) { err = Math.max(err, Math.abs(v1[i] - v2[i])); sc = Math.max(sc, Math.abs(v1[i])); }
  console.log(`${h}x${h}x${c}->${co} k${k} s${s} d${d}: lib ${t1.toFixed(0)} ms ${p1.kernels.length} kernels, trick ${t2.toFixed(0)} ms ${p2.kernels.length} kernels, rel err ${(err / sc).toExponential(1)}`);
}
