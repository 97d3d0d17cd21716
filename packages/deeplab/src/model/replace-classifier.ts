import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { checkModelClasses, MODEL_CLASSES_KEY, type ModelClass, modelClassCount, setModelClasses } from '../classes/model-classes.js';
import { torchConvInitializers } from './torch-conv-init.js';

type Layer = tfl.layers.Layer;
const CONV_CLASSES = new Set(['Conv2D', 'AtrousConv2D']);

/**
 * The convs that produce the model's logits: walking back from each output
 * through layers without weights (resizes, sums), the convs with one filter
 * per class. DeepLabV3+'s `classifier`, torchvision's `classifier.4` (and
 * `aux_classifier.4`), LR-ASPP's `low_classifier` and `high_classifier`.
 */
export function classifierConvs(model: tfl.LayersModel): Layer[] {
  const classes = modelClassCount(model);
  const found = new Set<Layer>();
  const seen = new Set<Layer>();
  const visit = (layer: Layer): void => {
    if (seen.has(layer)) return;
    seen.add(layer);
    if (layer.weights.length > 0) {
      if (CONV_CLASSES.has(layer.getClassName()) && (layer as unknown as { filters: number }).filters === classes) found.add(layer);
      return;
    }
    for (const node of layer.inboundNodes) for (const inbound of node.inboundLayers) visit(inbound);
  };
  for (const out of model.outputs) visit(out.sourceLayer as Layer);
  return [...found];
}

/**
 * A copy of `model` predicting `numClasses` classes: its classifier convs
 * (`classifierConvs`) replaced by fresh ones initialised as torch's
 * `nn.Conv2d` (torchvision's fine-tuning recipe), every other weight copied.
 * The copy records `classes` (or no class names: the old ones no longer
 * apply); other metadata is kept. `model` is left as it was.
 *
 * @returns The copy and the names of the replaced layers.
 * @throws If no classifier conv is found, or `classes` does not name `numClasses` classes.
 */
export async function replaceClassifier(
  model: tfl.LayersModel,
  numClasses: number,
  classes?: readonly ModelClass[],
): Promise<{ model: tfl.LayersModel; replaced: string[] }> {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`replaceClassifier: numClasses must be a positive integer, got ${numClasses}`);
  if (classes) checkModelClasses(classes, numClasses, `replaceClassifier(${model.name})`);
  const convs = classifierConvs(model);
  if (convs.length === 0) {
    throw new Error(`replaceClassifier: model "${model.name}" has no conv with one filter per class before its outputs; its classifier cannot be replaced`);
  }
  const replaced = convs.map((c) => c.name);
  const topology = model.toJSON(null, false) as { config: { layers: { config: { name: string; filters?: number } }[] } };
  const missing = replaced.filter((name) => !topology.config.layers.some((l) => l.config.name === name));
  if (missing.length > 0) throw new Error(`replaceClassifier: classifier conv(s) ${missing.join(', ')} sit inside a nested model; only top-level classifiers can be replaced`);
  for (const layer of topology.config.layers) if (replaced.includes(layer.config.name)) layer.config.filters = numClasses;
  const copy = await tfl.models.modelFromJSON({ modelTopology: topology as unknown as tf.io.ModelJSON['modelTopology'] });
  for (const layer of copy.layers) {
    if (layer.weights.length === 0) continue;
    if (!replaced.includes(layer.name)) {
      layer.setWeights(model.getLayer(layer.name).getWeights());
      continue;
    }
    const [kh, kw, inChannels] = layer.weights[0].shape as number[];
    const init = torchConvInitializers(kh * kw * inChannels);
    const fresh = layer.weights.map((w, i) => (i === 0 ? init.kernelInitializer : init.biasInitializer).apply(w.shape as number[]));
    layer.setWeights(fresh);
    tf.dispose(fresh);
  }
  const { [MODEL_CLASSES_KEY]: _old, ...metadata } = (model.getUserDefinedMetadata() ?? {}) as Record<string, unknown>;
  if (Object.keys(metadata).length > 0) copy.setUserDefinedMetadata(metadata);
  if (classes) setModelClasses(copy, classes);
  return { model: copy, replaced };
}
