// End-to-end browser check, run by CI after installing Debian's chromium:
// a model saved in Node by @seg/deeplab's saveModel is loaded in headless
// Chromium by tf.loadLayersModel (over HTTP, from the bundled example page)
// and must segment a fixed image as Node does: exactly on cpu, and all but a
// few near-tie pixels on wasm and webgl; its ONNX export (exportOnnx, in Node)
// must do the same on ONNX Runtime Web's wasm. The example page itself must start
// on its shipped model, segment its first sample as Node's segment() does
// with that model, and is photographed into artifacts/segment.png. A
// torchvision model's weights, loaded by the page from a URL or picked as a
// file, segment as Node's fromTorchvision() does.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { encodeSafetensors, loadModel, saveModel } from '@seg/core';
import { nestedModules, torchWeightSpecs } from '@seg/core/internals';
import { deeplabV3Plus, exportOnnx, fromTorchvision, segment, torchvisionModel, VOC_CLASSES } from '@seg/deeplab';
import { readImageFile } from '@seg/msrc';
import { serve } from '../serve.mjs';
import { launchChromium } from './chromium.mjs';

const dist = join(import.meta.dirname, '..', 'dist');
const artifacts = join(import.meta.dirname, '..', 'artifacts');
const W = 45;
const H = 37;
const pixel = (x, y, c) => (c === 3 ? 255 : (x * 7 + y * 13 + c * 29) % 256);

await tf.setBackend('cpu');
const model = deeplabV3Plus({ numClasses: 22, backbone: 'resnet18', backboneOptions: { baseWidth: 8 }, decoderChannels: 16 });
await saveModel(model, join(dist, 'test-model'));
writeFileSync(join(dist, 'test-model.onnx'), await exportOnnx(model));
const data = new Uint8Array(W * H * 4);
for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) for (let c = 0; c < 4; c++) data[(y * W + x) * 4 + c] = pixel(x, y, c);
const expected = Array.from((await segment(model, { data, width: W, height: H, channels: 4 })).labels);

