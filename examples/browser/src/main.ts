/**
 * In-browser DeepLabV3+ segmentation and fine-tuning. The page loads the
 * small model shipped with the example (trained on synthetic MSRC-style
 * scenes by train-model.mjs) or the one named by `?model=<url of
 * model.json>`, segments a bundled sample or a dropped/picked image, and
 * shows the input, the mask and an overlay, the legend with each class's
 * share of pixels, the runtime and the inference time.
 *
 * Runtimes are chosen by name (runtimes.ts) and never replaced by another
 * behind the user's back: tfjs on WebGPU, WebGL, wasm or cpu, or ONNX
 * Runtime Web on WebGPU or wasm with the shipped model's ONNX export
 * (`model.onnx`, written by build.mjs with exportOnnx). A runtime that cannot
 * start is named with the reason.
 *
 * Query parameters: `runtime=<name>`, `sample=<index or file name>`,
 * `flip=1` (flip test-time augmentation), `model=<url>`, and
 * `finetune=<steps>` (fine-tunes on the samples at load, on `runtime` or
 * else tfjs WebGPU, else tfjs wasm). Results for scripts: `window.segResult
 * = { runtime, backend, labels, ms, threads, adapter }` after each shown
 * segmentation (or `{ error }`), `window.segFineTune = { backend, losses,
 * steps, tensorsAtStart, tensorsAtEnd, msPerStep }` after fine-tuning (or
 * `{ error }`).
 *
 * A dropped or picked weight file (`.pth` or `.safetensors` of
 * torchvision's segmentation models) with the model name chosen beside it
 * replaces the model on the tfjs runtime (`fromTorchvision`; the `.pth` is
 * read without running any of its code): the page then shows the 21 VOC
 * classes.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  colorize,
  exportOnnx,
  fromTorchvision,
  overlay,
  type Segmenter,
  segment,
  TORCHVISION_MODELS,
  type TorchvisionModelName,
  VOC_CLASSES,
  VOC_PALETTE,
} from '@seg/deeplab';
import { MSRC_CLASSES, MSRC_DROPPED_COLORS, MSRC_PALETTE, MSRC_VOID } from '@seg/msrc/palette';
import type { Palette } from '@seg/datasets/classes';
import { classShares } from './class-shares.js';
import { type FineTuneResult, type FineTuneScope, fineTune, type StepReport, type TrainingPair } from './fine-tune.js';
import { download, tfjsModelZip } from './model-download.js';
import { isRuntimeName, RUNTIME_LABELS, RUNTIMES, type RuntimeName, RuntimeUnavailableError, type StartedRuntime, startRuntime } from './runtimes.js';
import { labelsFromMask, type MaskClasses, pairImagesAndMasks } from './training-masks.js';

/** The model shipped with the page (copied into dist/ by build.mjs). */
const DEFAULT_MODEL_URL = './model/model.json';
/** The shipped model's ONNX export (build.mjs). */
const DEFAULT_ONNX_URL = './model.onnx';
/** The bundled sample images, listed by train-model.mjs; each has its mask beside it as `<name>_GT.png`. */
const SAMPLES_URL = './samples/samples.json';
/**
 * The runtime without `?runtime=`: tfjs wasm runs everywhere and is the
 * fastest measured for the small shipped model (README's table); the
 * others are one choice away.
 */
const DEFAULT_RUNTIME: RuntimeName = 'tfjs-wasm';
/** Fine-tuning prefers WebGPU, then wasm (the only tfjs backends fast enough to train). */
const FINE_TUNE_RUNTIMES: readonly RuntimeName[] = ['tfjs-webgpu', 'tfjs-wasm'];

/** What the page reports after each shown segmentation, for scripts and tests. */
export type SegResult = { runtime: RuntimeName; backend: string; labels: number[]; ms: number; threads: number; adapter?: string } | { error: string };
/** What the page reports after fine-tuning. */
export type SegFineTune = (FineTuneResult & { msPerStep: number; adapter?: string }) | { error: string };

