// Model files live in @seg/core (any tfjs model can use them; users import them from
// there). The package's own loaders take them from here, which also registers the
// DeepLabV3+ layer classes that loading needs, in entries that import nothing else
// of the model (the pool worker).
import './deeplab-model.js';
import './input-size-guard.js';
import { loadModel as loadModelFiles } from '@seg/core';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type ModelClass, modelClassCount, setModelClasses } from '../classes/model-classes.js';
import { replaceClassifier } from './replace-classifier.js';

export { saveModel } from '@seg/core';

/** Options of {@link loadModel}. */
export interface LoadModelOptions {
  /**
   * Classes the loaded model predicts. Default: the saved model's. When it
   * differs, the classifier convs (DeepLabV3+'s `classifier`, torchvision's
   * `classifier.4`, LR-ASPP's two) are replaced by fresh ones initialised as
   * torch's `nn.Conv2d`, to fine-tune the model to new classes; every other
   * weight is the saved one.
   */
  numClasses?: number;
  /** Names (and colours) of the new classes, recorded as `setModelClasses` does. Default: none recorded after a replacement. */
  classes?: readonly ModelClass[];
  /** Called with the replaced layers' names when the classifier is replaced (for the caller to print). Default none. */
  onClassifierReplaced?: (layers: string[]) => void;
}

/**
 * Loads a model saved by `saveModel`, the tfjs converter or
 * `model.save('downloads://')` from a directory holding its `model.json`;
 * with `options.numClasses` other than the saved one, ready to fine-tune to
 * new classes (see {@link LoadModelOptions}).
 *
 * @throws Naming the file, if model.json is missing or corrupt, a shard is
 *   missing or shorter than the manifest says, or a weight path points outside
 *   the directory; if the classes given do not match `numClasses`.
 *
 * @example
 * ```ts
 * const model = await loadModel('runs/msrc/best-model', { numClasses: 3, classes: [{ name: 'background' }, { name: 'road' }, { name: 'car' }] });
 * ```
 */
export async function loadModel(dir: string, options: LoadModelOptions = {}): Promise<LayersModel> {
  const model = await loadModelFiles(dir);
  const { numClasses, classes } = options;
  if (numClasses === undefined || numClasses === modelClassCount(model)) {
    if (classes) {
      try {
        setModelClasses(model, classes);
      } catch (e) {
        model.dispose();
        throw e;
      }
    }
    return model;
  }
  try {
    const { model: replaced, replaced: layers } = await replaceClassifier(model, numClasses, classes);
    options.onClassifierReplaced?.(layers);
    return replaced;
  } finally {
    model.dispose();
  }
}
