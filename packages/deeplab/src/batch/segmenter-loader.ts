import { importAtRuntime } from '../runtime-import.js';
import { checkModelClasses, getModelClasses, MODEL_CLASSES_KEY, type ModelClass } from '../model-classes.js';
import { loadModel } from '../model-files.js';
import type { Segmenter } from '../segmenter.js';
import { tfjsSegmenter } from '../tfjs-segmenter.js';
import { ModelLoadError } from './errors.js';
import { node } from './node.js';

/** A loaded model, ready to segment, with what it says about its classes. */
export interface LoadedSegmenter {
  /** The model path as given. */
  source: string;
  /** Segments images. */
  segmenter: Segmenter;
  /** Class names (and colours) when the model records them (see `setModelClasses`). */
  classes?: readonly ModelClass[];
}

/** The ONNX Runtime segmenter's loader, as `@seg/deeplab` exports it once it ships (issue #19). */
type OnnxLoader = (source: string) => Segmenter | Promise<Segmenter>;

/**
 * `.onnx` models run on ONNX Runtime through `loadOnnxSegmenter`. It is looked
 * up on this package's own entry at run time, so batch segmentation needs no
 * change when the ONNX segmenter is added, and no import cycle.
 */
async function loadOnnx(source: string): Promise<LoadedSegmenter> {
  const self = (await importAtRuntime('@seg/deeplab')) as { loadOnnxSegmenter?: OnnxLoader };
  if (typeof self.loadOnnxSegmenter !== 'function') {
    throw new ModelLoadError(
      source,
      '.onnx models run on ONNX Runtime through loadOnnxSegmenter, which this version of @seg/deeplab does not export; ' +
        'pass a saved tfjs model folder (model.json + weight shards) instead',
    );
  }
  try {
    const segmenter = await self.loadOnnxSegmenter(source);
    return { source, segmenter };
  } catch (e) {
    throw new ModelLoadError(source, (e as Error).message);
  }
}

/**
 * Loads a model for batch segmentation: a saved tfjs model folder (or its
 * `model.json`) runs on the active tfjs backend; an `.onnx` file runs on ONNX
 * Runtime.
 *
 * @throws {ModelLoadError} Naming the path, if the model cannot be read or its class list is malformed.
 */
export async function loadSegmenter(source: string): Promise<LoadedSegmenter> {
  if (/\.onnx$/i.test(source)) return loadOnnx(source);
  let model: Awaited<ReturnType<typeof loadModel>>;
  try {
    model = await loadModel(source);
  } catch (e) {
    throw new ModelLoadError(source, (e as Error).message);
  }
  try {
    return { source, segmenter: tfjsSegmenter(model), classes: getModelClasses(model) };
  } catch (e) {
    model.dispose();
    throw new ModelLoadError(source, (e as Error).message);
  }
}

/**
 * The classes a saved tfjs model records in its `model.json`, read without
 * loading its weights (summaries name classes with them); `undefined` when it
 * records none or cannot be read here (an `.onnx` file, a model only the
 * workers can reach).
 */
export async function readModelClasses(source: string): Promise<ModelClass[] | undefined> {
  if (/\.onnx$/i.test(source)) return undefined;
  const { fs, path } = await node();
  const file = source.endsWith('.json') ? source : path.join(source, 'model.json');
  try {
    const stored = JSON.parse(await fs.readFile(file, 'utf8'))?.userDefinedMetadata?.[MODEL_CLASSES_KEY];
    return stored === undefined ? undefined : checkModelClasses(stored, undefined, file);
  } catch {
    return undefined;
  }
}
