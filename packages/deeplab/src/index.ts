/**
 * @seg/deeplab: DeepLabV3+ semantic segmentation for TensorFlow.js.
 *
 * The main entry runs in Node and in browsers: the model, torchvision's
 * pretrained models, `segment()` and segmenters, class names and colours,
 * ONNX export and ONNX Runtime. Segmenting image collections from files, on
 * every core or through a queue, is the Node-only wing `@seg/deeplab/node`.
 * Model files (`saveModel`, `loadModel`), layers, backbones and training come
 * from `@seg/core`.
 *
 * @packageDocumentation
 */

// The model.
export {
  DEEPLAB_OUTPUT_STRIDES,
  DEFAULT_BACKBONE,
  DEFAULT_DECODER_CHANNELS,
  DEPRECATED_ASPP_KEYS,
  DEFAULT_LOW_LEVEL_CHANNELS,
  MIN_INPUT_SIZE,
} from './model/config.js';
export type { DeepLabOutputStride, DeepLabV3PlusConfig, DeprecatedAsppKey, ResolvedDeepLabV3PlusConfig } from './model/config.js';
export { deeplabV3Plus } from './model/deeplab-v3-plus.js';
export { DeepLabV3PlusModel } from './model/deeplab-model.js';
export { deeplabV3PlusDecoder } from './model/decoder.js';
export type { DecoderOptions } from './model/decoder.js';
export { InputSizeGuard, inputSizeGuard } from './model/input-size-guard.js';
export type { InputSizeGuardArgs } from './model/input-size-guard.js';
// Loading a saved model, optionally with a new classifier for other classes (core's loadModel
// loads any tfjs model as saved; this one also replaces DeepLabV3+'s and torchvision's heads).
export { loadModel } from './model/model-files.js';
export type { LoadModelOptions } from './model/model-files.js';
export { replaceClassifier } from './model/replace-classifier.js';

// Pretrained weights: torchvision's models and trunks, the reference MSRC run.
export { fromTorchvision } from './torchvision/from-torchvision.js';
export type { FromTorchvisionOptions, HeadReplacement } from './torchvision/from-torchvision.js';
export { TORCHVISION_MODELS, TORCHVISION_NUM_CLASSES, torchvisionModel } from './torchvision/torchvision-models.js';
export type { TorchvisionModelName, TorchvisionModelOptions } from './torchvision/torchvision-models.js';
export { loadTrunkWeights } from './torchvision/trunk-weights.js';
export { loadReferenceMsrcWeights, REFERENCE_MSRC_ARCHITECTURE } from './torchvision/reference-weights.js';
export type { ReferenceMsrcFiles } from './torchvision/reference-weights.js';

// Inference: segment(), segmenters, preprocessing.
export { preprocess, normalize } from './inference/preprocess.js';
export type { BrowserImage, ImageInput } from './inference/preprocess.js';
// Deprecated aliases of @seg/core's `Pixels`, kept for one release.
export type { RawImage } from './inference/preprocess.js';
export { segment } from './inference/segment.js';
export type { Segmentation, SegmentOptions } from './inference/segment-options.js';
export type { Segmenter } from './inference/segmenter.js';
export { loadSegmenter, modelSourceKind } from './inference/load-segmenter.js';
export type { ModelSourceKind } from './inference/load-segmenter.js';
export { tfjsSegmenter } from './inference/tfjs-segmenter.js';

// Classes and colours.
export { colorize, DEFAULT_OVERLAY_ALPHA, overlay } from './classes/colorize.js';
export type { OverlayImage } from './classes/colorize.js'; // deprecated alias of @seg/core's `Pixels`
export { classPalette, getModelClasses, setModelClasses } from './classes/model-classes.js';
export type { ModelClass } from './classes/model-classes.js';
export { VOC_CLASSES, VOC_MODEL_CLASSES, VOC_PALETTE } from './classes/voc-classes.js';

// ONNX: export, and ONNX Runtime (Node and web).
export { DEFAULT_ONNX_OPSET, exportOnnx } from './onnx/export-onnx.js';
export type { ExportOnnxOptions } from './onnx/export-onnx.js';
export type { OnnxPrecision } from './onnx/onnx-graph.js';
export { ONNX_METADATA_FORMAT, ONNX_METADATA_KEYS } from './onnx/onnx-metadata.js';
export { loadOnnxSegmenter } from './onnx/load-onnx-segmenter.js';
export type { OnnxSegmenterOptions } from './onnx/load-onnx-segmenter.js';
export type { ModelSource } from './onnx/model-source.js';
export type { OrtModule, OrtRuntimeName, OrtSession, OrtTensor } from './onnx/ort-runtime.js';
