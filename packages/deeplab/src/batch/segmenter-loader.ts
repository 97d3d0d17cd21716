import * as path from 'node:path';
import { readRegularFile } from '@seg/core';
import { checkModelClasses, MODEL_CLASSES_KEY, type ModelClass } from '../classes/model-classes.js';
import { loadOnnxSegmenter } from '../onnx/load-onnx-segmenter.js';
import { parseSegmenterMetadata } from '../onnx/onnx-metadata.js';
import { readOnnxHeader } from '../onnx/onnx-proto.js';
import { loadModel } from '../model/model-files.js';
import type { Segmenter } from '../inference/segmenter.js';
import { tfjsSegmenter } from '../inference/tfjs-segmenter.js';
import { ModelLoadError } from './errors.js';

/** A loaded model, ready to segment, with what it says about its classes. */
export interface LoadedSegmenter {
  /** The model path as given. */
  source: string;
  /** Segments images. */
  segmenter: Segmenter;
  /** Class names (and colours) when the model records them (see `setModelClasses`). */
  classes?: readonly ModelClass[];
}

/**
 * `.onnx` models run on ONNX Runtime (`onnxruntime-node`) with one thread:
 * a batch runs one worker process per core, each with its own session.
 */
async function loadOnnx(source: string): Promise<LoadedSegmenter> {
  try {
    const segmenter = await loadOnnxSegmenter(source, { runtime: 'node', threads: 1 });
    return { source, segmenter, ...(segmenter.classes ? { classes: segmenter.classes } : {}) };
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
    const segmenter = tfjsSegmenter(model);
    return { source, segmenter, ...(segmenter.classes ? { classes: segmenter.classes } : {}) };
  } catch (e) {
    model.dispose();
    throw new ModelLoadError(source, (e as Error).message);
  }
}

/**
 * The classes a saved tfjs model records in its `model.json`, read without
 * loading its weights (summaries name classes with them); `undefined` when it
 * records none or cannot be read here (a model only the workers can reach).
 * An `.onnx` file's come from its `seg.classes` metadata.
 */
export async function readModelClasses(source: string): Promise<ModelClass[] | undefined> {
  // Only regular files: a FIFO named as the model would block the submitter or the run for good.
  if (/\.onnx$/i.test(source)) {
    try {
      return parseSegmenterMetadata(source, readOnnxHeader(await readRegularFile(source)).metadata).classes;
    } catch {
      return undefined;
    }
  }
  const file = source.endsWith('.json') ? source : path.join(source, 'model.json');
  try {
    const stored = JSON.parse(new TextDecoder().decode(await readRegularFile(file)))?.userDefinedMetadata?.[MODEL_CLASSES_KEY];
    return stored === undefined ? undefined : checkModelClasses(stored, undefined, file);
  } catch {
    return undefined;
  }
}
