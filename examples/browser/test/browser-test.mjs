// End-to-end browser check, run by CI after installing Debian's chromium
// (started with WebGPU on: SwiftShader's software adapter here).
//
// 1. A model saved in Node by saveModel is loaded in headless Chromium by
//    tf.loadLayersModel and segments a fixed image as Node does: exactly on
//    tfjs cpu, all but a few near-tie pixels on tfjs wasm and on its ONNX
//    export (exportOnnx, in Node) on ONNX Runtime Web wasm; torchvision
//    weights loaded by the page segment as Node's fromTorchvision() does.
// 2. The page, opened with ?runtime=<name>&sample=0 for every runtime, sets
//    window.segResult with that runtime, the backend that ran and labels
//    equal to Node's segment() of the shipped model on ≥ 99.5% of the pixels;
//    the page is cross-origin isolated and ONNX Runtime Web's wasm reports
//    more than one thread. Without WebGPU, the WebGPU runtimes are refused
//    with the reason (no silent fallback).
// 3. ?finetune=10&runtime=tfjs-webgpu fine-tunes on the samples: finite,
//    decreasing losses, tensors back to their count after every step (the
//    first step creates the optimizer's moments, freed at the end), and the
//    downloaded tfjs zip, loaded in Node, segments as the page shows.
// 4. The page by hand: first sample on the default runtime (screenshot in
//    artifacts/segment.png), legend, the runtime menu, a picked torchvision
//    weight file, a model that cannot be loaded.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-layers';
import { encodeSafetensors, loadModel, saveModel } from '@seg/core';
import { nestedModules, torchWeightSpecs } from '@seg/core/internals';
import { deeplabV3Plus, exportOnnx, fromTorchvision, segment, torchvisionModel, VOC_CLASSES } from '@seg/deeplab';
import { readImageFile } from '@seg/msrc';
import { unzipSync } from 'fflate';
import { serve } from '../serve.mjs';
import { launchChromium } from './chromium.mjs';

const dist = join(import.meta.dirname, '..', 'dist');
const artifacts = join(import.meta.dirname, '..', 'artifacts');
const W = 45;
const H = 37;
const pixel = (x, y, c) => (c === 3 ? 255 : (x * 7 + y * 13 + c * 29) % 256);
/** Runtimes and the backend each must report; agreement with Node's labels needed (WebGPU and wasm float sums may flip near-ties). */
const RUNTIMES = [
  ['tfjs-cpu', 'cpu', 1],
  ['tfjs-wasm', 'wasm', 0.995],
  ['tfjs-webgl', 'webgl', 0.995],
  ['tfjs-webgpu', 'webgpu', 0.995],
  ['ort-wasm', 'wasm', 0.995],
  ['ort-webgpu', 'webgpu', 0.995],
];
const FINE_TUNE_STEPS = 10;
/** Software WebGPU runs a fine-tuning step in about 15 s on two busy cores; first steps also compile shaders. */
const TIMEOUT_MS = 600_000;

