/**
 * In-browser DeepLabV3+ segmentation: the page loads the small model shipped
 * with the example (trained on synthetic MSRC-style scenes by
 * train-model.mjs) or the one named by `?model=<url of model.json>`, segments
 * a bundled sample or a dropped/picked image, and shows the input, the mask
 * and an overlay with adjustable opacity, the legend with each class's share
 * of pixels, the backend and the inference time. A dropped or picked weight
 * file (`.pth` or `.safetensors` of torchvision's segmentation models) with
 * the model name chosen beside it replaces the model (`fromTorchvision`; the
 * `.pth` is read without running any of its code): the page then shows the
 * 21 VOC classes, on tfjs. The runtime is a choice: tfjs (webgl, wasm or
 * cpu) on the model, or ONNX Runtime Web (WebGPU where the browser has it,
 * else wasm) on the shipped model's ONNX export (`model.onnx`, written by
 * build.mjs with exportOnnx).
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { colorize, fromTorchvision, loadOnnxSegmenter, overlay, type Segmenter, segment, TORCHVISION_MODELS, type TorchvisionModelName, VOC_CLASSES, VOC_PALETTE } from '@seg/deeplab';
import type { Palette } from '@seg/datasets/classes';
import { MSRC_CLASSES, MSRC_PALETTE } from '@seg/msrc/palette';
import { classShares } from './class-shares.js';

// The .wasm binaries are copied next to the bundle by build.mjs.
setWasmPaths(new URL('./', import.meta.url).href);

/** The model shipped with the page (copied into dist/ by build.mjs). */
const DEFAULT_MODEL_URL = './model/model.json';
/** The shipped model's ONNX export (build.mjs). */
const DEFAULT_ONNX_URL = './model.onnx';
/** The bundled sample images, listed by train-model.mjs. */
const SAMPLES_URL = './samples/samples.json';

/** What the page exposes on `window.seg` (used by the end-to-end test too). */
export interface SegPage {
  /** Activates a tfjs backend (and the tfjs runtime); returns its name, or null if it cannot start here. */
  useBackend(name: 'webgl' | 'wasm' | 'cpu'): Promise<string | null>;
  /**
   * Segments with ONNX Runtime Web from now on, on the ONNX model at `url`
   * (default: the shipped model's export); `providers` default to WebGPU
   * where the browser has it, else wasm. Returns what runs it.
   */
  useOnnx(url?: string, providers?: string[]): Promise<string>;
  /** Loads a model from a `model.json` URL; default: the model shipped with the page. */
  loadModel(url?: string): Promise<void>;
  /** Builds torchvision's model `name` with the weights at `source` (a URL, or a file's bytes): `.pth` or `.safetensors`. */
  loadTorchvision(name: TorchvisionModelName, source: string | Uint8Array): Promise<void>;
  /** Segments an `ImageData` (no flip unless asked); returns the label map and the RGBA mask. */
  segmentPixels(image: ImageData, flip?: boolean): Promise<{ labels: number[]; mask: Uint8ClampedArray }>;
  /** The labels of the image on screen, as the page computed them (flip test-time augmentation on), or null. */
  shownLabels(): number[] | null;
}

let model: tfl.LayersModel | null = null;
/** Names and colours of a model's classes. */
interface Classes {
  names: readonly string[];
  palette: Palette;
}
const MSRC: Classes = { names: MSRC_CLASSES.map((c) => c.name), palette: MSRC_PALETTE };
/** The loaded model's classes: MSRC's for saved models, VOC's for torchvision's. */
let classes: Classes = MSRC;
/** The ONNX Runtime Web segmenter while that runtime is chosen, and what runs it. */
let onnx: { segmenter: Segmenter; name: string } | null = null;
/** Whether the next segmentation is the model's first on this backend (it includes WebGL/WebGPU shader compilation). */
let firstRun = true;
/** The image on screen and its labels, kept so the opacity slider re-blends without re-running the model. */
let shown: { pixels: ImageData; labels: Uint8Array | Int32Array } | null = null;