// LR-ASPP (3.2M parameters) in torchvision's layout, deterministic weights: the same bytes for Node and the page.
const TORCHVISION = 'lraspp_mobilenet_v3_large';
const layout = torchvisionModel(TORCHVISION);
const tensors = {};
[...torchWeightSpecs(nestedModules(layout)).values()].forEach(({ key, shape }, k) => {
  const fanIn = shape.length === 4 ? shape[1] * shape[2] * shape[3] : 1;
  const value = (j) =>
    key.endsWith('running_var') ? 1 + ((j * 7) % 5) / 10 : shape.length === 4 ? Math.sin(j * 0.73 + k) * Math.sqrt(3 / fanIn) : 0.1 * Math.cos(j + k);
  tensors[key] = { dtype: 'F32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, j) => value(j)) };
});
layout.dispose();
writeFileSync(join(dist, 'test-torchvision.safetensors'), encodeSafetensors(tensors));
const torchvision = await fromTorchvision(TORCHVISION, join(dist, 'test-torchvision.safetensors'));
const expectedVoc = Array.from((await segment(torchvision, { data, width: W, height: H, channels: 4 })).labels);
torchvision.dispose();

writeFileSync(
  join(dist, 'test.html'),
  `<!doctype html><pre id="result">pending</pre><script type="module">
import './main.js';
const pixel = ${pixel.toString()};
const data = new Uint8ClampedArray(${W * H * 4});
for (let y = 0; y < ${H}; y++) for (let x = 0; x < ${W}; x++) for (let c = 0; c < 4; c++) data[(y * ${W} + x) * 4 + c] = pixel(x, y, c);
const image = new ImageData(data, ${W}, ${H});
const out = {};
try {
  for (const backend of ['cpu', 'wasm', 'webgl']) {
    if (!(await window.seg.useBackend(backend))) { out[backend] = null; continue; }
    await window.seg.loadModel('./test-model/model.json');
    out[backend] = (await window.seg.segmentPixels(image)).labels;
  }
  await window.seg.useOnnx('./test-model.onnx', ['wasm']);
  out.onnx = (await window.seg.segmentPixels(image)).labels;
  await window.seg.useBackend('cpu');
  await window.seg.loadTorchvision('${TORCHVISION}', './test-torchvision.safetensors');
  out.torchvision = (await window.seg.segmentPixels(image)).labels;
} catch (e) { out.error = e.message; }
document.getElementById('result').textContent = JSON.stringify(out);
</script>`,
);

const server = await serve(dist);
const base = `http://127.0.0.1:${server.address().port}`;
const browser = await launchChromium();
const errors = [];
async function open(path, ready) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
  page.on('pageerror', (e) => errors.push(`${path}: ${e.message}`));
  await page.goto(`${base}/${path}`);
  await page.waitForFunction(ready, undefined, { timeout: 240_000 });
  return page;
}
let failures = 0;
let passes = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (ok) passes++;
  else failures++;
};
try {
  const testPage = await open('test.html', () => document.getElementById('result')?.textContent !== 'pending');
  const result = JSON.parse(await testPage.textContent('#result'));
  check(result && !result.error, `browser page ran${result?.error ? `: ${result.error}` : ''}`);
  for (const [backend, minAgreement] of [['cpu', 1], ['wasm', 0.99], ['webgl', 0.99], ['onnx', 0.99]]) {
    const labels = result?.[backend];
    if (labels === null && backend === 'webgl') {
      console.log('skip webgl: not available in this headless Chromium');
      continue;
    }
    const same = Array.isArray(labels) ? labels.filter((l, i) => l === expected[i]).length / expected.length : 0;
    check(same >= minAgreement, `${backend}: browser labels agree with Node's on ${(100 * same).toFixed(2)}% of ${expected.length} pixels (need ${100 * minAgreement}%)`);
  }
  const vocSame = Array.isArray(result?.torchvision) ? result.torchvision.filter((l, i) => l === expectedVoc[i]).length / expectedVoc.length : 0;
  check(vocSame === 1, `${TORCHVISION} weights loaded by the page (cpu) label as Node's fromTorchvision: ${(100 * vocSame).toFixed(2)}% of pixels agree`);
  const examplePage = await open('index.html', () => /^(segmented|error)/.test(document.getElementById('status')?.textContent ?? ''));
  const status = (await examplePage.textContent('#status')) ?? '';
  check(/^segmented sample .* on tfjs (webgl|wasm|cpu)$/.test(status), `example page segments its first sample with the shipped model: "${status}"`);
  mkdirSync(artifacts, { recursive: true });
  await examplePage.screenshot({ path: join(artifacts, 'segment.png'), fullPage: true });
  console.log(`     screenshot: ${join(artifacts, 'segment.png')}`);
  const legend = await examplePage.$$eval('#legend li', (items) => items.map((li) => li.textContent));
  check(legend.length > 1, `legend lists the classes found with their share of pixels: ${legend.join(', ')}`);
  // The page's labels for its first sample vs Node's segment() with the same shipped model and options.
  const [firstSample] = JSON.parse(readFileSync(join(dist, 'samples/samples.json'), 'utf8'));
  const shipped = await loadModel(join(dist, 'model'));
  const image = await readImageFile(join(dist, 'samples', firstSample));
  const nodeLabels = (await segment(shipped, { ...image, channels: 3 }, { flip: true })).labels;
  shipped.dispose();
  const pageLabels = await examplePage.evaluate(() => window.seg.shownLabels());
  const agree = Array.isArray(pageLabels) && pageLabels.length === nodeLabels.length ? pageLabels.filter((l, i) => l === nodeLabels[i]).length / nodeLabels.length : 0;
  check(agree >= 0.99, `page labels of ${firstSample} agree with Node's segment() on ${(100 * agree).toFixed(2)}% of ${nodeLabels.length} pixels (need 99%)`);
  // The runtime choice: ONNX Runtime Web on the shipped model's export gives the page's tfjs labels.
  await examplePage.selectOption('#runtime', 'onnx');
  await examplePage.waitForFunction(() => /^(segmented .* on ONNX Runtime Web|error)/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: 240_000 });
  const onnxStatus = (await examplePage.textContent('#status')) ?? '';
  const onnxLabels = await examplePage.evaluate(() => window.seg.shownLabels());
  const onnxAgree = Array.isArray(onnxLabels) ? onnxLabels.filter((l, i) => l === nodeLabels[i]).length / nodeLabels.length : 0;
  check(onnxAgree >= 0.99, `runtime ONNX Runtime Web ("${onnxStatus}"): labels agree with Node's on ${(100 * onnxAgree).toFixed(2)}%`);
  // A weight file picked on the page (as a drop does) with the model name chosen beside it.
  await examplePage.selectOption('#torchvision', TORCHVISION);
  await examplePage.setInputFiles('#file', join(dist, 'test-torchvision.safetensors'));
  await examplePage.waitForFunction(() => /^(segmented|error)/.test(document.getElementById('status')?.textContent ?? '') && /VOC/.test(document.getElementById('model-info')?.textContent ?? ''), undefined, { timeout: 240_000 });
  const vocLegend = await examplePage.$$eval('#legend li', (items) => items.map((li) => li.children[1].textContent));
  check(vocLegend.length > 0 && vocLegend.every((n) => VOC_CLASSES.includes(n)), `a picked ${TORCHVISION} weight file replaces the model; the legend shows VOC classes: ${vocLegend.join(', ')}`);
  const missing = await open('index.html?model=missing/model.json', () => /^error/.test(document.getElementById('status')?.textContent ?? ''));
  const missingStatus = (await missing.textContent('#status')) ?? '';
  check(/could not load the model from missing\/model\.json/.test(missingStatus), `a model that cannot be loaded is named on the page: "${missingStatus.slice(0, 120)}"`);
  check(errors.length === 0, `no uncaught page errors${errors.length ? `: ${errors.join('; ')}` : ''}`);
} finally {
  await browser.close();
  server.close();
  model.dispose();
}

console.log(`browser: ${passes} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