await tf.setBackend('cpu');
const model = deeplabV3Plus({ numClasses: 22, backbone: 'resnet18', backboneOptions: { baseWidth: 8 }, aspp: { filters: 16 } });
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
  // The model loads on the runtime started first (tfjs moves its weights when the backend changes).
  await window.seg.useRuntime('tfjs-cpu');
  await window.seg.loadModel('./test-model/model.json');
  for (const runtime of ['tfjs-cpu', 'tfjs-wasm']) {
    await window.seg.useRuntime(runtime);
    out[runtime] = (await window.seg.segmentPixels(image)).labels;
  }
  await window.seg.useRuntime('ort-wasm', './test-model.onnx');
  out['ort-wasm'] = (await window.seg.segmentPixels(image)).labels;
  await window.seg.useRuntime('tfjs-cpu');
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
async function open(path, ready, arg, on = browser) {
  const page = await on.newPage({ viewport: { width: 1200, height: 1000 } });
  page.on('pageerror', (e) => errors.push(`${path}: ${e.message}`));
  await page.goto(`${base}/${path}`);
  await page.waitForFunction(ready, arg, { timeout: TIMEOUT_MS });
  return page;
}
const hasResult = (key) => window[key] !== undefined;
let failures = 0;
let passes = 0;
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (ok) passes++;
  else failures++;
};
const agreement = (labels, reference) =>
  Array.isArray(labels) && labels.length === reference.length ? labels.filter((l, i) => l === reference[i]).length / reference.length : 0;
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
try {
  // 1. A model saved in Node, its ONNX export and torchvision weights, through the page's API.
  const testPage = await open('test.html', () => document.getElementById('result')?.textContent !== 'pending');
  const result = JSON.parse(await testPage.textContent('#result'));
  check(result && !result.error, `test page ran${result?.error ? `: ${result.error}` : ''}`);
  for (const [runtime, minAgreement] of [['tfjs-cpu', 1], ['tfjs-wasm', 0.99], ['ort-wasm', 0.99]]) {
    const same = agreement(result?.[runtime], expected);
    check(same >= minAgreement, `saved model on ${runtime}: labels agree with Node's on ${(100 * same).toFixed(2)}% of ${expected.length} pixels (need ${100 * minAgreement}%)`);
  }
  const vocSame = agreement(result?.torchvision, expectedVoc);
  check(vocSame === 1, `${TORCHVISION} weights loaded by the page (tfjs-cpu) label as Node's fromTorchvision: ${(100 * vocSame).toFixed(2)}% of pixels agree`);
  await testPage.close();

  // 2. Every runtime by name on the shipped model, against Node's segment() of the same sample.
  const [firstSample] = JSON.parse(readFileSync(join(dist, 'samples/samples.json'), 'utf8'));
  const shipped = await loadModel(join(dist, 'model'));
  const image = await readImageFile(join(dist, 'samples', firstSample));
  const nodeLabels = Array.from((await segment(shipped, { ...image, channels: 3 })).labels);
  shipped.dispose();
  for (const [runtime, backend, minAgreement] of RUNTIMES) {
    const page = await open(`index.html?runtime=${runtime}&sample=0`, hasResult, 'segResult');
    const r = await page.evaluate(() => window.segResult);
    const isolated = await page.evaluate(() => crossOriginIsolated);
    if (r.error) {
      check(false, `${runtime}: ${r.error}`);
    } else {
      const same = agreement(r.labels, nodeLabels);
      check(
        r.runtime === runtime && r.backend === backend && same >= minAgreement,
        `${runtime} (ran ${r.backend}${r.adapter ? ` on ${r.adapter}` : ''}, ${r.threads} thread(s), ${Math.round(r.ms)} ms, isolated ${isolated}): ` +
          `labels of ${firstSample} agree with Node's on ${(100 * same).toFixed(2)}% of ${nodeLabels.length} pixels (need ${100 * minAgreement}%) [${elapsed()}]`,
      );
    }
    if (runtime === 'ort-wasm') check(isolated && r.threads > 1, `ONNX Runtime Web wasm runs on ${r.threads} threads on a cross-origin-isolated page (${isolated})`);
    await page.close();
  }
  const bogus = await open('index.html?runtime=tfjs-gpu', hasResult, 'segResult');
  const bogusError = (await bogus.evaluate(() => window.segResult)).error ?? '';
  check(/tfjs-gpu is not a runtime of this page; pick one of tfjs-webgpu, .*ort-wasm/.test(bogusError), `an unknown runtime is named with the valid ones: "${bogusError}"`);
  await bogus.close();
  // A browser without WebGPU: the WebGPU runtimes are refused with the reason, nothing else runs instead.
  const noGpu = await launchChromium({ webgpu: false });
  try {
    for (const runtime of ['tfjs-webgpu', 'ort-webgpu']) {
      const page = await open(`index.html?runtime=${runtime}`, hasResult, 'segResult', noGpu);
      const r = await page.evaluate(() => window.segResult);
      const status = (await page.textContent('#status')) ?? '';
      check(
        !r.labels && new RegExp(`^${runtime} cannot start here: (this browser has no WebGPU|the browser offers no WebGPU adapter)`).test(r.error ?? '') && status.includes(r.error),
        `without WebGPU, ${runtime} is refused with the reason, shown on the page: "${r.error}"`,
      );
    }
  } finally {
    await noGpu.close();
  }

  // 3. Fine-tuning in the page on WebGPU.
  const tune = await open(`index.html?finetune=${FINE_TUNE_STEPS}&runtime=tfjs-webgpu`, () => window.segFineTune !== undefined && window.segResult !== undefined);
  const ft = await tune.evaluate(() => window.segFineTune);
  if (ft.error) {
    check(false, `fine-tuning: ${ft.error}`);
  } else {
    const { backend, losses, steps } = ft;
    const half = Math.floor(losses.length / 2);
    const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
    check(
      backend === 'webgpu' && losses.length === FINE_TUNE_STEPS && losses.every(Number.isFinite) && losses.at(-1) < losses[0] && mean(losses.slice(half)) < mean(losses.slice(0, half)),
      `fine-tuning on ${backend} (${Math.round(ft.msPerStep)} ms per step): losses finite and decreasing: ${losses.map((l) => l.toFixed(3)).join(' ')} [${elapsed()}]`,
    );
    const leaks = steps.slice(1).filter((s) => s.tensorsAfter !== s.tensorsBefore);
    check(
      leaks.length === 0 && ft.tensorsAtEnd === ft.tensorsAtStart,
      `tensors: every step after the first ends with the count it began with (${steps.map((s) => `${s.tensorsBefore}→${s.tensorsAfter}`).join(' ')}; ` +
        `the first creates the optimizer's moments), and the run ends where it began (${ft.tensorsAtStart}→${ft.tensorsAtEnd})`,
    );
    // The fine-tuned model, downloaded as a tfjs zip and loaded in Node, segments the sample as the page showed it.
    const shownAfter = await tune.evaluate(() => window.segResult);
    const [zipDownload] = await Promise.all([tune.waitForEvent('download'), tune.click('#download-tfjs')]);
    const unzipped = unzipSync(readFileSync(await zipDownload.path()));
    const tuned = join(dist, 'test-fine-tuned');
    rmSync(tuned, { recursive: true, force: true });
    for (const [name, bytes] of Object.entries(unzipped)) {
      mkdirSync(join(tuned, name, '..'), { recursive: true });
      writeFileSync(join(tuned, name), bytes);
    }
    const fineTuned = await loadModel(join(tuned, 'model'));
    const tunedLabels = Array.from((await segment(fineTuned, { ...image, channels: 3 })).labels);
    fineTuned.dispose();
    const same = agreement(shownAfter.labels, tunedLabels);
    const changed = 1 - agreement(tunedLabels, nodeLabels);
    check(
      same >= 0.995 && changed > 0,
      `the downloaded zip (${Object.keys(unzipped).join(', ')}) loads in Node and segments ${firstSample} as the page did after fine-tuning on ${(100 * same).toFixed(2)}% of pixels; fine-tuning changed ${(100 * changed).toFixed(2)}% of Node's labels`,
    );
    const [onnxDownload] = await Promise.all([tune.waitForEvent('download'), tune.click('#download-onnx')]);
    const onnx = readFileSync(await onnxDownload.path());
    check(onnxDownload.suggestedFilename().endsWith('.onnx') && onnx.length > 1e6, `the ONNX download (${onnxDownload.suggestedFilename()}, ${(onnx.length / 1e6).toFixed(1)} MB) is offered`);
  }
  await tune.close();

  // 4. The page by hand.
  const examplePage = await open('index.html', () => /^(segmented|error)/.test(document.getElementById('status')?.textContent ?? ''));
  const status = (await examplePage.textContent('#status')) ?? '';
  check(/^segmented sample .* on tfjs-wasm \(wasm, \d+ threads?\)$/.test(status), `example page segments its first sample with the shipped model on the default runtime: "${status}"`);
  mkdirSync(artifacts, { recursive: true });
  await examplePage.screenshot({ path: join(artifacts, 'segment.png'), fullPage: true });
  console.log(`     screenshot: ${join(artifacts, 'segment.png')}`);
  const legend = await examplePage.$$eval('#legend li', (items) => items.map((li) => li.textContent));
  check(legend.length > 1, `legend lists the classes found with their share of pixels: ${legend.join(', ')}`);
  const pageLabels = await examplePage.evaluate(() => window.seg.shownLabels());
  const agree = agreement(pageLabels, nodeLabels);
  check(agree >= 0.995, `page labels of ${firstSample} agree with Node's segment() on ${(100 * agree).toFixed(2)}% of ${nodeLabels.length} pixels (need 99.5%)`);
  // The runtime menu: switching to ONNX Runtime Web re-segments the sample.
  await examplePage.selectOption('#runtime', 'ort-wasm');
  await examplePage.waitForFunction(() => /^(segmented .* on ort-wasm|error)/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: TIMEOUT_MS });
  const onnxStatus = (await examplePage.textContent('#status')) ?? '';
  const onnxAgree = agreement(await examplePage.evaluate(() => window.seg.shownLabels()), nodeLabels);
  check(onnxAgree >= 0.995, `runtime menu to ort-wasm ("${onnxStatus}"): labels agree with Node's on ${(100 * onnxAgree).toFixed(2)}%`);
  // A weight file picked on the page (as a drop does) with the model name chosen beside it, on a tfjs runtime.
  await examplePage.selectOption('#runtime', 'tfjs-wasm');
  await examplePage.waitForFunction(() => /^(segmented .* on tfjs-wasm|error)/.test(document.getElementById('status')?.textContent ?? ''), undefined, { timeout: TIMEOUT_MS });
  await examplePage.selectOption('#torchvision', TORCHVISION);
  await examplePage.setInputFiles('#file', join(dist, 'test-torchvision.safetensors'));
  await examplePage.waitForFunction(
    () => /^(segmented|error)/.test(document.getElementById('status')?.textContent ?? '') && /VOC/.test(document.getElementById('model-info')?.textContent ?? ''),
    undefined,
    { timeout: TIMEOUT_MS },
  );
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

console.log(`browser: ${passes} passed, ${failures} failed (${elapsed()})`);
process.exit(failures ? 1 : 0);