const page: SegPage = {
  async useBackend(name) {
    try {
      await onnx?.segmenter.dispose();
      onnx = null;
      if (!(await tf.setBackend(name))) return null;
      await tf.ready();
      return tf.getBackend();
    } catch {
      return null;
    }
  },
  async useOnnx(url = DEFAULT_ONNX_URL, providers) {
    const ort = await import('onnxruntime-web');
    // The .wasm binaries are copied next to the bundle by build.mjs; threads need a cross-origin-isolated page.
    ort.env.wasm.wasmPaths = new URL('./ort/', import.meta.url).href;
    ort.env.wasm.numThreads = crossOriginIsolated ? navigator.hardwareConcurrency : 1;
    const executionProviders = providers ?? ('gpu' in navigator ? ['webgpu', 'wasm'] : ['wasm']);
    const segmenter = await loadOnnxSegmenter(url, { runtime: 'web', ort, executionProviders });
    await onnx?.segmenter.dispose();
    onnx = { segmenter, name: `ONNX Runtime Web (${executionProviders.join(' or ')})` };
    return onnx.name;
  },
  async loadModel(url = DEFAULT_MODEL_URL) {
    let loaded: tfl.LayersModel;
    try {
      loaded = await tfl.loadLayersModel(url);
    } catch (e) {
      throw new Error(
        `could not load the model from ${url}: ${(e as Error).message}. ` +
          (url === DEFAULT_MODEL_URL
            ? 'The example ships one: run `pnpm --filter @seg-examples/browser build` to copy it into dist/.'
            : 'Pass ?model= the URL of a model.json written by saveModel (e.g. runs/demo/model copied into dist/).'),
      );
    }
    model?.dispose();
    model = loaded;
    classes = MSRC;
  },
  async loadTorchvision(name, source) {
    const bytes = typeof source === 'string' ? new Uint8Array(await (await fetchBlob(source)).arrayBuffer()) : source;
    const loaded = await fromTorchvision(name, bytes);
    // The ONNX export is the shipped model's: the torchvision model runs on tfjs.
    await onnx?.segmenter.dispose();
    onnx = null;
    model?.dispose();
    model = loaded;
    classes = { names: VOC_CLASSES, palette: VOC_PALETTE };
    firstRun = true;
  },
  async segmentPixels(image, flip = false) {
    const result = await segmenter().segment(image, { flip });
    return { labels: Array.from(result.labels), mask: colorize(result.labels, image.width, image.height, classes.palette) };
  },
  shownLabels: () => (shown ? Array.from(shown.labels) : null),
};
(window as unknown as { seg: SegPage }).seg = page;

/** The chosen runtime as a Segmenter: ONNX Runtime Web's, or tfjs's segment() on the loaded model. */
function segmenter(): Segmenter {
  if (onnx) return onnx.segmenter;
  if (!model) throw new Error('no model loaded: call loadModel() first');
  const tfjsModel = model;
  return { segment: (image, options) => segment(tfjsModel, image, options), dispose: () => undefined };
}

