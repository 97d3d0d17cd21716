import * as path from 'node:path';
import { readRegularFile } from '@seg/core/internals';
import { checkModelClasses, MODEL_CLASSES_KEY, type ModelClass } from '../classes/model-classes.js';
import { parseSegmenterMetadata } from '../onnx/onnx-metadata.js';
import { readOnnxHeader } from '../onnx/onnx-proto.js';
import type { Segmenter } from '../inference/segmenter.js';
import { loadSegmenter, modelSourceKind } from '../inference/load-segmenter.js';
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
 * Loads a model for batch segmentation ({@link loadSegmenter}). `.onnx` models
 * run on ONNX Runtime (`onnxruntime-node`) with one thread: a batch runs one
 * worker process per core, each with its own session.
 *
 * @throws {ModelLoadError} Naming the path, if the model cannot be read or its class list is malformed.
 */
export async function loadBatchSegmenter(source: string): Promise<LoadedSegmenter> {
  try {
    const segmenter = await loadSegmenter(source, { runtime: 'node', threads: 1 });
    return { source, segmenter, ...(segmenter.classes ? { classes: segmenter.classes } : {}) };
  } catch (e) {
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
  if (modelSourceKind(source) === 'onnx') {
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