/** What the page exposes on `window.seg` (used by the end-to-end test too). */
export interface SegPage {
  /**
   * Switches to runtime `name` (ONNX Runtime ones on the ONNX model at
   * `onnxUrl`, default the shipped model's export); throws
   * RuntimeUnavailableError saying why it cannot start.
   */
  useRuntime(name: RuntimeName, onnxUrl?: string): Promise<Omit<StartedRuntime, 'segmenter'>>;
  /** Loads a model from a `model.json` URL; default: the model shipped with the page. */
  loadModel(url?: string): Promise<void>;
  /** Builds torchvision's model `name` with the weights at `source` (a URL, or a file's bytes): `.pth` or `.safetensors`. */
  loadTorchvision(name: TorchvisionModelName, source: string | Uint8Array): Promise<void>;
  /** Segments an `ImageData` (no flip unless asked); returns the label map and the RGBA mask. */
  segmentPixels(image: ImageData, flip?: boolean): Promise<{ labels: number[]; mask: Uint8ClampedArray }>;
  /** The labels of the image on screen, as the page computed them, or null. */
  shownLabels(): number[] | null;
}

/** Names and colours of a model's classes, and the id its masks leave unlabelled. */
interface Classes extends MaskClasses {
  names: readonly string[];
  palette: Palette;
}
const MSRC: Classes = {
  names: MSRC_CLASSES.map((c) => c.name),
  palette: MSRC_PALETTE,
  ignore: MSRC_VOID,
  extraColors: new Map(Object.values(MSRC_DROPPED_COLORS).map((rgb) => [rgb, MSRC_VOID])),
};
/** VOC masks mark unlabelled borders with 255, as the VOC files do. */
const VOC: Classes = { names: VOC_CLASSES, palette: VOC_PALETTE, ignore: 255 };

let model: tfl.LayersModel | null = null;
/** The loaded model's classes: MSRC's for saved models, VOC's for torchvision's. */
let classes: Classes = MSRC;
/** The runtime that segments now. */
let runtime: StartedRuntime | null = null;
/** Whether the next segmentation is the first on this runtime (it includes shader compilation or session warm-up). */
let firstRun = true;
/** The image on screen and its labels, kept so the opacity slider re-blends without re-running the model. */
let shown: { pixels: ImageData; labels: Uint8Array | Int32Array } | null = null;

const report = (key: 'segResult' | 'segFineTune', value: SegResult | SegFineTune) => {
  (window as unknown as Record<string, unknown>)[key] = value;
};