/** What segments now, for the page. */
function runtimeName(): string {
  return onnx ? onnx.name : `tfjs ${tf.getBackend()}`;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function setStatus(text: string, error = false): void {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

function canvasContext(id: string, width: number, height: number): CanvasRenderingContext2D {
  const canvas = $<HTMLCanvasElement>(id);
  canvas.width = width;
  canvas.height = height;
  return canvas.getContext('2d')!;
}

/** Draws RGBA bytes (`colorize`/`overlay` output) on a canvas, sized to them. */
function drawPixels(id: string, rgba: Uint8ClampedArray, width: number, height: number): void {
  const ctx = canvasContext(id, width, height);
  const image = ctx.createImageData(width, height);
  image.data.set(rgba);
  ctx.putImageData(image, 0, 0);
}

function opacity(): number {
  return Number($<HTMLInputElement>('opacity').value);
}

function drawOverlay(): void {
  if (!shown) return;
  const { pixels, labels } = shown;
  drawPixels('overlay', overlay(pixels, labels, classes.palette, opacity()), pixels.width, pixels.height);
}

function drawLegend(labels: ArrayLike<number>): void {
  const legend = $('legend');
  legend.replaceChildren(
    ...classShares(labels).map(({ id, share }) => {
      const item = document.createElement('li');
      const swatch = document.createElement('span');
      swatch.className = 'swatch';
      swatch.style.background = `rgb(${classes.palette[id].join(',')})`;
      const name = document.createElement('span');
      name.textContent = classes.names[id] ?? `class ${id}`;
      const pct = document.createElement('span');
      pct.className = 'share';
      pct.textContent = `${(100 * share).toFixed(1)}%`;
      item.append(swatch, name, pct);
      return item;
    }),
  );
}

/** Decodes an image (a File or a URL), draws it, segments it and shows the results. */
async function show(source: Blob | string, label: string): Promise<void> {
  let bitmap: ImageBitmap;
  try {
    const blob = typeof source === 'string' ? await fetchBlob(source) : source;
    bitmap = await createImageBitmap(blob);
  } catch (e) {
    throw new Error(`could not read ${label} as an image (${(e as Error).message}); use a PNG, JPEG, GIF, BMP or WebP file`);
  }
  const { width, height } = bitmap;
  const ctx = canvasContext('input', width, height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const pixels = ctx.getImageData(0, 0, width, height);
  setStatus(`segmenting ${label} (${width}×${height}) on ${runtimeName()}…`);
  const started = performance.now();
  const result = await segmenter().segment(pixels, { flip: true });
  const ms = performance.now() - started;
  shown = { pixels, labels: result.labels };
  drawPixels('mask', colorize(result.labels, width, height, classes.palette), width, height);
  drawOverlay();
  drawLegend(result.labels);
  $('time').textContent = `${ms.toFixed(0)} ms (flip test-time augmentation: a batch of 2${firstRun ? '; the first run also compiles the backend\'s kernels' : ''})`;
  firstRun = false;
  $('image-info').textContent = `${label}, ${width}×${height}`;
  setStatus(`segmented ${label} in ${ms.toFixed(0)} ms on ${runtimeName()}`);
}

async function fetchBlob(url: string): Promise<Blob> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return response.blob();
}

function showAndReport(source: Blob | string, label: string): void {
  show(source, label).catch((e: Error) => setStatus(`error: ${e.message}`, true));
}

async function addSamples(): Promise<string[]> {
  let names: string[];
  try {
    names = await (await fetchBlob(SAMPLES_URL)).text().then(JSON.parse);
  } catch (e) {
    setStatus(`no sample images (${(e as Error).message}); drop or pick an image`, true);
    return [];
  }
  const box = $('samples');
  for (const name of names) {
    const button = document.createElement('button');
    button.title = `segment sample ${name}`;
    button.dataset.sample = name;
    const img = document.createElement('img');
    img.src = `./samples/${name}`;
    img.alt = name;
    button.append(img);
    button.addEventListener('click', () => {
      for (const b of Array.from(box.querySelectorAll('button'))) b.classList.toggle('active', b === button);
      showAndReport(`./samples/${name}`, `sample ${name}`);
    });
    box.append(button);
  }
  return names;
}

/** A torch.save or safetensors file, told by its name (the bytes decide the format when loading). */
const WEIGHT_FILE = /\.(pth|pt|bin|safetensors)$/i;

/** Loads a dropped weight file into the torchvision model named beside the drop zone, then segments the image on screen again. */
async function loadWeightFile(file: File): Promise<void> {
  const name = $<HTMLSelectElement>('torchvision').value as TorchvisionModelName;
  setStatus(`loading ${file.name} into ${name}…`);
  await page.loadTorchvision(name, new Uint8Array(await file.arrayBuffer()));
  $<HTMLSelectElement>('runtime').value = 'tfjs';
  $('backend').textContent = runtimeName();
  $('model-info').textContent = `${name} with ${file.name} (VOC classes)`;
  setStatus(`loaded ${name} from ${file.name}`);
  $('samples').querySelector<HTMLButtonElement>('button.active')?.click();
}

/** An image to segment, or weights to load. */
function openFile(file: File): void {
  if (WEIGHT_FILE.test(file.name)) loadWeightFile(file).catch((e: Error) => setStatus(`error: ${file.name}: ${e.message}`, true));
  else showAndReport(file, file.name);
}

function wireInputs(): void {
  $<HTMLInputElement>('file').addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) openFile(file);
  });
  const drop = $('drop');
  for (const type of ['dragenter', 'dragover'] as const) {
    document.addEventListener(type, (e) => {
      e.preventDefault();
      drop.classList.add('over');
    });
  }
  document.addEventListener('dragleave', () => drop.classList.remove('over'));
  document.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    const file = e.dataTransfer?.files[0];
    if (file) openFile(file);
  });
  $<HTMLSelectElement>('runtime').addEventListener('change', (e) => {
    const choice = (e.target as HTMLSelectElement).value;
    const switched = choice === 'onnx' ? page.useOnnx() : pickTfjsBackend();
    switched
      .then(() => {
        $('backend').textContent = runtimeName();
        firstRun = true;
        $('samples').querySelector<HTMLButtonElement>('button.active')?.click();
      })
      .catch((err: Error) => setStatus(`error: ${err.message}`, true));
  });
  $<HTMLInputElement>('opacity').addEventListener('input', () => {
    $('opacity-value').textContent = `${Math.round(100 * opacity())}%`;
    drawOverlay();
  });
}

/** The best tfjs backend this browser starts. */
async function pickTfjsBackend(): Promise<void> {
  for (const name of ['webgl', 'wasm', 'cpu'] as const) if (await page.useBackend(name)) return;
}

async function start(): Promise<void> {
  if (!document.getElementById('status')) return; // loaded by a test page without the UI
  await pickTfjsBackend();
  $('backend').textContent = runtimeName();
  const url = new URLSearchParams(location.search).get('model') ?? undefined;
  await page.loadModel(url);
  $('model-info').textContent = url ?? 'shipped: DeepLabV3+, narrow ResNet-18, trained on synthetic MSRC-style scenes';
  $('torchvision').replaceChildren(...TORCHVISION_MODELS.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name })));
  wireInputs();
  const samples = await addSamples();
  setStatus(`model ready on ${runtimeName()}: pick a sample, or drop or choose an image`);
  // Start on the first sample, so the page shows what it does at once.
  if (samples.length) $('samples').querySelector('button')?.click();
}

start().catch((e: Error) => setStatus(`error: ${e.message}`, true));
