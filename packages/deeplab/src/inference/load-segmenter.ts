import { type LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { loadModel } from '../model/model-files.js';
import { loadOnnxSegmenter, type OnnxSegmenterOptions } from '../onnx/load-onnx-segmenter.js';
import type { ModelSource } from '../onnx/model-source.js';
import type { Segmenter } from './segmenter.js';
import { tfjsSegmenter } from './tfjs-segmenter.js';

/** What runs a model: ONNX Runtime (an `.onnx` file or its bytes) or tfjs (a saved model folder or its `model.json`). */
export type ModelSourceKind = 'onnx' | 'tfjs';

/**
 * Which runtime `source` is for: the bytes of a model are an ONNX file (a
 * tfjs model is a folder of files); a path or URL ending in `.onnx` is ONNX,
 * any other is a saved tfjs model (its folder or `model.json`).
 *
 * @throws If `source` is none of a path, a URL or bytes.
 */
export function modelSourceKind(source: ModelSource): ModelSourceKind {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return 'onnx';
  if (source instanceof URL) return /\.onnx$/i.test(source.pathname) ? 'onnx' : 'tfjs';
  if (typeof source === 'string') return /\.onnx$/i.test(source.replace(/[?#].*$/, '')) ? 'onnx' : 'tfjs';
  throw new Error(
    `loadSegmenter: source is ${source === null ? 'null' : typeof source}; expected a model folder or model.json path, an .onnx path, a URL, or an .onnx file's bytes`,
  );
}

const inNode = () => typeof process !== 'undefined' && !!process.versions?.node;

/** A saved tfjs model: from the file system in Node (a path or `file:` URL), over HTTP otherwise. */
async function loadTfjsModel(source: string | URL): Promise<LayersModel> {
  const text = source instanceof URL ? source.href : source;
  if (inNode() && !/^https?:/.test(text)) return loadModel(text);
  const url = new URL(text, globalThis.location?.href);
  if (!url.pathname.endsWith('.json')) url.pathname = `${url.pathname.replace(/\/$/, '')}/model.json`;
  return loadLayersModel(url.href);
}

/**
 * Loads a model to segment with, whatever it was saved as: a tfjs model
 * folder (or its `model.json`) runs on the active tfjs backend, an `.onnx`
 * file or its bytes on ONNX Runtime ({@link loadOnnxSegmenter}, which
 * `options` go to). Both give a {@link Segmenter} whose `segment()` returns the
 * same {@link Segmentation} for the same options, and `classes` when the model
 * records them. Call `dispose()` when done.
 *
 * @param source A path (Node), a URL, or an `.onnx` file's bytes; see {@link modelSourceKind}.
 * @throws Naming the source, if it cannot be read or is not a model this package runs.
 *
 * @example
 * ```ts
 * const segmenter = await loadSegmenter('runs/msrc/model');
 * const { labels } = await segmenter.segment(image, { flip: true });
 * await segmenter.dispose();
 * ```
 */
export async function loadSegmenter(source: ModelSource, options: OnnxSegmenterOptions = {}): Promise<Segmenter> {
  if (modelSourceKind(source) === 'onnx') return loadOnnxSegmenter(source, options);
  const model = await loadTfjsModel(source as string | URL);
  try {
    return tfjsSegmenter(model);
  } catch (e) {
    model.dispose();
    throw e;
  }
}