const page: SegPage = {
  async useRuntime(name, onnxUrl = DEFAULT_ONNX_URL) {
    await runtime?.segmenter?.dispose();
    runtime = null;
    // ONNX Runtime runs the ONNX file; tfjs keeps the model (for fine-tuning) on its cheapest backend meanwhile.
    if (name.startsWith('ort-') && tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
    runtime = await startRuntime(name, onnxUrl);
    firstRun = true;
    const { segmenter: _, ...facts } = runtime;
    return facts;
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
    if (runtime?.segmenter) {
      throw new Error(`torchvision models run on tfjs, and ${runtime.runtime} runs the shipped model's ONNX file: pick a tfjs runtime first`);
    }
    const bytes = typeof source === 'string' ? new Uint8Array(await (await fetchBlob(source)).arrayBuffer()) : source;
    const loaded = await fromTorchvision(name, bytes);
    model?.dispose();
    model = loaded;
    classes = VOC;
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
  if (!runtime) throw new Error('no runtime started');
  if (runtime.segmenter) return runtime.segmenter;
  if (!model) throw new Error('no model loaded: call loadModel() first');
  const tfjsModel = model;
  return { segment: (image, options) => segment(tfjsModel, image, options), dispose: () => undefined };
}

/** What segments now, for the page. */
function runtimeName(): string {
  if (!runtime) return 'no runtime';
  const { runtime: name, backend, threads, adapter } = runtime;
  return `${name} (${backend}${adapter ? ` on the ${adapter} adapter` : ''}, ${threads} thread${threads === 1 ? '' : 's'})`;
}

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

function setStatus(text: string, error = false): void {
  $('status').textContent = text;
  $('status').classList.toggle('error', error);
}

/** Shows an error and reports it to scripts under `key`. */
function fail(e: unknown, key: 'segResult' | 'segFineTune' = 'segResult'): void {
  const message = (e as Error).message ?? String(e);
  setStatus(`error: ${message}`, true);
  report(key, { error: message });
}

function canvasContext(id: string, width: number, height: number): CanvasRenderingContext2D {
  const canvas = $<HTMLCanvasElement>(id);
  canvas.width = width;
  canvas.height = height;
  return canvas.getContext('2d', { willReadFrequently: true })!;
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
  $('legend').replaceChildren(
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

/** Decodes an image (a File or a URL) to its pixels. */
async function readPixels(source: Blob | string, label: string): Promise<ImageData> {
  let bitmap: ImageBitmap;
  try {
    const blob = typeof source === 'string' ? await fetchBlob(source) : source;
    // Masks must keep their exact values: no colour-space conversion or premultiplication.
    bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  } catch (e) {
    throw new Error(`could not read ${label} as an image (${(e as Error).message}); use a PNG, JPEG, GIF, BMP or WebP file`);
  }
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return ctx.getImageData(0, 0, canvas.width, canvas.height);
}

/** Segments an image on the current runtime and shows the results. */
async function show(source: Blob | string, label: string): Promise<void> {
  const pixels = await readPixels(source, label);
  const { width, height } = pixels;
  canvasContext('input', width, height).putImageData(pixels, 0, 0);
  setStatus(`segmenting ${label} (${width}×${height}) on ${runtimeName()}…`);
  const flip = $<HTMLInputElement>('flip').checked;
  const started = performance.now();
  const result = await segmenter().segment(pixels, { flip });
  const ms = performance.now() - started;
  shown = { pixels, labels: result.labels };
  drawPixels('mask', colorize(result.labels, width, height, classes.palette), width, height);
  drawOverlay();
  drawLegend(result.labels);
  const batch = flip ? ' (flip test-time augmentation: a batch of 2)' : '';
  $('time').textContent = `${ms.toFixed(0)} ms${batch}${firstRun ? '; the first run also compiles kernels or warms the session' : ''}`;
  firstRun = false;
  $('image-info').textContent = `${label}, ${width}×${height}`;
  const { runtime: name, backend, threads, adapter } = runtime!;
  report('segResult', { runtime: name, backend, labels: Array.from(result.labels), ms, threads, ...(adapter ? { adapter } : {}) });
  setStatus(`segmented ${label} in ${ms.toFixed(0)} ms on ${runtimeName()}`);
}

async function fetchBlob(url: string): Promise<Blob> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`HTTP ${response.status} for ${url}`);
  return response.blob();
}

function showAndReport(source: Blob | string, label: string): void {
  show(source, label).catch((e) => fail(e));
}

/** Segments the sample selected on the page again (after a runtime or model change). */
function showActiveSample(): void {
  $('samples').querySelector<HTMLButtonElement>('button.active')?.click();
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

/** The sample `?sample=` names: an index into samples.json or a file name. */
function sampleIndex(param: string | null, names: readonly string[]): number {
  if (param === null) return 0;
  const byName = names.findIndex((n) => n === param || n.replace(/\.[^.]+$/, '') === param);
  if (byName >= 0) return byName;
  const index = Number(param);
  if (!Number.isInteger(index) || index < 0 || index >= names.length) {
    throw new Error(`?sample=${param} is no sample: give an index 0–${names.length - 1} or a name (${names.join(', ')})`);
  }
  return index;
}

/** A torch.save or safetensors file, told by its name (the bytes decide the format when loading). */
const WEIGHT_FILE = /\.(pth|pt|bin|safetensors)$/i;

/** Loads a dropped weight file into the torchvision model named beside the drop zone, then segments the image on screen again. */
async function loadWeightFile(file: File): Promise<void> {
  const name = $<HTMLSelectElement>('torchvision').value as TorchvisionModelName;
  setStatus(`loading ${file.name} into ${name}…`);
  await page.loadTorchvision(name, new Uint8Array(await file.arrayBuffer()));
  $('model-info').textContent = `${name} with ${file.name} (VOC classes)`;
  setStatus(`loaded ${name} from ${file.name}`);
  showActiveSample();
}

/** An image to segment, or weights to load. */
function openFile(file: File): void {
  if (WEIGHT_FILE.test(file.name)) loadWeightFile(file).catch((e) => fail(e));
  else showAndReport(file, file.name);
}

/** Switches to runtime `name` and shows it; a runtime that cannot start is named with its reason. */
async function switchRuntime(name: RuntimeName): Promise<void> {
  $<HTMLSelectElement>('runtime').value = name;
  setStatus(`starting ${name}…`);
  try {
    await page.useRuntime(name);
  } finally {
    $('backend').textContent = runtimeName();
  }
}

// ---- fine-tuning ----

/** Training pairs chosen by the user (images with masks); null: the shipped samples. */
let trainingFiles: File[] | null = null;
/** The last fine-tuning's model differs from the loaded file: offer it for download. */
let fineTuned = false;

/** The shipped samples with their masks (`<name>_GT.png`, MSRC colours). */
async function samplePairs(): Promise<TrainingPair[]> {
  const names: string[] = await (await fetchBlob(SAMPLES_URL)).text().then(JSON.parse);
  return Promise.all(
    names.map(async (name) => {
      const maskName = name.replace(/\.[^.]+$/, '_GT.png');
      const image = await readPixels(`./samples/${name}`, name);
      const mask = await readPixels(`./samples/${maskName}`, maskName);
      return { name, image, labels: labelsOf(mask, image, maskName) };
    }),
  );
}

function labelsOf(mask: ImageData, image: ImageData, maskName: string): Uint8Array {
  if (mask.width !== image.width || mask.height !== image.height) {
    throw new Error(`${maskName} is ${mask.width}×${mask.height}, its image ${image.width}×${image.height}; a mask must be the image's size`);
  }
  return labelsFromMask(mask.data, mask.width, mask.height, classes, maskName);
}

/** The user's images and masks, paired by name. */
async function droppedPairs(files: File[]): Promise<TrainingPair[]> {
  return Promise.all(
    pairImagesAndMasks(files).map(async ({ image, mask }) => {
      const pixels = await readPixels(image, image.name);
      return { name: image.name, image: pixels, labels: labelsOf(await readPixels(mask, mask.name), pixels, mask.name) };
    }),
  );
}

/**
 * The runtime to fine-tune on: the one asked for (a tfjs one), else the
 * first of FINE_TUNE_RUNTIMES that starts, saying why the others did not.
 */
async function startFineTuneRuntime(asked: RuntimeName | null): Promise<string> {
  if (asked) {
    if (asked.startsWith('ort-')) throw new Error(`fine-tuning runs on tfjs; ${asked} only runs inference: pick tfjs-webgpu or tfjs-wasm`);
    await switchRuntime(asked);
    return '';
  }
  const skipped: string[] = [];
  for (const name of FINE_TUNE_RUNTIMES) {
    try {
      await switchRuntime(name);
      return skipped.join('; ');
    } catch (e) {
      if (!(e instanceof RuntimeUnavailableError)) throw e;
      skipped.push(e.message);
    }
  }
  throw new Error(`no runtime to fine-tune on: ${skipped.join('; ')}`);
}

function drawLosses(losses: readonly number[]): void {
  const canvas = $<HTMLCanvasElement>('loss-chart');
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  if (losses.length === 0) return;
  const top = Math.max(...losses);
  ctx.strokeStyle = '#1565c0';
  ctx.lineWidth = 2;
  ctx.beginPath();
  losses.forEach((loss, i) => {
    const x = losses.length === 1 ? canvas.width / 2 : (i / (losses.length - 1)) * (canvas.width - 8) + 4;
    const y = canvas.height - 4 - (loss / top) * (canvas.height - 8);
    if (i === 0) ctx.moveTo(x, y);
    else ctx.lineTo(x, y);
  });
  ctx.stroke();
}

/** Fine-tunes the loaded model, showing the loss per step, then segments the sample on screen with it. */
async function runFineTune(steps: number, scope: FineTuneScope, asked: RuntimeName | null): Promise<SegFineTune> {
  if (!model) throw new Error('no model loaded to fine-tune');
  const tuned = model;
  const skipped = await startFineTuneRuntime(asked);
  const pairs = trainingFiles ? await droppedPairs(trainingFiles) : await samplePairs();
  const what = `${scope === 'head' ? 'the head' : 'every weight'} on ${pairs.length} image${pairs.length === 1 ? '' : 's'}`;
  setStatus(`fine-tuning ${what} on ${runtimeName()}${skipped ? ` (${skipped})` : ''}…`);
  const log = $('loss-log');
  log.replaceChildren();
  const losses: number[] = [];
  const crop = $<HTMLSelectElement>('crop').value;
  const result = await fineTune(tuned, pairs, {
    steps,
    scope,
    cropSize: crop === 'whole' ? null : Number(crop),
    ignore: classes.ignore,
    onStep: async (s: StepReport) => {
      losses.push(s.loss);
      log.append(Object.assign(document.createElement('li'), { textContent: `step ${s.step}: loss ${s.loss.toFixed(4)} (${s.ms.toFixed(0)} ms)` }));
      drawLosses(losses);
      // Let the page paint between steps.
      await new Promise((resolve) => setTimeout(resolve, 0));
    },
  });
  fineTuned = true;
  for (const id of ['download-tfjs', 'download-onnx']) $<HTMLButtonElement>(id).disabled = false;
  $('model-info').textContent = `${$('model-info').textContent!.replace(/; fine-tuned.*$/, '')}; fine-tuned in this tab (${result.steps.length} steps, ${scope})`;
  const msPerStep = result.steps.length > 1 ? median(result.steps.slice(1).map((s) => s.ms)) : result.steps[0].ms;
  setStatus(`fine-tuned ${what} on ${runtimeName()}: loss ${result.losses[0].toFixed(3)} → ${result.losses.at(-1)!.toFixed(3)}, ${msPerStep.toFixed(0)} ms per step`);
  showActiveSample();
  return { ...result, msPerStep, ...(runtime?.adapter ? { adapter: runtime.adapter } : {}) };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function downloadModel(kind: 'tfjs' | 'onnx'): Promise<void> {
  if (!model || !fineTuned) return;
  setStatus(`preparing the ${kind === 'tfjs' ? 'tfjs model folder (zip)' : 'ONNX file'}…`);
  if (kind === 'tfjs') download(await tfjsModelZip(model), 'fine-tuned-model.zip', 'application/zip');
  else download(await exportOnnx(model), 'fine-tuned-model.onnx', 'application/octet-stream');
  setStatus(`downloaded the fine-tuned model as ${kind === 'tfjs' ? 'a tfjs folder (zip)' : 'ONNX'}`);
}

function wireFineTuning(): void {
  const chosen = $('train-files-info');
  const take = (files: File[]) => {
    try {
      pairImagesAndMasks(files);
      trainingFiles = files;
      chosen.textContent = `${files.length / 2} image${files.length === 2 ? '' : 's'} with masks`;
    } catch (e) {
      fail(e);
    }
  };
  $<HTMLInputElement>('train-files').addEventListener('change', (e) => take(Array.from((e.target as HTMLInputElement).files ?? [])));
  const zone = $('train-drop');
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    e.stopPropagation();
    zone.classList.remove('over');
    $('drop').classList.remove('over');
    take(Array.from(e.dataTransfer?.files ?? []));
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  $('use-samples').addEventListener('click', () => {
    trainingFiles = null;
    chosen.textContent = 'the shipped samples';
  });
  $('fine-tune').addEventListener('click', () => {
    const steps = Number($<HTMLInputElement>('steps').value);
    const scope = $<HTMLSelectElement>('scope').value as FineTuneScope;
    runFineTune(steps, scope, null).then(
      (r) => report('segFineTune', r),
      (e) => fail(e, 'segFineTune'),
    );
  });
  $('download-tfjs').addEventListener('click', () => downloadModel('tfjs').catch((e) => fail(e)));
  $('download-onnx').addEventListener('click', () => downloadModel('onnx').catch((e) => fail(e)));
}

// ---- wiring ----

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
    const name = (e.target as HTMLSelectElement).value as RuntimeName;
    switchRuntime(name).then(showActiveSample, (err) => fail(err));
  });
  $<HTMLInputElement>('flip').addEventListener('change', showActiveSample);
  $<HTMLInputElement>('opacity').addEventListener('input', () => {
    $('opacity-value').textContent = `${Math.round(100 * opacity())}%`;
    drawOverlay();
  });
  wireFineTuning();
}

async function start(): Promise<void> {
  if (!document.getElementById('status')) return; // loaded by a test page without the UI
  const params = new URLSearchParams(location.search);
  $('runtime').replaceChildren(...RUNTIMES.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: `${name}: ${RUNTIME_LABELS[name]}` })));
  $('torchvision').replaceChildren(...TORCHVISION_MODELS.map((name) => Object.assign(document.createElement('option'), { value: name, textContent: name })));
  $<HTMLInputElement>('flip').checked = params.get('flip') === '1';
  $('isolation').textContent = crossOriginIsolated
    ? 'yes: the wasm runtimes may use threads'
    : 'no: the wasm runtimes run on one thread (the host sends no COOP/COEP headers)';
  wireInputs();
  const asked = params.get('runtime');
  if (asked !== null && !isRuntimeName(asked)) throw new Error(`?runtime=${asked} is not a runtime of this page; pick one of ${RUNTIMES.join(', ')}`);
  const finetune = params.get('finetune');
  const steps = finetune === null ? null : Number(finetune);
  if (steps !== null && !(Number.isInteger(steps) && steps > 0)) throw new Error(`?finetune=${finetune} must be a positive number of steps, e.g. ?finetune=10`);
  // tfjs holds the model on cpu until a runtime is chosen, so loading it starts no GPU.
  await tf.setBackend('cpu');
  const url = params.get('model') ?? undefined;
  await page.loadModel(url);
  $('model-info').textContent = url ?? 'shipped: DeepLabV3+, narrow ResNet-18, trained on synthetic MSRC-style scenes';
  const samples = await addSamples();
  const first = sampleIndex(params.get('sample'), samples);
  if (steps !== null) {
    const result = await runFineTune(steps, $<HTMLSelectElement>('scope').value as FineTuneScope, asked);
    $('samples').querySelectorAll('button')[first]?.classList.add('active');
    report('segFineTune', result);
    await show(`./samples/${samples[first]}`, `sample ${samples[first]}`);
    return;
  }
  await switchRuntime(asked ?? DEFAULT_RUNTIME);
  setStatus(`model ready on ${runtimeName()}: pick a sample, or drop or choose an image`);
  // Start on a sample, so the page shows what it does at once.
  $('samples').querySelectorAll('button')[first]?.click();
}

start().catch((e) => fail(e));
