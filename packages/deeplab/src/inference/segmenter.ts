import type { ModelClass } from '../classes/model-classes.js';
import type { ImageInput } from './preprocess.js';
import type { Segmentation, SegmentOptions } from './segment-options.js';

/**
 * A loaded model that segments images, whatever runs it (tfjs, ONNX Runtime):
 * the object form of {@link segment}, as tfjs-models' loaders return it.
 * Batch segmentation and services take one of these.
 */
export interface Segmenter {
  /** Segments one image; the same result and options as {@link segment}. */
  segment(image: ImageInput, options?: SegmentOptions): Promise<Segmentation>;
  /** The model's class names (and colours), when it records them (`setModelClasses`, an exported model's metadata). */
  readonly classes?: readonly ModelClass[];
  /** Frees the model and everything the segmenter holds; it cannot be used afterwards. */
  dispose(): void | Promise<void>;
}
