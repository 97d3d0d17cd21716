/**
 * In-browser DeepLabV3+ segmentation: pick an image, segment it with a model
 * served next to the page (`?model=<url of model.json>`, e.g. one saved by
 * examples/train-msrc) or, without one, an untrained demo model, and see the
 * MSRC-coloured mask blended over the image.
 */
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as tfl from '@tensorflow/tfjs-layers';
import { colorize, deeplabV3Plus, overlay, segment } from '@seg/deeplab';
import { MSRC_CLASSES, MSRC_PALETTE } from '@seg/msrc/palette';

// The .wasm binaries are copied next to the bundle by build.mjs.
setWasmPaths(new URL('./', import.meta.url).href);

/** What the page exposes on `window.seg` (used by the end-to-end test too). */
export interface SegPage {
  /** Activates a tfjs backend; returns its name, or null if it cannot start here. */
  useBackend(name: 'webgl' | 'wasm' | 'cpu'): Promise<string | null>;
  /** Loads a model from a `model.json` URL, or builds the untrained demo model without one. */
  loadModel(url?: string): Promise<void>;
  /** Segments an `ImageData`; returns the label map and the RGBA mask. */
  segmentPixels(image: ImageData, flip?: boolean): Promise<{ labels: number[]; mask: Uint8ClampedArray }>;
}

let model: tfl.LayersModel | null = null;

const page: SegPage = {
  async useBackend(name) {
    try {
      if (!(await tf.setBackend(name))) return null;
      await tf.ready();
      return tf.getBackend();
    } catch {
      return null;
    }
  },
  async loadModel(url) {
    model?.dispose();
    model = url
      ? await tfl.loadLayersModel(url)
      : deeplabV3Plus({ numClasses: MSRC_CLASSES.length, backbone: 'resnet18', backboneOptions: { baseWidth: 16 }, decoderChannels: 64 });
  },
  async segmentPixels(image, flip = false) {
    if (!model) throw new Error('no model loaded: call loadModel() first');
    const result = await segment(model, image, { flip });
    return { labels: Array.from(result.labels), mask: colorize(result.labels, image.width, image.height, MSRC_PALETTE) };
  },
};
(window as unknown as { seg: SegPage }).seg = page;

async function show(file: File): Promise<void> {
  const status = document.getElementById('status')!;
  const bitmap = await createImageBitmap(file);
  const canvas = document.getElementById('view') as HTMLCanvasElement;
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d')!;
  ctx.drawImage(bitmap, 0, 0);
  const pixels = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
  status.textContent = `segmenting ${bitmap.width}×${bitmap.height} on ${tf.getBackend()}…`;
  const started = performance.now();
  const result = await segment(model!, pixels, { flip: true });
  const blended = overlay(pixels, result.labels, MSRC_PALETTE, 0.5);
  pixels.data.set(blended);
  ctx.putImageData(pixels, 0, 0);
  const present = [...new Set(result.labels)].map((id) => MSRC_CLASSES[id].name).join(', ');
  status.textContent = `${Math.round(performance.now() - started)} ms on ${tf.getBackend()}: ${present}`;
}

async function start(): Promise<void> {
  const status = document.getElementById('status');
  if (!status) return; // loaded by a test page without the UI
  for (const name of ['webgl', 'wasm', 'cpu'] as const) if (await page.useBackend(name)) break;
  const url = new URLSearchParams(location.search).get('model') ?? undefined;
  await page.loadModel(url);
  status.textContent = url
    ? `model ${url} on ${tf.getBackend()}: choose an image`
    : `untrained demo model on ${tf.getBackend()} (add ?model=<url of model.json> for a trained one): choose an image`;
  document.getElementById('file')!.addEventListener('change', (e) => {
    const file = (e.target as HTMLInputElement).files?.[0];
    if (file) show(file).catch((err: Error) => (status.textContent = `error: ${err.message}`));
  });
}

start().catch((e: Error) => {
  const status = document.getElementById('status');
  if (status) status.textContent = `error: ${e.message}`;
});
