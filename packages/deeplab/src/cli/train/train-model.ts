/**
 * The model `seg-deeplab train` trains: DeepLabV3+ (ImageNet trunk weights
 * with `--weights`) or a torchvision model (a whole checkpoint with
 * `--weights`, its head replaced when the dataset's class count differs), or
 * a saved model folder fine-tuned to the dataset's classes.
 *
 * @module
 */
import { stat } from 'node:fs/promises';
import type { LayersModel } from '@tensorflow/tfjs-layers';
import { type ModelClass, setModelClasses } from '../../classes/model-classes.js';
import { deeplabV3Plus } from '../../model/deeplab-v3-plus.js';
import { loadModel } from '../../model/model-files.js';
import type { ModelSpec } from '../../run/segmentation-replica.js';
import { fromTorchvision } from '../../torchvision/from-torchvision.js';
import { type TorchvisionModelName, torchvisionModel } from '../../torchvision/torchvision-models.js';
import { loadTrunkWeights } from '../../torchvision/trunk-weights.js';
import type { TrainOptions } from './train-options.js';

/** A model to train, how replicas build it again, and its trunk (the weights `--freezeTrunk` freezes). */
export interface TrainModel {
  model: LayersModel;
  spec: ModelSpec;
  trunk: LayersModel;
}

/** The trunk's layer: DeepLabV3+ names it after the backbone, torchvision `backbone`. */
function trunkOf(model: LayersModel, name: string): LayersModel {
  return model.getLayer(name) as unknown as LayersModel;
}

/**
 * Builds the model `options` name with `classes.length` outputs and records
 * the classes on it.
 *
 * @throws Naming `--weights` and the file, when its weights are of another
 *   architecture (every missing, unexpected and mismatched key listed by the loader).
 */
export async function buildTrainModel(options: TrainOptions, classes: readonly ModelClass[], log: (line: string) => void): Promise<TrainModel> {
  const numClasses = classes.length;
  const weights = options.weights;
  const isFolder = weights !== undefined && (await stat(weights).catch(() => null))?.isDirectory() === true;
  const named = (e: unknown) => new Error(`--weights ${weights}: ${(e as Error).message}`);
  let built: TrainModel;
  if (isFolder) {
    let replaced: string[] = [];
    const model = await loadModel(weights, { numClasses, classes, onClassifierReplaced: (layers) => (replaced = layers) }).catch((e) => Promise.reject(named(e)));
    const trunkName = options.model === 'deeplabv3plus' ? options.backbone : 'backbone';
    if (!model.layers.some((l) => l.name === trunkName)) {
      model.dispose();
      throw new Error(`--weights ${weights}: the saved model has no layer "${trunkName}", so it is no ${options.model}${options.model === 'deeplabv3plus' ? ` with a ${options.backbone} trunk` : ''}; pass the --model and --backbone it was trained with`);
    }
    log(`weights: the saved model in ${weights}${replaced.length ? `, its classifier (${replaced.join(', ')}) replaced for ${numClasses} classes` : ''}`);
    built = { model, spec: { kind: 'saved', dir: weights, numClasses }, trunk: trunkOf(model, trunkName) };
  } else if (options.model === 'deeplabv3plus') {
    const { widthMultiplier, decoderChannels } = options.modelOptions ?? {};
    const config = {
      backbone: options.backbone,
      outputStride: options.outputStride,
      numClasses,
      ...(widthMultiplier !== undefined ? { backboneOptions: { widthMultiplier } } : {}),
      ...(decoderChannels !== undefined ? { aspp: { filters: decoderChannels } } : {}),
    };
    const model = deeplabV3Plus({ ...config, seed: options.seed });
    if (weights) {
      const report = await loadTrunkWeights(model, weights).catch((e) => {
        model.dispose();
        return Promise.reject(named(e));
      });
      log(`trunk weights: ${report.loaded.length} tensors loaded from ${weights} (${report.ignored.length} ignored)`);
    } else {
      log('trunk weights: none given, the trunk starts from random weights (pass --weights for ImageNet weights)');
    }
    built = { model, spec: { kind: 'deeplabv3plus', config }, trunk: trunkOf(model, options.backbone) };
  } else {
    const name = options.model as TorchvisionModelName;
    const architecture = { numClasses, ...(options.modelOptions?.widthMultiplier !== undefined ? { widthMultiplier: options.modelOptions.widthMultiplier } : {}) };
    let model: LayersModel;
    if (weights) {
      model = await fromTorchvision(name, weights, {
        ...architecture,
        onHeadReplaced: ({ keys, fileClasses }) => log(`weights: the head of ${weights} predicts ${fileClasses} classes; ${keys.join(', ')} start fresh for ${numClasses}`),
      }).catch((e) => Promise.reject(named(e)));
      log(`weights: ${name} from ${weights}`);
    } else {
      model = torchvisionModel(name, architecture);
      log(`weights: none given, ${name} starts from random weights (pass --weights for a torchvision checkpoint)`);
    }
    built = { model, spec: { kind: 'torchvision', name, options: architecture }, trunk: trunkOf(model, 'backbone') };
  }
  // Saved and exported copies name the dataset's classes and paint in its colours.
  setModelClasses(built.model, classes);
  return built;
}
